"""sweep: the cron backstop that settles the gate of every open pull request.

The gate is written within a run's own duration of the event that decides it (by
`check` on pull_request_target and on workflow_run after a review); GitHub delays
scheduled runs and may drop them, so this sweep is not how the gate gets written,
only how a missed event is repaired. It runs at an off minute (the default schedule
avoids :00 and :30, when GitHub's scheduler is busiest), only over open pull
requests, reads each gate before anything else and writes only when the answer
changed (so a SHA never collects statuses towards GitHub's cap of 1,000).

Calls: the pages listing the open pull requests, plus 2 per pull request it
evaluates (read the gate, read the reviews), plus 2 per repaired gate (re-read the
pull request right before writing, write), for at most `MAX_REPAIRS` repairs:
never more than pages + 2 per open pull request + 2 x `MAX_REPAIRS`.

GitHub's limits, and why a budget rather than pacing. GitHub's secondary limits
("Rate limits for the REST API", section "About secondary rate limits",
https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api)
allow 900 points a minute (GET 1 point; POST, PATCH, PUT, DELETE 5) and 80
content-creating requests a minute (500 an hour); GITHUB_TOKEN has 1,000 requests an
hour per repository, shared by every job. "Best practices for using the REST API"
(https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api)
asks for serial requests and no retry before `retry-after`. Pacing the sweep over
minutes would hold a runner for the whole time and still guarantee nothing, since
nobody knows how GitHub cuts its minutes or what other jobs send meanwhile; honouring
`retry-after` longer means hitting the limit first, which is exactly the refusal that
other jobs would then meet too. So the sweep spends a fixed share whatever the timing:
- at most `SWEEP_POINTS` = 450 points, half of the minute's 900, counted per request
  and enforced by the client, so that even when the whole sweep lands within one
  minute the other half is left to every other job of the repository (the opt-in
  dismiss-runs job beside it takes at most 40 deletes, 200 points, plus its listing);
- at most `MAX_REPAIRS` = 20 writes: a quarter of the minute's 80 content-creating
  requests and 4 % of the hour's 500, with a sweep every 30 minutes;
- never below `HOURLY_RESERVE` (40 %) of the hour's limit: the sweep reads
  `x-ratelimit-limit` and `x-ratelimit-remaining` from its listing and shrinks its
  budget to leave that much of the hour to the others (the docs give no share; this
  is ours, the stricter side of "shared by every job").
Which requests count as content-creating is not documented: every write is counted.
Serial requests stay far from the 100 concurrent ones. A pull request with more than
100 reviews or an org membership lookup costs extra reads, within the same budget.

Rotation (no open pull request is starved). The open pull requests are taken in
order of their number, starting at position (GITHUB_RUN_NUMBER x `MAX_REPAIRS`)
modulo their count and wrapping around. Before evaluating a pull request the sweep
keeps the points its possible repair would need, so the first `MAX_REPAIRS` pull
requests from the start are always settled; GitHub's run number grows by one per run
of the workflow (dropped schedules start no run), so successive sweeps settle
successive windows. With the set of open pull requests unchanged, every missing gate
is repaired within ceil(open PRs / `MAX_REPAIRS`) sweeps (15 for 300), and a
steady-state sweep (gates current) evaluates 220 of 300 (2 points each, with a
repair's 6 kept in hand), so each pull request is evaluated at least every 5 sweeps.
A pull request whose SHA reached the status cap is reported and the sweep goes on.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from repowarden.runtime.commands import COMPARE_COMMITS, Command, Permission, no_arguments
from repowarden.runtime.context import RunContext
from repowarden.runtime.errors import BadInput, Exit
from repowarden.runtime.github import GitHub, GitHubError

if TYPE_CHECKING:
    from repowarden.runtime.gate import Settled, Step

EVENTS = ("schedule", "workflow_dispatch")
SWEEP_POINTS = 450
MAX_REPAIRS = 20
HOURLY_RESERVE = 0.4
READS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_POINTS = 5
CALLS_PER_PULL = 2  # read the gate, read the reviews
CALLS_PER_REPAIR = 2  # re-read the pull request, write the gate
POINTS_PER_PULL = CALLS_PER_PULL
POINTS_PER_REPAIR = 1 + WRITE_POINTS


def points(method: str) -> int:
    """A request's cost in GitHub's secondary-limit points."""
    return 1 if method.upper() in READS else WRITE_POINTS


class BudgetSpent(Exception):
    """The sweep's budget allows no further call."""


