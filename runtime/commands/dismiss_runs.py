"""dismiss-runs (opt-in, `dismiss.delete_runs`): delete superseded runs of open PRs' checks.

Off by default: run logs are the audit trail of how a pull request was decided. When
switched on, each open pull request keeps its newest run of `repowarden-check.yml`
and loses its older completed ones, so an old failing job is not mistaken for the
current answer (the gate itself is the commit status or check run, which `check`
and `sweep` keep current). Runs of closed and merged pull requests are never
touched, running ones are left alone, and one sweep deletes at most
`MAX_DELETES` runs (each DELETE costs 5 points of GitHub's secondary rate limit).

Runs are grouped per pull request: by the run's `pull_requests` when GitHub fills
it, else (runs from forks, where it is always empty) by matching head repository
and head SHA, then head repository and branch, against the open pull requests. Two
forks that both push a branch `patch-1` stay apart because their head
repositories differ.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from typing import Any

from repowarden.runtime.commands import Command, Permission, no_arguments
from repowarden.runtime.context import RunContext
from repowarden.runtime.errors import BadInput, Exit
from repowarden.runtime.generated import CHECK_WORKFLOW
from repowarden.runtime.github import GitHub, NotFound

WORKFLOW = CHECK_WORKFLOW
PR_EVENTS = ("pull_request_target", "pull_request")
EVENTS = ("schedule", "workflow_dispatch")
# GitHub's secondary limits allow 80 content-creating requests a minute per account,
# shared with every other job of the repository (docs/github-facts.md): one sweep
# leaves most of that minute to them.
MAX_DELETES = 40


class _OpenPulls:
    """The open pull requests, listed once, indexed the ways a run names its PR."""

    def __init__(self, gh: GitHub) -> None:
        self.by_sha: dict[tuple[str, str], int] = {}
        self.by_branch: dict[tuple[str, str], int] = {}
        self.numbers: set[int] = set()
        for pull in gh.paginate(gh.repo_path("/pulls"), state="open"):
            head, number = pull["head"], int(pull["number"])
            repo = ((head.get("repo") or {}).get("full_name") or "").casefold()
            self.numbers.add(number)
            self.by_sha[(repo, head["sha"])] = number
            self.by_branch[(repo, head["ref"])] = number


def _open_pull(run: dict[str, Any], repository: str, pulls: _OpenPulls) -> int | None:
    """The open pull request a run belongs to; None for a closed one or none found."""
    for item in run.get("pull_requests") or ():
        base_url = str(((item.get("base") or {}).get("repo") or {}).get("url") or "")
        if not base_url or base_url.casefold().endswith(f"/repos/{repository.casefold()}"):
            number = int(item["number"])
            return number if number in pulls.numbers else None
    head_repo = str((run.get("head_repository") or {}).get("full_name") or "").casefold()
    number = pulls.by_sha.get((head_repo, run["head_sha"]))
    if number is None:
        number = pulls.by_branch.get((head_repo, run.get("head_branch") or ""))
    return number


def _newest_first(run: dict[str, Any]) -> tuple[str, int]:
    return (str(run.get("created_at") or ""), int(run["id"]))


def run(args: argparse.Namespace) -> int:
    from repowarden.runtime.config import load_config

    ctx = RunContext.from_env()
    load_config(args.config)  # a broken config stops the sweep before any call
    if ctx.event_name not in EVENTS:
        raise BadInput(
            f"dismiss-runs runs on {', '.join(EVENTS)}, but GITHUB_EVENT_NAME is {ctx.event_name!r}"
        )
    gh = GitHub(ctx.repository)
    pulls = _OpenPulls(gh)

    groups: dict[int, list[dict[str, Any]]] = defaultdict(list)
    runs_path = gh.repo_path(f"/actions/workflows/{WORKFLOW}/runs")
    for item in gh.paginate(runs_path, key="workflow_runs"):
        if item.get("event") in PR_EVENTS:
            number = _open_pull(item, ctx.repository, pulls)
            if number is not None:
                groups[number].append(item)  # runs of closed PRs stay: their audit trail

    deleted = 0
    left = 0
    for runs in groups.values():
        runs.sort(key=_newest_first, reverse=True)
        for stale in runs[1:]:
            if stale.get("status") != "completed":
                continue  # a running check finishes first; the next cron deletes it
            if deleted >= MAX_DELETES:
                left += 1
                continue
            try:
                gh.request("DELETE", gh.repo_path(f"/actions/runs/{stale['id']}"))
            except NotFound:
                continue  # deleted meanwhile (another cron, a person)
            deleted += 1
    lines = [
        "### Superseded check runs of open pull requests",
        "",
        f"- open pull requests with runs of {WORKFLOW}: {len(groups)}",
        f"- superseded completed runs deleted: {deleted}",
        f"- left for the next sweep (at most {MAX_DELETES} per sweep): {left}",
    ]
    ctx.write_summary("\n".join(lines))
    print("\n".join(lines[2:]))
    return Exit.OK


COMMAND = Command(
    name="dismiss-runs",
    summary="Opt-in: delete all but the newest run of the check workflow per open pull request.",
    permissions=(
        Permission("actions", "write", "list the check workflow's runs and delete superseded ones"),
        Permission("pull-requests", "read", "match runs to open pull requests"),
    ),
    add_arguments=no_arguments,
    run=run,
)
