"""Benchmark 4: GitHub API economy, counted from the fake GitHub's call log.

Each scenario runs one runtime command in a fresh process against the fake GitHub
(started here, on loopback) and counts every HTTP request the fake received, beside
a lower bound derived from first principles (what any correct implementation must
ask GitHub, given what the event payload already says). Target: calls / lower
bound <= 1.1. When a ratio misses, the JSON and the printed notes list the calls by
shape, so the extra ones are visible.

How the lower bounds are counted (bench/README.md says the same):
- check, PR with R reviews, internal author. The gate design (issue 10) trusts no
  payload field but the PR number: the PR is read (current head and labels), the gate
  on its head is read (write only on change), the reviews are read, ceil(R / 100)
  pages at GitHub's maximum per_page of 100, the PR is read again right before writing
  (still this head, these labels?), and the status is written:
  1 + 1 + 3 + 1 + 1 = 7 for R = 250.
- dismiss-runs (opt-in since issue 10), P open PRs with N completed runs of the
  check workflow, all from branches of the repository: the runs are listed,
  ceil(N / 100) pages, the open PRs too, ceil(P / 100) pages (only their superseded
  runs go), and at most 40 superseded runs are deleted per sweep (GitHub's secondary
  limit: 80 content-creating requests a minute): P = 300, N = 2,000 -> 20 + 3 + 40 = 63.
- sweep (the cron backstop), P open PRs whose gates are current (the event-driven
  runs wrote them): the open PRs are listed, ceil(P / 100) pages, and each PR the sweep
  evaluates costs its gate and its reviews, 2 calls; nothing is written. Since the
  sweep keeps to 450 of GitHub's 900 points a minute, it evaluates E of them, E =
  220 for P = 300 (the rest wait for the next sweeps, which start 20 PRs further):
  3 + 2 x 220 = 443. Cold (no gate written yet, every PR approved): the same reads,
  plus 2 calls (re-read, write) for each of at most 20 repairs per sweep:
  3 + 2 x E + 2 x 20 with E = 163 for P = 300: 369. The bound is counted from the
  calls' shapes (E = the gates read), so it states what any implementation pays for
  the PRs this sweep covered; the budget is what bounds E.
- assign, PR opened by an external contributor (not in the map, no org configured,
  so no membership lookup): the payload carries the author, the draft flag and the
  requested reviewers, and a pull request that was just opened cannot have reviews
  yet, so the only call needed is 1 POST of the requested reviewers: lower bound 1.
  On `reopened` (and ready_for_review) reviews may exist and must be read so no one
  who already reviewed is asked again: 1 review page + 1 POST = 2. Both are measured.
- extra, beyond issue 6: check on an external contributor's PR when
  review.external.org is the repository's owner (teleport's config has
  `org: gravitational`). Whether the author is a public member decides the rule, but
  GitHub already rules membership out for an outsider: `author_association` is MEMBER
  (or OWNER) for every member of the owning organisation, public or private, so any
  other value (FIRST_TIME_CONTRIBUTOR here) needs no lookup. Lower bound: as check,
  with 1 review page: 1 + 1 + 1 + 1 + 1 = 5.

    python bench/api_economy.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import BenchError, Result, emit, machine, parse_args
from _scenarios import (
    ASSIGN_PERMISSIONS,
    CHECK_PERMISSIONS,
    DISMISS_PERMISSIONS,
    ORG_CONFIG,
    REPO,
    SWEEP_PERMISSIONS,
    approved_pulls,
    base_repo,
    describe_calls,
    external_pull,
    fake_github,
    fake_github_module,
    reviewed_pull,
    runner_env,
    runtime,
    stale_runs,
)

TARGET_RATIO = 1.1
PER_PAGE = 100
MAX_DELETES = 40  # runtime/commands/dismiss_runs.py
MAX_REPAIRS = 20  # runtime/commands/sweep.py
SWEEP_POINTS = 450  # runtime/commands/sweep.py: half of GitHub's 900 points a minute


def check_scenario(work: Path, reviews: int) -> dict[str, Any]:
    with fake_github() as gh:
        base_repo(gh)
        _, event = reviewed_pull(gh, reviews)
        env = runner_env(
            gh, work, event_name="pull_request_target", event=event, permissions=CHECK_PERMISSIONS
        )
        start = len(gh.calls)
        sample = runtime("check", env=env, cwd=work)
        calls = list(gh.calls[start:])
        bound = math.ceil(reviews / PER_PAGE) + 4
        head = event["pull_request"]["head"]["sha"]
        status = gh.state.latest_statuses(REPO, head).get("repowarden/review")
        ok = sample.returncode == 0 and status is not None and status.state == "success"
        return _scenario(
            f"check, PR with {reviews} reviews (approval last)",
            calls,
            bound,
            f"PR + gate + ceil({reviews}/{PER_PAGE}) review pages + PR again + 1 status write",
            ok,
            sample,
        )


def dismiss_scenario(work: Path, pulls: int, runs: int) -> dict[str, Any]:
    with fake_github() as gh:
        base_repo(gh)
        made = stale_runs(gh, pulls, runs)
        env = runner_env(
            gh,
            work,
            event_name="schedule",
            event={"schedule": "17 * * * *"},
            permissions=DISMISS_PERMISSIONS,
        )
        start = len(gh.calls)
        sample = runtime("dismiss-runs", env=env, cwd=work)
        calls = list(gh.calls[start:])
        pages = math.ceil(made["runs"] / PER_PAGE)
        pull_pages = math.ceil(made["pulls"] / PER_PAGE)
        deletes = min(MAX_DELETES, made["stale"])
        left = len(gh.state.runs_of(REPO, made["workflow_id"]))
        ok = sample.returncode == 0 and left == made["runs"] - deletes
        return _scenario(
            f"dismiss-runs (opt-in), {pulls} open PRs, {made['runs']} runs",
            calls,
            pages + pull_pages + deletes,
            f"{pages} run-list pages + {pull_pages} open-PR pages + {deletes} deletes "
            f"(at most {MAX_DELETES} per sweep)",
            ok,
            sample,
            extra={"runs_left": left, "runs_expected_left": made["runs"] - deletes},
        )


def sweep_scenario(work: Path, pulls: int, *, current: bool) -> dict[str, Any]:
    # Sweeps run an hour apart (the cron); in simulated time, so that the settling
    # sweeps below do not spend the measured sweep's rate limits.
    clock = fake_github_module().clock.SimulatedClock()
    with fake_github(clock) as gh:
        base_repo(gh)
        numbers = approved_pulls(gh, pulls)
        env = runner_env(
            gh,
            work,
            event_name="schedule",
            event={"schedule": "17 * * * *"},
            permissions=SWEEP_PERMISSIONS,
        )
        run_number = 1
        if current:  # the event-driven runs wrote every gate: earlier sweeps settle them
            # Each sweep repairs at most MAX_REPAIRS gates, starting MAX_REPAIRS further
            # than the last (GITHUB_RUN_NUMBER): ceil(pulls / MAX_REPAIRS) sweeps.
            for _ in range(math.ceil(pulls / MAX_REPAIRS)):
                runtime("sweep", env={**env, "GITHUB_RUN_NUMBER": str(run_number)}, cwd=work)
                run_number += 1
                clock.advance(3600)
        start = len(gh.calls)
        sample = runtime("sweep", env={**env, "GITHUB_RUN_NUMBER": str(run_number)}, cwd=work)
        calls = list(gh.calls[start:])
        pages = math.ceil(pulls / PER_PAGE)
        written = sum(1 for c in calls if c.method == "POST")
        evaluated = sum(1 for c in calls if c.path.endswith("/status"))
        points = sum(1 if c.method == "GET" else 5 for c in calls)
        heads = [gh.state.pull(REPO, n).head_sha for n in numbers]
        gated = sum(1 for h in heads if "repowarden/review" in gh.state.latest_statuses(REPO, h))
        # Current: nothing to write, and every gate there. Cold: the repair cap is used.
        ok = (
            sample.returncode == 0
            and points <= SWEEP_POINTS
            and (gated == pulls and written == 0 if current else written == min(MAX_REPAIRS, pulls))
        )
        return _scenario(
            f"sweep, {pulls} open PRs, gates {'current' if current else 'never written'}",
            calls,
            pages + 2 * evaluated + 2 * written,
            f"{pages} open-PR pages + 2 x {evaluated} evaluated (gate, reviews)"
            + (f" + 2 x {written} repairs (re-read, write)" if written else "")
            + f"; {pulls - evaluated} wait for the next sweeps ({points} of "
            f"{SWEEP_POINTS} points)",
            ok,
            sample,
            extra={
                "gates_written": written,
                "gates_present": gated,
                "evaluated": evaluated,
                "points": points,
            },
        )


def assign_scenario(work: Path, action: str) -> dict[str, Any]:
    with fake_github() as gh:
        base_repo(gh)
        number, event = external_pull(gh, action)
        env = runner_env(
            gh, work, event_name="pull_request_target", event=event, permissions=ASSIGN_PERMISSIONS
        )
        start = len(gh.calls)
        sample = runtime("assign", env=env, cwd=work)
        calls = list(gh.calls[start:])
        requested = sorted(r.lower() for r in gh.state.pull(REPO, number).requested_reviewers)
        ok = sample.returncode == 0 and requested == ["admin1", "admin2", "admin3"]
        bound, how = (
            (1, "1 POST requested_reviewers")
            if action == "opened"
            else (2, "1 review page + 1 POST requested_reviewers")
        )
        return _scenario(
            f"assign, PR by an external contributor, {action}",
            calls,
            bound,
            how,
            ok,
            sample,
            extra={"requested": requested},
        )


def external_check_scenario(work: Path) -> dict[str, Any]:
    with fake_github() as gh:
        base_repo(gh)
        number, event = external_pull(gh, "synchronize")
        head = event["pull_request"]["head"]["sha"]
        for login in ("admin1", "admin2"):
            gh.add_review(REPO, number, user=login, state="APPROVED", commit_id=head)
        env = runner_env(
            gh, work, event_name="pull_request_target", event=event, permissions=CHECK_PERMISSIONS
        )
        start = len(gh.calls)
        sample = runtime("check", env=env, cwd=work, config=ORG_CONFIG)
        calls = list(gh.calls[start:])
        status = gh.state.latest_statuses(REPO, head).get("repowarden/review")
        ok = sample.returncode == 0 and status is not None and status.state == "success"
        return _scenario(
            "extra: check, external contributor's PR, review.external.org = the repo's owner",
            calls,
            5,
            "PR + gate + 1 review page + PR again + 1 status write; author_association "
            "rules membership out",
            ok,
            sample,
        )


def _scenario(
    label: str,
    calls: list[Any],
    bound: int,
    how: str,
    ok: bool,
    sample: Any,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if not ok:
        raise BenchError(
            f"{label}: the command did not do its job (exit {sample.returncode}); a call "
            f"count of a failed run means nothing.\nstderr: {sample.stderr[-3000:]}"
        )
    return {
        "what": label,
        "calls": len(calls),
        "lower_bound": bound,
        "lower_bound_how": how,
        "ratio": len(calls) / bound,
        "target": TARGET_RATIO,
        "met": len(calls) / bound <= TARGET_RATIO,
        "failed_calls": sum(1 for c in calls if c.status >= 400),
        "by_shape": describe_calls(calls),
        "wall_s": sample.wall_s,
        **(extra or {}),
    }


def measure(args: argparse.Namespace) -> Result:
    result = Result(name="api_economy", quick=args.quick, machine=machine())
    reviews, pulls, runs = (250, 300, 2000) if not args.quick else (120, 10, 40)
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        work = Path(tmp)
        for make in (
            lambda: check_scenario(work / "check", reviews),
            lambda: dismiss_scenario(work / "dismiss", pulls, runs),
            lambda: sweep_scenario(work / "sweep-current", pulls, current=True),
            lambda: sweep_scenario(work / "sweep-cold", pulls, current=False),
            lambda: assign_scenario(work / "assign-opened", "opened"),
            lambda: assign_scenario(work / "assign-reopened", "reopened"),
            lambda: external_check_scenario(work / "check-external-org"),
        ):
            try:
                result.add(**make())
            except BenchError as exc:
                if not args.keep_going:
                    raise
                result.notes.append(f"NOT MEASURED: {str(exc).splitlines()[0]}")
    return result


def main(argv: list[str] | None = None) -> int:
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument(
        "--keep-going", action="store_true", help="record a failed scenario and go on"
    )
    known, rest = extra.parse_known_args(argv)
    args = parse_args(__doc__ or "", rest)
    args.keep_going = known.keep_going
    result = measure(args)
    rows = []
    for row in result.rows:
        verdict = "met" if row["met"] else "**missed**"
        rows.append(
            [
                row["what"],
                str(row["calls"]),
                f"{row['lower_bound']} ({row['lower_bound_how']})",
                f"{row['ratio']:.3f}",
                f"<= {TARGET_RATIO} {verdict}",
            ]
        )
        if not row["met"]:
            shapes = "; ".join(f"{k}: {v}" for k, v in row["by_shape"].items())
            result.notes.append(f"{row['what']}: calls by shape: {shapes}")
    emit(result, ["scenario", "calls", "lower bound", "ratio", "target"], rows, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