class MeteredGitHub(GitHub):
    """The client, counting calls and points; refusing any beyond the limits once set.

    It also keeps the primary limit GitHub reported last (x-ratelimit-limit and
    -remaining), which the sweep turns into its share of the hour.
    """

    calls = 0
    points = 0
    call_limit: int | None = None
    point_limit: int | None = None
    hour_limit: int | None = None
    hour_remaining: int | None = None

    def _raw(self, method: str, path: str, query: dict[str, Any] | None, data: Any) -> Any:
        cost = points(method)
        over_calls = self.call_limit is not None and self.calls + 1 > self.call_limit
        over_points = self.point_limit is not None and self.points + cost > self.point_limit
        if over_calls or over_points:
            raise BudgetSpent(f"{method} {path}")
        self.calls += 1
        self.points += cost
        response = super()._raw(method, path, query, data)
        try:
            self.hour_limit = int(response.headers["x-ratelimit-limit"])
            self.hour_remaining = int(response.headers["x-ratelimit-remaining"])
        except (KeyError, TypeError, ValueError):
            pass  # no primary limit reported (GitHub Enterprise Server with limits off)
        return response


def open_pulls(gh: GitHub) -> list[dict[str, Any]]:
    """Every open pull request (one call per 100), ordered by number.

    Listed oldest first: a pull request updated during the listing cannot move between
    pages, as it could in an order by update time.
    """
    listed = gh.paginate(gh.repo_path("/pulls"), state="open", sort="created", direction="asc")
    return sorted(listed, key=lambda raw: int(raw["number"]))


def rotation(pulls: list[dict[str, Any]], run_number: int) -> list[dict[str, Any]]:
    """The pull requests in this sweep's order: by number, from this run's start, wrapping."""
    if not pulls:
        return []
    start = run_number * MAX_REPAIRS % len(pulls)
    return pulls[start:] + pulls[:start]


@dataclass
class Budget:
    """What this sweep may still spend, and why it stops when it does."""

    gh: MeteredGitHub
    repairs: int  # writes allowed
    why_limited: str  # what set the point limit, said when it runs out
    writes: int = 0

    def _fits(self, calls: int, cost: int) -> bool:
        gh = self.gh
        assert gh.call_limit is not None
        assert gh.point_limit is not None
        return gh.calls + calls <= gh.call_limit and gh.points + cost <= gh.point_limit

    def allow(self, step: Step) -> str | None:
        """None when `step` may go ahead, else why not (said in the job summary)."""
        if step == "write":
            if self.writes >= self.repairs:
                return f"repair cap of {self.repairs} per sweep reached"
            if not self._fits(CALLS_PER_REPAIR, POINTS_PER_REPAIR):
                return self.why_limited
            self.writes += 1
            return None
        # Keep what this pull request's repair would need, while repairs remain: the
        # first MAX_REPAIRS pull requests of the rotation are then always settled.
        repair = self.writes < self.repairs
        calls = CALLS_PER_PULL + (CALLS_PER_REPAIR if repair else 0)
        cost = POINTS_PER_PULL + (POINTS_PER_REPAIR if repair else 0)
        return None if self._fits(calls, cost) else self.why_limited


