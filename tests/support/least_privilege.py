"""Prove a command's declared permissions are exactly what it needs.

`assert_least_privilege(command, github, attempt)` mints a token on the fake
GitHub holding exactly `command.permissions` and calls `attempt(token)`, which
must set up a fresh scenario, run the command with that token and return its
outcome: it must exit 0. Then, for each declared permission in turn, a token
without it (and, for a write, one with only read) must make the same scenario
fail with exit code 3 and a message naming the refused call and its 403.
So a command that needs more than it declares fails the first run, and a
declaration the command never uses fails the second.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from fake_github import FakeGitHub
from repowarden.runtime.commands import Command

_REFUSED = re.compile(
    r"(?P<method>GET|POST|PUT|PATCH|DELETE) (?P<path>/\S+) failed \(HTTP 403\): "
    r"Resource not accessible by integration"
)


class Outcome(Protocol):
    @property
    def code(self) -> int: ...

    @property
    def err(self) -> str: ...


def variants(command: Command) -> list[tuple[str, dict[str, str]]]:
    """(what was taken away, the permissions left) for every weakening of the declaration."""
    granted = {p.scope: p.level for p in command.permissions}
    out = []
    for p in command.permissions:
        out.append((f"without {p.scope}", {k: v for k, v in granted.items() if k != p.scope}))
        if p.level == "write":
            out.append((f"{p.scope}: read only", {**granted, p.scope: "read"}))
    return out


def assert_least_privilege(
    command: Command, github: FakeGitHub, attempt: Callable[[str], Outcome]
) -> None:
    granted = {p.scope: p.level for p in command.permissions}
    outcome = attempt(github.token(granted))
    assert outcome.code == 0, (
        f"{command.name} failed with exactly its declared permissions {granted}: "
        f"exit {outcome.code}\n{outcome.err}"
    )
    for what, permissions in variants(command):
        token = github.token(permissions)
        outcome = attempt(token)
        assert outcome.code == 3, (
            f"{command.name} {what} should fail with exit 3 (the permission is declared, so "
            f"it must be needed), got exit {outcome.code}\n{outcome.err}"
        )
        found = _REFUSED.search(outcome.err)
        assert found, f"{command.name} {what}: no clear 403 message naming the call:\n{outcome.err}"
        refused = [c for c in github.calls if c.token == token and c.status == 403]
        assert any(c.method == found["method"] and c.path == found["path"] for c in refused), (
            f"{command.name} {what}: the message names {found[0]!r}, GitHub refused {refused}"
        )
        assert "permission" in outcome.err, f"{command.name} {what}: say it is a permission"
