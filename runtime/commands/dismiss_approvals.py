"""dismiss-approvals: a push to an external contributor's PR voids earlier approvals.

Runs on pull_request_target synchronize when `review.external.dismiss_on_push` is
on. Each reviewer whose standing approval is on an older commit has it dismissed
(the message names the new head), is requested again, and is mentioned in one
comment that says what actually happened: the dismissals come first, so a dismissal
GitHub refuses (403 under "Restrict who can dismiss pull request reviews") is
reported as refused, in the comment and the job summary, and the command exits 1
instead of crashing. The gate does not depend on it: an external contributor's
approvals count only on the head commit, so a refused dismissal still counts for
nothing there. The comment carries a hidden marker with the head SHA, so a re-run of
the same push never posts it twice.
"""

from __future__ import annotations

import argparse

from repowarden.runtime.commands import COMPARE_COMMITS, Command, Permission, no_arguments
from repowarden.runtime.context import RunContext
from repowarden.runtime.errors import Exit
from repowarden.runtime.github import GitHub, NotFound, PermissionDenied, Unprocessable


def marker(head_sha: str) -> str:
    return f"<!-- repowarden:stale-approvals head={head_sha} -->"


def run(args: argparse.Namespace) -> int:
    from repowarden.runtime import events
    from repowarden.runtime.config import load_config
    from repowarden.runtime.policy import APPROVED, Kind, latest_reviews, requirement
    from repowarden.runtime.reviews import (
        facts_from_event,
        fetch_files,
        fetch_reviews,
        kept_commits,
        membership,
        request_reviewers,
    )
    from repowarden.runtime.rules import ChangeSet

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
    kept: set[str] = set()
    if stale and config.review.external.keep_approvals_on_update_merge:
        # Approvals whose commit differs from the head only outside the PR's files
        # (a merge of the base branch) stay: the policy still counts them.
        commits = {review.commit_id for review in stale if review.commit_id}
        # Without the compare API the files would go unused: not read, as in `gather`.
        changes = fetch_files(gh, pull) if args.compare_commits else ChangeSet()
        kept, why = kept_commits(gh, pull, changes, commits, compare=args.compare_commits)
        if why:
            print(f"none kept: {why}")
        stale = [review for review in stale if review.commit_id not in kept]
    if not stale:
        print(f"no approvals on commits older than {head[:7]}: nothing to dismiss")
        if kept:
            print(
                f"kept the approvals on {', '.join(sorted(c[:7] for c in kept))}: the diff "
                "to the head changes none of the PR's files (a merge of the base branch)"
            )
        return Exit.OK

    dismissed: list[str] = []
    refused: list[str] = []
    for review in stale:
        try:
            gh.request(
                "PUT",
                gh.repo_path(f"/pulls/{pull.number}/reviews/{review.id}/dismissals"),
                data={
                    "message": f"New commits were pushed (head is now {head}); "
                    "approvals of external contributions count only on the head commit.",
                    "event": "DISMISS",
                },
            )
        except PermissionDenied:
            refused.append(review.login)
        except (NotFound, Unprocessable):
            dismissed.append(review.login)  # dismissed or deleted meanwhile: it no longer stands
        else:
            dismissed.append(review.login)
    logins = [review.login for review in stale]
    requested, outsiders = request_reviewers(gh, pull.number, logins)
    _comment_once(gh, pull.number, head, dismissed, refused)
    lines = [
        f"### Stale approvals on #{pull.number}",
        "",
        f"- new head: `{head}`",
        f"- dismissed: {', '.join(dismissed) or 'nobody'}",
        f"- requested again: {', '.join(requested) or 'nobody'}",
    ]
    if refused:
        lines.append(
            f'- **GitHub refused to dismiss** (403; is "Restrict who can dismiss pull request '
            f'reviews" on?): {", ".join(refused)}. Their approvals do not count for the gate '
            "anyway: external contributions need approvals of the head commit."
        )
    lines += [f"- not requested (no longer a collaborator): {login}" for login in outsiders]
    ctx.write_summary("\n".join(lines))
    print("\n".join(lines[2:]))
    return Exit.FAILED if refused else Exit.OK


def _comment_once(
    gh: GitHub, number: int, head: str, dismissed: list[str], refused: list[str]
) -> None:
    tag = marker(head)
    path = gh.repo_path(f"/issues/{number}/comments")
    if any(tag in (comment.get("body") or "") for comment in gh.paginate(path)):
        return
    mentions = " ".join(f"@{login}" for login in [*dismissed, *refused])
    parts = [f"{mentions}: new commits were pushed (head is now {head})."]
    if dismissed:
        parts.append(f"The approval of an earlier commit by {', '.join(dismissed)} was dismissed.")
    if refused:
        parts.append(
            f"GitHub refused to dismiss the approval by {', '.join(refused)}; it does not "
            "count for the review gate, which counts only approvals of the head commit."
        )
    parts.append("Please review the new changes.")
    gh.request("POST", path, data={"body": " ".join(parts) + "\n\n" + tag})


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
    options=(COMPARE_COMMITS,),
)