def limit_budget(gh: MeteredGitHub, pulls: int) -> Budget:
    """Set the client's limits for the rest of the sweep, once the listing is done."""
    repairs = min(MAX_REPAIRS, pulls)
    gh.call_limit = gh.calls + CALLS_PER_PULL * pulls + CALLS_PER_REPAIR * repairs
    why = f"points budget of {SWEEP_POINTS} per sweep spent"
    limit = SWEEP_POINTS
    if gh.hour_limit is not None and gh.hour_remaining is not None:
        share = gh.points + gh.hour_remaining - math.ceil(HOURLY_RESERVE * gh.hour_limit)
        if share < limit:
            limit = max(gh.points, share)
            why = (
                f"this sweep's share of the hour spent ({gh.hour_remaining} of "
                f"{gh.hour_limit} requests left; {HOURLY_RESERVE:.0%} stay for other jobs)"
            )
    gh.point_limit = limit
    return Budget(gh, repairs, why)


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
    gh = MeteredGitHub(ctx.repository)
    gh.point_limit = SWEEP_POINTS  # the listing counts too
    writer = writer_for(gh, config, ctx.run_url)
    try:
        ordered = open_pulls(gh)
    except BudgetSpent:
        raise BadInput(
            f"listing the open pull requests alone would take more than {SWEEP_POINTS} "
            "points (over 45,000 open pull requests): the sweep does not fit its budget"
        ) from None
    pulls = rotation(ordered, ctx.run_number)
    pages = gh.calls
    budget = limit_budget(gh, len(pulls))

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
                    allow=budget.allow,
                    compare=args.compare_commits,
                )
            )
        except BudgetSpent:
            # A read beyond the plan (review pages, membership): writes never get here,
            # they are begun only when the budget allows them.
            results.append(Settled(pull.number, "deferred", pull.head_sha, detail="budget spent"))
        except GitHubError as exc:
            # One pull request GitHub would not answer for does not stop the others.
            print(f"#{pull.number}: {exc}", file=sys.stderr)
            results.append(Settled(pull.number, "failed", pull.head_sha, detail=str(exc)))

    def listed(action: str) -> list[Settled]:
        return [r for r in results if r.action == action]

    deferred = listed("deferred")
    unevaluated = [r for r in deferred if r.gate is None]
    unrepaired = [r for r in deferred if r.gate is not None]
    start = f"#{pulls[0]['number']}" if pulls else "none"
    upcoming = rotation(ordered, ctx.run_number + 1)
    next_start = f"#{upcoming[0]['number']}" if upcoming else "none"
    lines = [
        "### Gate sweep (backstop)",
        "",
        f"- open pull requests: {len(pulls)}, taken by number from {start} (run "
        f"{ctx.run_number} x {MAX_REPAIRS}, wrapping); the next run starts at {next_start}",
        f"- API calls: {gh.calls} ({pages} listing pages), {gh.points} points of this "
        f"sweep's {gh.point_limit} (GitHub allows 900 a minute; the rest stay for other "
        f"jobs); at most {budget.repairs} repairs",
        f"- gates unchanged: {len(listed('unchanged'))}",
        f"- gates written: {_listed(listed('written'))}",
        f"- needing a repair, deferred to the next sweep: {_listed(unrepaired)}",
        f"- not evaluated, deferred to the next sweep: {_listed(unevaluated)}",
        f"- at GitHub's status cap, not written: {_listed(listed('capped'))}",
        f"- changing while evaluated, left to their next run: {_listed(listed('moving'))}",
        f"- GitHub failed or refused: {_listed(listed('failed'))}",
    ]
    ctx.write_summary("\n".join(lines))
    print("\n".join(lines[2:]))
    return Exit.GITHUB if listed("failed") else Exit.OK


def _listed(results: list[Settled], limit: int = 20) -> str:
    """How many, and the first `limit` of them; a reason they share is said once."""
    if not results:
        return "none"
    details = {r.detail for r in results}
    if len(details) == 1 and len(results) > 1:
        numbers = [f"#{r.number}" for r in results[:limit]]
        more = f" and {len(results) - limit} more" if len(results) > limit else ""
        why = f" ({details.pop()})" if "" not in details else ""
        return f"{len(results)}{why}: {', '.join(numbers)}{more}"
    lines = [r.line for r in results[:limit]]
    more = f" and {len(results) - limit} more" if len(results) > limit else ""
    return f"{', '.join(lines)}{more}"


COMMAND = Command(
    name="sweep",
    summary="Backstop: settle the gate of every open pull request, writing only changes, "
    "within half of GitHub's per-minute points and a rotation that starves none.",
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
