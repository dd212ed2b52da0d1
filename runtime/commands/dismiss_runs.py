"""dismiss-runs: delete stale runs of the check workflow, refresh fork PRs' statuses.

Runs on schedule (and workflow_dispatch). Every pull request keeps only its newest
run of `repowarden-check.yml`, so an old failing run can never be mistaken for the
current answer; completed older runs are deleted, running ones are left alone.

Runs are grouped per pull request: by the run's `pull_requests` when GitHub fills
it, else (runs from forks, where it is always empty) by matching head repository
and head SHA, then head repository and branch, against the open pull requests. Two
forks that both push a branch `patch-1` stay apart because their head
repositories differ.

An open fork PR whose newest run came from `pull_request_review` ran with a
read-only token and could not write its status; this job re-evaluates it and
writes the status with its own token.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from repowarden.runtime.commands import Command, Permission, no_arguments
from repowarden.runtime.context import RunContext
from repowarden.runtime.errors import BadInput, Exit
from repowarden.runtime.github import GitHub, NotFound

if TYPE_CHECKING:
    from repowarden.runtime.config import Config

WORKFLOW = "repowarden-check.yml"
PR_EVENTS = ("pull_request_target", "pull_request_review", "pull_request")
READ_ONLY_EVENTS = ("pull_request_review", "pull_request")
EVENTS = ("schedule", "workflow_dispatch")

Key = tuple[str, ...]


class _OpenPulls:
    """The open pull requests, listed once and only if a run needs them."""

    def __init__(self, gh: GitHub) -> None:
        self._gh = gh
        self._pulls: list[dict[str, Any]] | None = None
        self.by_number: dict[int, dict[str, Any]] = {}
        self.by_sha: dict[tuple[str, str], int] = {}
        self.by_branch: dict[tuple[str, str], int] = {}

    def load(self) -> None:
        if self._pulls is not None:
            return
        self._pulls = list(self._gh.paginate(self._gh.repo_path("/pulls"), state="open"))
        for pull in self._pulls:
            head = pull["head"]
            repo = ((head.get("repo") or {}).get("full_name") or "").casefold()
            self.by_number[int(pull["number"])] = pull
            self.by_sha[(repo, head["sha"])] = int(pull["number"])
            self.by_branch[(repo, head["ref"])] = int(pull["number"])


def _head_repo(run: dict[str, Any]) -> str:
    return str((run.get("head_repository") or {}).get("full_name") or "").casefold()


def _key(run: dict[str, Any], repository: str, pulls: _OpenPulls) -> Key:
    head_repo = _head_repo(run)
    for item in run.get("pull_requests") or ():
        base_url = str(((item.get("base") or {}).get("repo") or {}).get("url") or "")
        if not base_url or base_url.casefold().endswith(f"/repos/{repository.casefold()}"):
            return ("pr", str(item["number"]))
    pulls.load()
    number = pulls.by_sha.get((head_repo, run["head_sha"]))
    if number is None:
        number = pulls.by_branch.get((head_repo, run.get("head_branch") or ""))
    if number is not None:
        return ("pr", str(number))
    if not head_repo:
        # The fork was deleted: only the commit still tells such runs apart.
        return ("sha", run["head_sha"])
    # A closed PR or one we cannot see: its head repository and branch still
    # identify it, and keep two forks' `patch-1` apart.
    return ("branch", head_repo, run.get("head_branch") or "")


def _newest_first(run: dict[str, Any]) -> tuple[str, int]:
    return (str(run.get("created_at") or ""), int(run["id"]))


def run(args: argparse.Namespace) -> int:
    from repowarden.runtime.config import load_config

    ctx = RunContext.from_env()
    config = load_config(args.config)
    if ctx.event_name not in EVENTS:
        raise BadInput(
            f"dismiss-runs runs on {', '.join(EVENTS)}, but GITHUB_EVENT_NAME is {ctx.event_name!r}"
        )
    gh = GitHub(ctx.repository)
    pulls = _OpenPulls(gh)

    groups: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    runs_path = gh.repo_path(f"/actions/workflows/{WORKFLOW}/runs")
    for item in gh.paginate(runs_path, key="workflow_runs"):
        if item.get("event") in PR_EVENTS:
            groups[_key(item, ctx.repository, pulls)].append(item)

    deleted = 0
    refresh: list[int] = []
    for key, runs in groups.items():
        runs.sort(key=_newest_first, reverse=True)
        newest, older = runs[0], runs[1:]
        for stale in older:
            if stale.get("status") != "completed":
                continue  # a running check finishes first; the next cron deletes it
            try:
                gh.request("DELETE", gh.repo_path(f"/actions/runs/{stale['id']}"))
            except NotFound:
                continue  # deleted meanwhile (another cron, a person)
            deleted += 1
        if (
            key[0] == "pr"
            and newest.get("event") in READ_ONLY_EVENTS
            and _head_repo(newest) != ctx.repository.casefold()
        ):
            refresh.append(int(key[1]))

    refreshed = _refresh_fork_statuses(gh, config, ctx, pulls, refresh)
    lines = [
        "### Stale check runs",
        "",
        f"- pull requests with runs of {WORKFLOW}: {len(groups)}",
        f"- stale completed runs deleted: {deleted}",
        f"- fork pull request statuses refreshed: {_listed(refreshed)}",
    ]
    ctx.write_summary("\n".join(lines))
    print("\n".join(lines[2:]))
    return Exit.OK


def _listed(items: list[str], limit: int = 20) -> str:
    if not items:
        return "none"
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return f"{', '.join(items[:limit])}{more}"


def _refresh_fork_statuses(
    gh: GitHub, config: Config, ctx: RunContext, pulls: _OpenPulls, numbers: list[int]
) -> list[str]:
    from repowarden.runtime.policy import PullFacts, status_description
    from repowarden.runtime.reviews import verdict_for, write_status

    if not numbers:
        return []
    pulls.load()
    done = []
    for number in sorted(numbers):
        raw = pulls.by_number.get(number)
        if raw is None:
            continue  # closed: its status no longer matters
        pull = PullFacts.from_api(raw)
        if not pull.from_fork:
            continue  # same-repository review runs had write access
        verdict = verdict_for(gh, config, pull)
        state = "success" if verdict.approved else "failure"
        write_status(
            gh,
            pull.head_sha,
            config.review.status_context,
            state,
            status_description(verdict),
            ctx.run_url,
        )
        done.append(f"#{number} {state}")
    return done


COMMAND = Command(
    name="dismiss-runs",
    summary="Delete all but the newest run of the check workflow per pull request; "
    "refresh the review status of open fork pull requests.",
    permissions=(
        Permission("actions", "write", "list the check workflow's runs and delete stale ones"),
        Permission("pull-requests", "read", "match fork runs to open pull requests; read reviews"),
        Permission("statuses", "write", "refresh the review status of open fork pull requests"),
    ),
    add_arguments=no_arguments,
    run=run,
)
