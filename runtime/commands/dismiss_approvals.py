"""dismiss-approvals: a push to an external contributor's PR voids earlier approvals.

Runs on pull_request_target synchronize when `review.external.dismiss_on_push` is
on. Each reviewer whose standing approval is on an older commit has it dismissed
(the message names the new head), is requested again, and is mentioned in one
comment. The comment carries a hidden marker with the head SHA, so a re-run of the
same push never posts it twice.
"""

from __future__ import annotations

import argparse

from repowarden.runtime.commands import Command, Permission, no_arguments
from repowarden.runtime.context import RunContext
from repowarden.runtime.errors import Exit
from repowarden.runtime.github import GitHub


def marker(head_sha: str) -> str:
    return f"<!-- repowarden:stale-approvals head={head_sha} -->"


def run(args: argparse.Namespace) -> int:
    from repowarden.runtime import events
    from repowarden.runtime.config import load_config
    from repowarden.runtime.policy import APPROVED, Kind, latest_reviews, requirement
    from repowarden.runtime.reviews import (
        facts_from_event,
        fetch_reviews,
        membership,
        request_reviewers,
    )

    ctx = RunContext.from_env()
    config = load_config(args.config)
    event = events.load_event(ctx, "pull_request_target")
    assert isinstance(event, events.PullRequestEvent)
    pull = facts_from_event(event.pull_request)
    if event.action != "synchronize":
        print(f"nothing to do on {event.action!r}: approvals are dismissed on synchronize")
        return Exit.OK
    if not config.review.external.dismiss_on_push:
        print("review.external.dismiss_on_push is off: approvals stay")
        return Exit.OK

    gh = GitHub(ctx.repository)
    req = requirement(
        config.review,
        pull.author,
        pull.author_type,
        is_member=membership(gh, config.review, pull),
    )
    if req.kind is not Kind.EXTERNAL:
        print(f"{pull.author} is not an external contributor ({req.kind}): approvals stay")
        return Exit.OK

    head = pull.head_sha
    stale = [
        review
        for review in latest_reviews(fetch_reviews(gh, pull.number)).values()
        if review.state == APPROVED
        and review.commit_id != head
        and review.login.casefold() != pull.author.casefold()
    ]
    if not stale:
        print(f"no approvals on commits older than {head[:7]}: nothing to dismiss")
        return Exit.OK

    logins = [review.login for review in stale]
    # The mention first: if a later call fails, the re-run finds the marker and
    # finishes the dismissals without a second comment.
    _comment_once(gh, pull.number, head, logins)
    for review in stale:
        gh.request(
            "PUT",
            gh.repo_path(f"/pulls/{pull.number}/reviews/{review.id}/dismissals"),
            data={
                "message": f"New commits were pushed (head is now {head}); "
                "approvals of external contributions count only on the head commit.",
                "event": "DISMISS",
            },
        )
    requested, outsiders = request_reviewers(gh, pull.number, logins)
    lines = [
        f"### Stale approvals on #{pull.number} dismissed",
        "",
        f"- new head: `{head}`",
        f"- dismissed: {', '.join(logins)}",
        f"- requested again: {', '.join(requested) or 'nobody'}",
    ]
    lines += [f"- not requested (no longer a collaborator): {login}" for login in outsiders]
    ctx.write_summary("\n".join(lines))
    print("\n".join(lines[2:]))
    return Exit.OK


def _comment_once(gh: GitHub, number: int, head: str, logins: list[str]) -> None:
    tag = marker(head)
    path = gh.repo_path(f"/issues/{number}/comments")
    if any(tag in (comment.get("body") or "") for comment in gh.paginate(path)):
        return
    mentions = " ".join(f"@{login}" for login in logins)
    body = (
        f"{mentions}: new commits were pushed (head is now {head}), so your approval of an "
        "earlier commit was dismissed. Please review the new changes.\n\n" + tag
    )
    gh.request("POST", path, data={"body": body})


COMMAND = Command(
    name="dismiss-approvals",
    summary="Dismiss approvals of an external contributor's older commits, "
    "re-request and mention the reviewers.",
    permissions=(
        Permission(
            "pull-requests",
            "write",
            "dismiss stale approvals, re-request reviewers and comment on the pull request",
        ),
    ),
    add_arguments=no_arguments,
    run=run,
)
