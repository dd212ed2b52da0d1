"""sweep: the cron backstop that settles the gate of every open pull request.

The gate is written within a run's own duration of the event that decides it (by
`check` on pull_request_target and on workflow_run after a review); GitHub delays
scheduled runs and may drop them, so this sweep is not how the gate gets written,
only how a missed event is repaired. It runs at an off minute (the default schedule
avoids :00 and :30, when GitHub's scheduler is busiest), only over open pull
requests, reads each gate before anything else and writes only when the answer
changed (so a SHA never collects statuses towards GitHub's cap of 1,000).

Budget per sweep: the pages listing the open pull requests plus 2 calls per open
pull request (read the gate, read the reviews), which is the whole cost when every
gate is current, as it is when the event-driven runs did their work. Repairing a
gate costs 2 more (re-read the pull request right before writing, write), for at
most `MAX_REPAIRS` pull requests per sweep. A pull request with more than 100
reviews or one that needs an org membership lookup costs extra reads; once the
reads are spent the rest wait for the next sweep, most recently updated first. A
pull request whose SHA reached the status cap is reported and the sweep goes on.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from repowarden.runtime.commands import COMPARE_COMMITS, Command, Permission, no_arguments
from repowarden.runtime.context import RunContext
from repowarden.runtime.errors import BadInput, Exit
from repowarden.runtime.github import GitHub, GitHubError

if TYPE_CHECKING:
    from repowarden.runtime.gate import Step

EVENTS = ("schedule", "workflow_dispatch")
CALLS_PER_PULL = 2
CALLS_PER_REPAIR = 2
MAX_REPAIRS = 50


class BudgetSpent(Exception):
    """The sweep's API budget allows no further call."""


class CountingGitHub(GitHub):
    """The client, counting every request it sends; none beyond `limit` once it is set."""

    calls = 0
    limit: int | None = None

    def _raw(self, method: str, path: str, query: dict[str, Any] | None, data: Any) -> Any:
        if self.limit is not None and self.calls >= self.limit:
            raise BudgetSpent(f"{method} {path}")
        self.calls += 1
        return super()._raw(method, path, query, data)


def open_pulls(gh: GitHub) -> list[dict[str, Any]]:
    """Every open pull request, most recently updated first (one call per 100)."""
    return list(gh.paginate(gh.repo_path("/pulls"), state="open", sort="updated", direction="desc"))


def run(args: argparse.Namespace) -> int:
    from repowarden.runtime.config import load_config
    from repowarden.runtime.gate import Settled, settle, writer_for
    from repowarden.runtime.policy import PullFacts

    ctx = RunContext.from_env()
    config = load_config(args.config)
    if ctx.event_name not in EVENTS:
        raise BadInput(
            f"sweep runs on {', '.join(EVENTS)}, but GITHUB_EVENT_NAME is {ctx.event_name!r}"
        )
    gh = CountingGitHub(ctx.repository)
    writer = writer_for(gh, config, ctx.run_url)
    pulls = open_pulls(gh)
    reads = gh.calls + CALLS_PER_PULL * len(pulls)
    repairs = min(MAX_REPAIRS, len(pulls))
    budget = gh.limit = reads + CALLS_PER_REPAIR * repairs
    spent = {"write": 0}

    def allow(step: Step) -> bool:
        if step == "write":
            spent["write"] += 1
            return spent["write"] <= repairs
        # Reads may use what repairs left unused, never what they may still need.
        return gh.calls + CALLS_PER_PULL <= budget - CALLS_PER_REPAIR * (repairs - spent["write"])

    results: list[Settled] = []
    for raw in pulls:
        pull = PullFacts.from_api(raw)
        try:
            results.append(
                settle(
                    gh,
                    config,
                    pull.number,
                    writer,
                    pull=pull,
                    allow=allow,
                    compare=args.compare_commits,
                )
            )
        except BudgetSpent:
            # Only reads are cut short: a write is begun only when the budget allows it.
            results.append(Settled(pull.number, "deferred", pull.head_sha, detail="budget spent"))
        except GitHubError as exc:
            # One pull request GitHub would not answer for does not stop the others.
            print(f"#{pull.number}: {exc}", file=sys.stderr)
            results.append(Settled(pull.number, "failed", pull.head_sha, detail=str(exc)))

    def listed(action: str) -> list[str]:
        return [r.line for r in results if r.action == action]

    lines = [
        "### Gate sweep (backstop)",
        "",
        f"- open pull requests: {len(pulls)}",
        f"- API calls: {gh.calls} of a budget of {budget} (listing pages + "
        f"{CALLS_PER_PULL} per open pull request + {CALLS_PER_REPAIR} per repaired gate, "
        f"at most {repairs} repairs)",
        f"- gates unchanged: {len(listed('unchanged'))}",
        f"- gates written: {_listed(listed('written'))}",
        f"- deferred to the next sweep (budget spent): {_listed(listed('deferred'))}",
        f"- at GitHub's status cap, not written: {_listed(listed('capped'))}",
        f"- changing while evaluated, left to their next run: {_listed(listed('moving'))}",
        f"- GitHub failed or refused: {_listed(listed('failed'))}",
    ]
    ctx.write_summary("\n".join(lines))
    print("\n".join(lines[2:]))
    return Exit.GITHUB if listed("failed") else Exit.OK


def _listed(items: list[str], limit: int = 20) -> str:
    if not items:
        return "none"
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return f"{', '.join(items[:limit])}{more}"


COMMAND = Command(
    name="sweep",
    summary="Backstop: settle the gate of every open pull request, writing only changes, "
    "within a budget of 2 API calls per open pull request.",
    permissions=(
        Permission("pull-requests", "read", "list open pull requests and read their reviews"),
        Permission("statuses", "write", "read the review status and set it where it changed"),
    ),
    app_permissions=(
        Permission("checks", "write", "read the gate's check run and create one where it changed"),
        Permission("pull-requests", "read", "list open pull requests and read their reviews"),
        Permission("members", "read", "recognise private members of review.external.org"),
    ),
    add_arguments=no_arguments,
    run=run,
    options=(COMPARE_COMMITS,),
)
