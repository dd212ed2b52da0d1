"""Webhook payloads built from the fake GitHub's state, in the shapes GitHub delivers.

The REST shapes come from the fake's own renderer (checked against @octokit/openapi
by its tests); the event envelopes (action, number, sender, repository, review
states in lower case) follow @octokit/webhooks-examples.
"""

from __future__ import annotations

from typing import Any

from fake_github.server import FakeGitHub


def _envelope(gh: FakeGitHub, repo: str, sender: str) -> dict[str, Any]:
    with gh.state.lock:
        repository = gh.render.repo(gh.repo(repo), full=True)
        user = gh.render.user(sender)
    return {"repository": repository, "sender": user}


def pull_request(
    gh: FakeGitHub, repo: str, number: int, action: str, *, sender: str | None = None
) -> dict[str, Any]:
    """pull_request / pull_request_target: the same payload, delivered under either name."""
    pull = gh.pull(repo, number)
    with gh.state.lock:
        rendered = gh.render.pull(pull, full=True)
    payload = {"action": action, "number": number, "pull_request": rendered}
    payload |= _envelope(gh, repo, sender or pull.author)
    if action == "synchronize":
        payload["before"], payload["after"] = None, pull.head_sha
    return payload


def pull_request_review(
    gh: FakeGitHub, repo: str, number: int, review_id: int, action: str = "submitted"
) -> dict[str, Any]:
    pull = gh.pull(repo, number)
    review = next(r for r in gh.reviews(repo, number) if r.id == review_id)
    with gh.state.lock:
        rendered_pull = gh.render.pull(pull, full=True)
        rendered_review = gh.render.review(review)
    # Webhook payloads spell review states in lower case (docs/github-facts.md).
    rendered_review["state"] = rendered_review["state"].lower()
    payload = {"action": action, "review": rendered_review, "pull_request": rendered_pull}
    return payload | _envelope(gh, repo, review.user)


def repository_dispatch(
    gh: FakeGitHub, repo: str, event_type: str, client_payload: dict[str, Any], *, sender: str
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "action": event_type,
        "branch": gh.repo(repo).default_branch,
        "client_payload": client_payload,
    }
    return payload | _envelope(gh, repo, sender)


def schedule(gh: FakeGitHub, repo: str, cron: str) -> dict[str, Any]:
    with gh.state.lock:
        repository = gh.render.repo(gh.repo(repo), full=True)
    return {"schedule": cron, "repository": repository}
