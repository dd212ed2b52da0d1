"""check: is this pull request approved under the review policy?

Answers three ways: the job's exit code, a job summary saying who approved, who is
missing and why, and one commit status per head SHA (context
`review.status_context`) that branch protection should require. A later run
replaces the status of the same SHA, so a stale failing run never blocks a merge.

On `pull_request_review` from a fork the token is read-only: the status is left to
the dismiss-runs cron (which runs with write access) and the summary says so.
If the reviews cannot be read the check fails (exit 3); it never passes by default.
"""

from __future__ import annotations

import argparse
import contextlib
from typing import TYPE_CHECKING

from repowarden.runtime.commands import Command, Permission, no_arguments
from repowarden.runtime.context import RunContext
from repowarden.runtime.errors import Exit
from repowarden.runtime.github import GitHub, GitHubError

if TYPE_CHECKING:
    from repowarden.runtime import events

EVENTS = ("pull_request_target", "pull_request_review", "merge_group", "pull_request")
# Events whose token GitHub makes read-only when the pull request comes from a fork.
READ_ONLY_FROM_FORKS = ("pull_request_review", "pull_request")


def run(args: argparse.Namespace) -> int:
    from repowarden.runtime import events
    from repowarden.runtime.config import load_config
    from repowarden.runtime.policy import merge_group_verdict, status_description, summary_markdown
    from repowarden.runtime.reviews import facts_from_event, verdict_for, write_status

    ctx = RunContext.from_env()
    config = load_config(args.config)
    event = load_event(ctx)
    gh = GitHub(ctx.repository)
    context = config.review.status_context

    if isinstance(event, events.MergeGroupEvent):
        # A required status must report on the merge group's commit or the queue stalls.
        verdict = merge_group_verdict()
        write_status(
            gh, event.merge_group.head_sha, context, "success", verdict.reasons[0], ctx.run_url
        )
        ctx.write_summary(summary_markdown(verdict))
        print(verdict.reasons[0])
        return Exit.OK

    pull = facts_from_event(event.pull_request)
    writable = not (ctx.event_name in READ_ONLY_FROM_FORKS and pull.from_fork)
    try:
        verdict = verdict_for(gh, config, pull)
    except GitHubError as exc:
        if writable:
            _report_error(gh, pull.head_sha, context, ctx.run_url)
        ctx.write_summary(
            f"### Review check: ❌ could not evaluate\n\n- {exc}\n- failing closed: "
            "a check that cannot read the reviews never passes\n"
        )
        raise

    description = status_description(verdict)
    summary = summary_markdown(verdict, title=f"Review check for #{pull.number}")
    if writable:
        write_status(
            gh,
            pull.head_sha,
            context,
            "success" if verdict.approved else "failure",
            description,
            ctx.run_url,
        )
    else:
        summary += (
            f"\n> The `{context}` status was not written: on {ctx.event_name} from a fork "
            "GitHub gives this job a read-only token. The dismiss-runs workflow refreshes "
            "the status of open fork pull requests on its schedule.\n"
        )
    ctx.write_summary(summary)
    print(f"#{pull.number} {'approved' if verdict.approved else 'NOT approved'}: {description}")
    for reason in verdict.reasons:
        print(f"  - {reason}")
    return Exit.OK if verdict.approved else Exit.FAILED


def load_event(
    ctx: RunContext,
) -> events.PullRequestEvent | events.PullRequestReviewEvent | events.MergeGroupEvent:
    from repowarden.runtime import events

    event = events.load_event(ctx, *EVENTS)
    assert isinstance(
        event, events.PullRequestEvent | events.PullRequestReviewEvent | events.MergeGroupEvent
    )
    return event


def _report_error(gh: GitHub, sha: str, context: str, url: str) -> None:
    # Replace any earlier success on this SHA: the answer is unknown now. Best effort,
    # the command exits 3 whatever happens here.
    from repowarden.runtime.reviews import write_status

    with contextlib.suppress(GitHubError):
        write_status(gh, sha, context, "error", "could not read the reviews; re-run the check", url)


COMMAND = Command(
    name="check",
    summary="Fail unless the pull request is approved under the review policy; "
    "write the job summary and the commit status.",
    permissions=(
        Permission("pull-requests", "read", "list the pull request's reviews"),
        Permission("statuses", "write", "set the review status on the head commit"),
    ),
    add_arguments=no_arguments,
    run=run,
)
