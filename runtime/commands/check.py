"""check: evaluate a pull request under the default branch's policy and write its gate.

Runs only where GitHub runs the default branch's workflow and code:
- `pull_request_target` (opened, synchronize, labeled, ...): the pull request of the event;
- `workflow_run` after the permission-less "review recorded" workflow: after a review,
  the pull request is derived from the run (its `pull_requests`, or for a fork run,
  whose list is empty, its head repository and SHA, then branch); after a merge-queue
  run, from the merge group's branch `gh-readonly-queue/<base>/pr-<N>-<sha>`, and the
  gate is written on the merge group's commit, success only if that PR is approved now.

Nothing of the triggering run is trusted but what identifies the pull request; the
PR, its labels and every review are read again (runtime/gate.py). Answers three ways:
the exit code (0 approved, 1 not, 3 GitHub failed), the job summary, and the gate.

Options (rendered only when the config asks, each with its grant): `--compare-commits`
lets the policy ask the compare API whether an external contributor's older approved
commit differs from the head only by a merge of the base branch
(review.external.keep_approvals_on_update_merge); `--remove-requests` withdraws, after
an approving verdict, the review requests nobody needs (review.assign.remove_requests).
"""

from __future__ import annotations

import argparse
import contextlib
from typing import TYPE_CHECKING

from repowarden.runtime.commands import (
    COMPARE_COMMITS,
    REMOVE_REQUESTS,
    Command,
    Permission,
    no_arguments,
)
from repowarden.runtime.context import RunContext
from repowarden.runtime.errors import Exit
from repowarden.runtime.github import GitHub, GitHubError

if TYPE_CHECKING:
    from repowarden.runtime.gate import Settled

EVENTS = ("pull_request_target", "workflow_run")
# The runs of the review workflow whose pull request the gate re-evaluates.
REVIEW_RUN_EVENTS = ("pull_request_review", "merge_group")


def run(args: argparse.Namespace) -> int:
    from repowarden.runtime import events
    from repowarden.runtime.config import load_config
    from repowarden.runtime.gate import (
        error_gate,
        merge_queue_pull,
        pulls_for_head,
        settle,
        writer_for,
    )

    ctx = RunContext.from_env()
    config = load_config(args.config)
    event = events.load_event(ctx, *EVENTS)
    gh = GitHub(ctx.repository)
    writer = writer_for(gh, config, ctx.run_url)

    target_sha: str | None = None
    if isinstance(event, events.PullRequestEvent):
        numbers, known_sha = [event.pull_request.number], event.pull_request.head.sha
    else:
        assert isinstance(event, events.WorkflowRunEvent)
        wf_run = event.workflow_run
        known_sha = wf_run.head_sha
        if wf_run.event not in REVIEW_RUN_EVENTS:
            print(
                f"a {wf_run.event!r} run of {wf_run.path or wf_run.name!r} decides nothing: "
                f"the gate follows only {', '.join(REVIEW_RUN_EVENTS)} runs"
            )
            return Exit.OK
        if wf_run.event == "merge_group":
            number = merge_queue_pull(wf_run.head_branch or "")
            if number is None:
                print(f"{wf_run.head_branch!r} is not a merge queue branch: nothing to decide")
                return Exit.OK
            numbers, target_sha = [number], wf_run.head_sha
        else:
            numbers = [item.number for item in wf_run.pull_requests]
            head_repo = wf_run.head_repository.full_name if wf_run.head_repository else ""
            if not numbers and head_repo:
                numbers = pulls_for_head(gh, head_repo, wf_run.head_sha, wf_run.head_branch)
            if not numbers:
                print(f"no open pull request has head {wf_run.head_sha[:7]}: nothing to decide")
                return Exit.OK

    results: list[Settled] = []
    try:
        for number in numbers:
            results.append(
                settle(
                    gh, config, number, writer, target_sha=target_sha, compare=args.compare_commits
                )
            )
    except GitHubError as exc:
        # The answer is unknown now: replace an earlier success (best effort).
        with contextlib.suppress(GitHubError):
            writer.write(target_sha or known_sha, error_gate("could not read the reviews; re-run"))
        ctx.write_summary(
            f"### Review check: ❌ could not evaluate\n\n- {exc}\n- failing closed: "
            "a check that cannot read the reviews never passes\n"
        )
        raise
    code = _report(ctx, results, config.review.status_context)
    if args.remove_requests and target_sha is None:
        for result in results:
            if line := withdraw_unneeded(gh, result):
                ctx.write_summary(line)
    return code


def withdraw_unneeded(gh: GitHub, result: Settled) -> str:
    """After an approving verdict, withdraw the review requests nobody needs any more.

    Only for the head the verdict was given for (the pull request is read again); a
    refusal is reported, never raised: the gate is written and stays as it is.
    """
    from repowarden.runtime.reviewer_selection import unneeded_requests
    from repowarden.runtime.reviews import pull_facts, remove_requests

    verdict = result.verdict
    if verdict is None or not verdict.approved or result.action not in ("written", "unchanged"):
        return ""
    try:
        pull = pull_facts(gh, result.number)
        if pull.head_sha != result.head_sha:
            return (
                f"- review requests on #{result.number}: kept (the head moved since the verdict)\n"
            )
        logins = unneeded_requests(verdict, pull)
        remove_requests(gh, result.number, logins)
    except GitHubError as exc:
        print(f"#{result.number}: review requests not withdrawn: {exc}")
        return (
            f"- review requests on #{result.number}: **not withdrawn**: {exc}. "
            "The gate is unaffected.\n"
        )
    if not logins:
        return ""
    print(f"#{result.number}: withdrew the review requests of {', '.join(logins)}")
    return (
        f"- review requests withdrawn on #{result.number} (approved; nobody needs "
        f"their review): {', '.join(logins)}\n"
    )


def _report(ctx: RunContext, results: list[Settled], context: str) -> int:
    code = Exit.OK
    for result in results:
        if result.gate is not None:
            ctx.write_summary(result.gate.summary)
        ctx.write_summary(f"- gate `{context}`: {result.line}")
        if result.gate is not None and result.verdict is not None:
            answer = "approved" if result.verdict.approved else "NOT approved"
            print(f"#{result.number} {answer}: {result.gate.title}")
            for reason in result.verdict.reasons:
                print(f"  - {reason}")
        print(f"gate {context}: {result.line}")
        if result.action == "capped":
            code = max(code, Exit.GITHUB)
        elif result.verdict is not None and not result.verdict.approved:
            code = max(code, Exit.FAILED)
    return code


COMMAND = Command(
    name="check",
    summary="Evaluate the pull request under the default branch's policy and write its gate "
    "(a commit status, or with an App a check run); fail unless approved.",
    permissions=(
        Permission("pull-requests", "read", "read the pull request and its reviews"),
        Permission("statuses", "write", "read and set the review status on the head commit"),
    ),
    app_permissions=(
        Permission("checks", "write", "read and create the gate's check run"),
        Permission("pull-requests", "read", "read the pull request and its reviews"),
        Permission("members", "read", "recognise private members of review.external.org"),
    ),
    add_arguments=no_arguments,
    run=run,
    options=(COMPARE_COMMITS, REMOVE_REQUESTS),
)
