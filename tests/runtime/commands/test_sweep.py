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
    assert "- API calls: 5 of a budget of 9" in second.summary


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


def test_the_budget_holds_and_the_rest_waits_for_the_next_sweep(
    runner: Runner, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repowarden.runtime.commands import sweep as sweep_module

    monkeypatch.setattr(sweep_module, "MAX_REPAIRS", 2)
    pulls = [approved_pull(github, f"b{i}") for i in range(5)]
    github.calls.clear()
    first = sweep(runner)
    # 1 page + 2 per PR + 2 per repair (at most 2 repairs) = 15.
    assert len(github.calls) == 15
    assert "- API calls: 15 of a budget of 15" in first.summary
    assert len(github.calls_matching("POST", r"/statuses/")) == 2
    assert "- deferred to the next sweep (budget spent): #" in first.summary

    for _ in range(2):
        sweep(runner)
    heads = [github.pull("o/r", pr).head_sha for pr in pulls]
    assert all(github.statuses("o/r", sha)[CONTEXT].state == "success" for sha in heads)


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
