"""sweep: the cron backstop settles open PRs' gates within its budget, writing only changes."""

from __future__ import annotations

import itertools

import pytest
from fake_github import FakeGitHub
from repowarden.runtime.commands import load
from support.least_privilege import assert_least_privilege
from support.runner import Outcome, Runner

PERMS = {"pull-requests": "read", "statuses": "write"}
CONTEXT = "repowarden/review"


def sweep(runner: Runner, **kw: object) -> Outcome:
    kw.setdefault("permissions", PERMS)
    return runner.run("sweep", "schedule", {"schedule": "17 * * * *"}, **kw)  # type: ignore[arg-type]


def approved_pull(github: FakeGitHub, ref: str) -> int:
    pr = github.add_pull("o/r", author="alice", head_ref=ref)
    github.add_review("o/r", pr, user="bob")
    github.add_review("o/r", pr, user="carol")
    return pr


def test_writes_only_what_changed_and_only_for_open_pulls(
    runner: Runner, github: FakeGitHub
) -> None:
    approved = approved_pull(github, "a")
    waiting = github.add_pull("o/r", author="mallory", head_repo="mallory/r")
    closed = approved_pull(github, "c")
    github.pull("o/r", closed).state = "closed"

    first = sweep(runner)
    assert first.code == 0, first.err
    assert github.statuses("o/r", github.pull("o/r", approved).head_sha)[CONTEXT].state == (
        "success"
    )
    assert github.statuses("o/r", github.pull("o/r", waiting).head_sha)[CONTEXT].state == (
        "failure"
    )
    assert github.statuses("o/r", github.pull("o/r", closed).head_sha) == {}
    assert "- gates written: " in first.summary

    # Nothing changed since: read the gate and the reviews of each, write nothing.
    github.calls.clear()
    second = sweep(runner)
    assert second.code == 0
    assert github.writes() == []
    assert len(github.calls) == 1 + 2 * 2  # one listing page, two calls per open PR
    assert "- gates unchanged: 2" in second.summary
    assert "- API calls: 5 (1 listing pages), 5 points of this sweep's 450" in second.summary


def test_a_pull_at_the_status_cap_does_not_stop_the_sweep(
    runner: Runner, github: FakeGitHub
) -> None:
    capped = approved_pull(github, "a")
    other = approved_pull(github, "b")
    sha = github.pull("o/r", capped).head_sha
    body = {
        "message": "Validation Failed",
        "errors": [{"message": "This SHA and context has reached the maximum number of statuses."}],
    }
    github.fail("POST", rf"/statuses/{sha}$", status=422, times=None, body=body)
    outcome = sweep(runner)
    assert outcome.code == 0, outcome.err
    assert f"- at GitHub's status cap, not written: #{capped} capped success" in outcome.summary
    assert github.statuses("o/r", github.pull("o/r", other).head_sha)[CONTEXT].state == "success"


