"""Who acts in a world: people with a repository role, GitHub Apps, and each job's token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Literal

from fake_github.server import FakeGitHub

Role = Literal["read", "triage", "write", "maintain", "admin"]

# What a person's own token (a fine-grained PAT with every repository permission the
# person has) may do, by role (docs: "Repository roles for an organization").
_BY_ROLE: dict[Role | None, dict[str, str]] = {
    # Anyone may review and comment on a public repository's pull requests.
    None: {"contents": "read", "pull-requests": "write", "issues": "write"},
    "read": {"contents": "read", "pull-requests": "write", "issues": "write"},
    "triage": {"contents": "read", "pull-requests": "write", "issues": "write"},
    "write": {
        "contents": "write",
        "pull-requests": "write",
        "issues": "write",
        "statuses": "write",
        "actions": "write",
    },
}
_BY_ROLE["maintain"] = _BY_ROLE["admin"] = _BY_ROLE["write"]


def person_permissions(role: Role | None) -> dict[str, str]:
    return dict(_BY_ROLE[role])


@dataclass
class Person:
    login: str
    role: Role | None  # None: no role on the repository (an external contributor)
    org: Literal["public", "private"] | None = None


@dataclass
class App:
    """A GitHub App installed on the repository; its key is what create-github-app-token
    needs besides the client id."""

    slug: str
    id: int
    client_id: str
    permissions: dict[str, str]
    private_key: str = field(
        default_factory=lambda: "-----BEGIN RSA PRIVATE KEY-----\n" + secrets.token_hex(24)
    )

    @property
    def login(self) -> str:
        return f"{self.slug}[bot]"


def app_token(
    gh: FakeGitHub, app: App, permissions: dict[str, str] | None = None, repo: str | None = None
) -> str:
    """An installation token of `app`: the permissions asked for, never more than the App's.

    The one place the world mints App tokens: the fake GitHub's installation tokens
    (their own rate-limit budget, check runs and statuses owned by the App).
    """
    try:
        return gh.app_token(app.slug, permissions, repo=repo)
    except ValueError as exc:
        raise PermissionError(str(exc)) from None
