"""The one PR comment a dispatch leaves: posted at the start, updated with the result.

A hidden marker carries the dispatch id and the state, so a re-run (same id,
higher run attempt) finds and edits the same comment instead of adding one, and
an announce re-run never turns a finished result back into "started".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from repowarden.runtime.github import GitHub

STARTED, SUCCESS, FAILURE, NOTHING = "started", "success", "failure", "no-changes"
_MARKER = re.compile(r"<!-- repowarden-dispatch id=([A-Za-z0-9_-]{1,64}) state=([a-z-]+) -->")
MAX_COMMENT = 65_536
# Who the workflow's GITHUB_TOKEN acts as: announce and apply both comment with it.
COMMENTER = "github-actions[bot]"


def marker(dispatch_id: str, state: str) -> str:
    return f"<!-- repowarden-dispatch id={dispatch_id} state={state} -->"


@dataclass(frozen=True)
class Found:
    comment_id: int
    state: str
    body: str


def commenter_id(gh: GitHub) -> int:
    """The numeric user id our comments are written by (logins can be renamed; ids not)."""
    body = gh.get(f"/users/{quote(COMMENTER, safe='[]')}")
    return int(body["id"])


def find_comment(gh: GitHub, pr: int, dispatch_id: str, author_id: int) -> Found | None:
    """Our comment for this dispatch id on PR `pr`, if one exists.

    Only a comment by `author_id` counts: anyone else (a person, or another bot that
    comments on PRs) pasting the marker cannot steer what we edit or keep.
    """
    for comment in gh.paginate(gh.repo_path(f"/issues/{pr}/comments")):
        user: dict[str, Any] = comment.get("user") or {}
        if user.get("id") != author_id or isinstance(user.get("id"), bool):
            continue
        match = _MARKER.search(comment.get("body") or "")
        if match and match.group(1) == dispatch_id:
            return Found(int(comment["id"]), match.group(2), comment["body"])
    return None


def render(
    dispatch_id: str,
    operation: str,
    state: str,
    run_url: str,
    attempt: int,
    detail: str = "",
) -> str:
    heading = {
        STARTED: f"⏳ repowarden is running `{operation}` for this pull request.",
        SUCCESS: f"✅ repowarden finished `{operation}`.",
        NOTHING: f"✅ repowarden ran `{operation}`: nothing to change.",
        FAILURE: f"❌ repowarden could not finish `{operation}`.",
    }[state]
    lines = [
        marker(dispatch_id, state),
        heading,
        "",
        f"Dispatch `{dispatch_id}` · [workflow run]({run_url}) (attempt {attempt})",
    ]
    if detail:
        lines += ["", detail]
    body = "\n".join(lines) + "\n"
    if len(body) > MAX_COMMENT:
        cut = f"\n… (truncated; see the [workflow run]({run_url}))\n"
        body = body[: MAX_COMMENT - len(cut)] + cut
    return body


def post(gh: GitHub, pr: int, dispatch_id: str, body: str, *, only_if_started: bool) -> str:
    """Create or update our comment; returns "created", "updated" or "kept"."""
    found = find_comment(gh, pr, dispatch_id, commenter_id(gh))
    if found is None:
        gh.request("POST", gh.repo_path(f"/issues/{pr}/comments"), data={"body": body})
        return "created"
    if only_if_started and found.state != STARTED:
        return "kept"
    if found.body == body:
        return "kept"
    gh.request(
        "PATCH", gh.repo_path(f"/issues/comments/{int(found.comment_id)}"), data={"body": body}
    )
    return "updated"