def test_the_repair_cap_holds_and_the_rest_waits_for_the_next_sweep(
    runner: Runner, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repowarden.runtime.commands import sweep as sweep_module

    monkeypatch.setattr(sweep_module, "MAX_REPAIRS", 2)
    pulls = [approved_pull(github, f"b{i}") for i in range(5)]
    github.calls.clear()
    first = sweep(runner)
    # 1 page + 2 per PR + 2 per repair (at most 2 repairs) = 15, the stated budget.
    assert len(github.calls) == 15
    assert len(github.calls_matching("POST", r"/statuses/")) == 2
    assert (
        "- needing a repair, deferred to the next sweep: 3 (repair cap of 2 per sweep "
        f"reached): #{pulls[2]}, #{pulls[3]}, #{pulls[4]}" in first.summary
    )

    for _ in range(2):
        sweep(runner)
    heads = [github.pull("o/r", pr).head_sha for pr in pulls]
    assert all(github.statuses("o/r", sha)[CONTEXT].state == "success" for sha in heads)


def secondary_points(github: FakeGitHub) -> int:
    """Points the sweeps' requests cost under GitHub's secondary limits."""
    return sum(1 if c.method == "GET" else 5 for c in github.calls)


def test_a_sweep_never_spends_more_than_its_points_and_leaves_the_rest_of_the_minute(
    runner: Runner, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repowarden.runtime.commands import sweep as sweep_module

    monkeypatch.setattr(sweep_module, "SWEEP_POINTS", 40)
    pulls = [approved_pull(github, f"p{i}") for i in range(30)]
    github.calls.clear()
    outcome = sweep(runner)
    assert outcome.code == 0, outcome.err
    assert secondary_points(github) <= 40
    written = github.calls_matching("POST", r"/statuses/")
    # 1 page, then 4 evaluations with their repairs at 2 + 6 points: 33. A fifth would
    # need 8 more (its possible repair is kept before it is evaluated).
    assert len(written) == 4
    assert len(github.calls) == 1 + 4 * 4
    assert "not evaluated, deferred to the next sweep: 26 (points budget of 40" in (outcome.summary)
    assert f"taken by number from #{pulls[0]}" in outcome.summary


def test_successive_sweeps_rotate_so_that_every_missing_gate_is_repaired(
    runner: Runner, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A backlog bigger than one sweep: 12 PRs without a gate, 3 repairs per sweep and
    # points for little more. Sweeps start 3 further each run: ceil(12 / 3) = 4 sweeps
    # (starting where the last one did, the already repaired ones eat the points: 8).
    from repowarden.runtime.commands import sweep as sweep_module

    monkeypatch.setattr(sweep_module, "MAX_REPAIRS", 3)
    monkeypatch.setattr(sweep_module, "SWEEP_POINTS", 1 + 3 * 8 + 2 * 2)
    pulls = [approved_pull(github, f"r{i}") for i in range(12)]
    for number in range(41, 45):
        monkeypatch.setenv("GITHUB_RUN_NUMBER", str(number))
        outcome = sweep(runner)
        assert outcome.code == 0, outcome.err
    heads = [github.pull("o/r", pr).head_sha for pr in pulls]
    assert all(CONTEXT in github.statuses("o/r", sha) for sha in heads)
    # Run 44 starts at position 44 x 3 mod 12 = 0; the summary names it and the next.
    assert f"from #{pulls[0]} (run 44 x 3, wrapping); the next run starts at #{pulls[3]}" in (
        outcome.summary
    )


def test_the_sweep_leaves_its_reserve_of_the_hour_to_other_jobs(
    runner: Runner, github: FakeGitHub
) -> None:
    from fake_github import limits

    pulls = [approved_pull(github, f"h{i}") for i in range(10)]
    # Other jobs of the repository spent 580 of GITHUB_TOKEN's 1,000 requests this hour.
    token = github.state.tokens[github.token(PERMS, repo="o/r")]
    who = limits.principal(github.state, token, "/repos/o/r")
    with github.state.lock:
        for _ in range(580):
            github.limits.charge(who, "GET", admitted=False, not_modified=False)
    github.calls.clear()
    outcome = sweep(runner)
    assert outcome.code == 0, outcome.err
    # 1,000 - 580 - 1 (the listing) = 419 left; 400 stay: 19 more requests.
    assert len(github.calls) <= 1 + 19
    assert github.rate_limit_used(github.token(PERMS, repo="o/r"), "/repos/o/r") <= 600
    assert "share of the hour spent (419 of 1000 requests left" in outcome.summary
    # Two evaluations with their repairs fit in the share; the rest wait, said why.
    assert (
        f"- not evaluated, deferred to the next sweep: {len(pulls) - 2} (this sweep's share"
        in outcome.summary
    )


@pytest.mark.parametrize("event", ["push", "pull_request_target"])
def test_only_on_schedule_or_by_hand(runner: Runner, github: FakeGitHub, event: str) -> None:
    outcome = runner.run("sweep", event, {}, permissions=PERMS)
    assert outcome.code == 2
    assert "runs on schedule, workflow_dispatch" in outcome.err
    assert github.calls == []


def test_least_privilege(runner: Runner, github: FakeGitHub) -> None:
    refs = itertools.count()

    def attempt(token: str) -> Outcome:
        for pr in list(github.state.pulls.values()):
            pr.state = "closed"  # each attempt settles one fresh open PR
        approved_pull(github, f"lp{next(refs)}")
        return sweep(runner, token=token)

    assert_least_privilege(load("sweep"), github, attempt)


def test_a_listing_beyond_the_budget_stops_before_any_gate_is_read(
    runner: Runner, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 45,000 open PRs take 450 listing pages: nothing would be left to evaluate them.
    from repowarden.runtime.commands import sweep as sweep_module

    monkeypatch.setattr(sweep_module, "SWEEP_POINTS", 0)
    approved_pull(github, "x")
    outcome = sweep(runner)
    assert outcome.code == 2
    assert "listing the open pull requests alone would take more than 0 points" in outcome.err
    assert github.calls == []


def test_with_its_option_the_sweep_keeps_an_update_merges_approvals(
    runner: Runner, github: FakeGitHub
) -> None:
    """The backstop answers as the gate's jobs do (keep_approvals_on_update_merge): with
    --compare-commits and contents: read it keeps the gate green; rendered without the
    option it makes no compare call and fails closed. (The files and compare reads
    come on top of 2 calls per pull request: other PRs here leave the room.)"""
    runner.set_config("external:\n  keep_approvals_on_update_merge: true")
    for ref in ("a", "b", "c"):
        approved_pull(github, ref)
    assert sweep(runner).code == 0  # their gates are current from now on
    pr = github.add_pull("o/r", author="mallory", head_repo="mallory/r")
    github.add_review("o/r", pr, user="admin1")
    github.add_review("o/r", pr, user="admin2")
    head = runner.update_branch(pr)

    kept = sweep(runner, permissions={**PERMS, "contents": "read"}, args=("--compare-commits",))
    assert kept.code == 0, kept.err
    assert github.statuses("o/r", head)[CONTEXT].state == "success", kept.summary
    assert len(github.calls_matching("GET", r"/compare/")) == 1

    calls = len(github.calls)
    closed = sweep(runner)
    assert closed.code == 0, closed.err
    assert github.statuses("o/r", head)[CONTEXT].state == "failure", closed.summary
    assert not any("/compare/" in c.path for c in github.calls[calls:])
