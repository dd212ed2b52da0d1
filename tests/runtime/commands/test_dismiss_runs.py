"""dismiss-runs (opt-in): superseded runs of open pull requests go; everything else stays."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from fake_github import FakeGitHub
from repowarden.runtime.commands import load
from support.least_privilege import assert_least_privilege
from support.runner import Outcome, Runner

PERMS = {"actions": "write", "pull-requests": "read"}
CHECK = ".github/workflows/repowarden-check.yml"


_clock = itertools.count(1)


def at() -> str:
    """Strictly increasing creation times, so 'newest' never depends on a tie."""
    n = next(_clock)
    return f"2026-11-{1 + n // 86400:02d}T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z"


def add_runs(gh: FakeGitHub, wf: int, n: int, *, repo: str = "o/r", **kw: object) -> list[int]:
    return [gh.add_run(repo, wf, created_at=at(), **kw) for _ in range(n)]  # type: ignore[arg-type]


def remaining(gh: FakeGitHub, repo: str = "o/r") -> set[int]:
    return {r.id for r in gh.state.runs if r.repo.lower() == repo}


def dismiss(runner: Runner, **kw: object) -> Outcome:
    return runner.run("dismiss-runs", "schedule", {"schedule": "0,30 * * * *"}, **kw)  # type: ignore[arg-type]


def test_only_the_newest_run_per_pull_request_survives(runner: Runner, github: FakeGitHub) -> None:
    wf = github.add_workflow("o/r", CHECK)
    other = github.add_workflow("o/r", ".github/workflows/ci.yml")
    a = github.add_pull("o/r", author="alice", head_ref="feature")
    b = github.add_pull("o/r", author="bob", head_ref="fix")
    sha_a, sha_b = github.pull("o/r", a).head_sha, github.pull("o/r", b).head_sha
    runs_a = add_runs(github, wf, 3, head_sha=sha_a, head_branch="feature", pull_numbers=[a])
    runs_b = add_runs(github, wf, 2, head_sha=sha_b, head_branch="fix", pull_numbers=[b])
    review_run = github.add_run(
        "o/r",
        wf,
        head_sha=sha_a,
        head_branch="feature",
        pull_numbers=[a],
        event="pull_request_review",
        conclusion="failure",
        created_at=at(),
    )
    queue = add_runs(
        github,
        wf,
        2,
        head_sha="f" * 40,
        head_branch="gh-readonly-queue/main/x",
        event="merge_group",
    )
    ci = add_runs(github, other, 2, head_sha=sha_a, head_branch="feature", pull_numbers=[a])

    merged = github.add_pull("o/r", author="alice", head_ref="old", state="closed")
    sha_m = github.pull("o/r", merged).head_sha
    audit = add_runs(github, wf, 3, head_sha=sha_m, head_branch="old", pull_numbers=[merged])

    outcome = dismiss(runner, permissions=PERMS)
    assert outcome.code == 0, outcome.err
    # Review runs are not the check's runs any more; merge-queue runs and closed PRs'
    # runs are their audit trail: only superseded runs of open PRs go.
    assert remaining(github) == {runs_a[-1], review_run, runs_b[-1], *queue, *ci, *audit}
    assert "- superseded completed runs deleted: 3" in outcome.summary
    assert not github.calls_matching("POST", r"/statuses/")


def test_two_forks_with_the_same_branch_name_keep_their_own_runs(
    runner: Runner, github: FakeGitHub
) -> None:
    wf = github.add_workflow("o/r", CHECK)
    one = github.add_pull("o/r", author="mallory", head_repo="mallory/r", head_ref="patch-1")
    two = github.add_pull("o/r", author="eve", head_repo="eve/r", head_ref="patch-1")
    old_one = github.pull("o/r", one).head_sha
    first = add_runs(github, wf, 2, head_sha=old_one, head_repo="mallory/r", head_branch="patch-1")
    new_one = github.push("o/r", one)
    newest_one = add_runs(
        github, wf, 1, head_sha=new_one, head_repo="mallory/r", head_branch="patch-1"
    )
    sha_two = github.pull("o/r", two).head_sha
    runs_two = add_runs(github, wf, 2, head_sha=sha_two, head_repo="eve/r", head_branch="patch-1")
    # A closed fork PR that reused the name: its runs form their own group too.
    gone = add_runs(github, wf, 2, head_sha="e" * 40, head_repo="trent/r", head_branch="patch-1")

    outcome = dismiss(runner, permissions=PERMS)
    assert outcome.code == 0, outcome.err
    assert remaining(github) == {newest_one[0], runs_two[-1], *gone}
    assert not set(first) & remaining(github)
    assert "- open pull requests with runs of repowarden-check.yml: 2" in outcome.summary


def test_running_checks_are_left_alone(runner: Runner, github: FakeGitHub) -> None:
    wf = github.add_workflow("o/r", CHECK)
    pr = github.add_pull("o/r", author="alice")
    sha = github.pull("o/r", pr).head_sha
    kw = {"head_sha": sha, "head_branch": "patch-1", "pull_numbers": [pr]}
    done = add_runs(github, wf, 1, **kw)
    running = add_runs(github, wf, 1, status="in_progress", **kw)
    newest = add_runs(github, wf, 1, status="queued", **kw)
    assert dismiss(runner, permissions=PERMS).code == 0
    assert remaining(github) == {running[0], newest[0]}
    assert done[0] not in remaining(github)


def test_at_most_max_deletes_per_sweep(
    runner: Runner, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repowarden.runtime.commands import dismiss_runs

    monkeypatch.setattr(dismiss_runs, "MAX_DELETES", 2)
    wf = github.add_workflow("o/r", CHECK)
    pr = github.add_pull("o/r", author="alice")
    sha = github.pull("o/r", pr).head_sha
    add_runs(github, wf, 5, head_sha=sha, head_branch="patch-1", pull_numbers=[pr])
    outcome = dismiss(runner, permissions=PERMS)
    assert len(remaining(github)) == 3
    assert "- left for the next sweep (at most 2 per sweep): 2" in outcome.summary


@pytest.mark.slow
def test_runs_are_paginated_and_calls_are_few(runner: Runner, github: FakeGitHub) -> None:
    wf = github.add_workflow("o/r", CHECK)
    pulls = [github.add_pull("o/r", author="alice", head_ref=f"b{i}") for i in range(25)]
    forks = [
        github.add_pull("o/r", author=f"ext{i}", head_repo=f"ext{i}/r", head_ref="patch-1")
        for i in range(5)
    ]
    for pr in pulls:
        add_runs(
            github,
            wf,
            8,
            head_sha=github.pull("o/r", pr).head_sha,
            head_branch=f"b{pulls.index(pr)}",
            pull_numbers=[pr],
        )
    for i, pr in enumerate(forks):
        add_runs(
            github,
            wf,
            10,
            head_sha=github.pull("o/r", pr).head_sha,
            head_repo=f"ext{i}/r",
            head_branch="patch-1",
        )
    assert len(remaining(github)) == 250

    outcome = dismiss(runner, permissions=PERMS)
    assert outcome.code == 0, outcome.err
    # At most MAX_DELETES (40) per sweep: under GitHub's 80 content-creating requests a
    # minute (tests/fake_github/RULES.md), which a burst of 220 would pass.
    assert len(remaining(github)) == 210
    listing = github.calls_matching("GET", r"/actions/workflows/repowarden-check\.yml/runs$")
    assert len(listing) == 3  # 100 + 100 + 50
    # Lower bound: the run pages and one DELETE per stale run, plus the one page of
    # open pull requests that maps fork runs (which carry no PR list).
    assert len(github.calls) == 3 + 40 + 1
    assert all(call.status < 400 for call in github.calls)
    # The next (hourly) sweeps go on, 40 at a time.
    assert "- left for the next sweep (at most 40 per sweep): 180" in outcome.summary


def test_only_on_schedule_or_by_hand(runner: Runner, github: FakeGitHub) -> None:
    outcome = runner.run("dismiss-runs", "push", {}, permissions=PERMS)
    assert outcome.code == 2
    assert "runs on schedule, workflow_dispatch" in outcome.err
    assert github.calls == []


def test_missing_check_workflow_is_a_github_failure(runner: Runner, github: FakeGitHub) -> None:
    outcome = dismiss(runner, permissions=PERMS)
    assert outcome.code == 3
    assert "GET /repos/o/r/actions/workflows/repowarden-check.yml/runs failed (HTTP 404)" in (
        outcome.err
    )


@pytest.mark.slow
def test_least_privilege(
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    repos = itertools.count()

    def attempt(token: str) -> Outcome:
        # A fresh repository each time: the previous attempt deleted runs.
        repo = f"o/lp{next(repos)}"
        runner = Runner(github, monkeypatch, capsys, tmp_path, repo=repo)
        wf = github.add_workflow(repo, CHECK)
        pr = github.add_pull(repo, author="alice")
        sha = github.pull(repo, pr).head_sha
        add_runs(github, wf, 2, repo=repo, head_sha=sha, head_branch="patch-1", pull_numbers=[pr])
        fork = github.add_pull(repo, author="mallory", head_repo=f"m{next(repos)}/r")
        head = github.pull(repo, fork).head_sha
        add_runs(
            github,
            wf,
            1,
            repo=repo,
            head_sha=head,
            head_repo=github.pull(repo, fork).head_repo,
            head_branch="patch-1",
        )
        return dismiss(runner, token=token)

    assert_least_privilege(load("dismiss-runs"), github, attempt)


def test_runs_of_deleted_forks_belong_to_no_open_pull_request(github: FakeGitHub) -> None:
    # GitHub sends `head_repository: null` once a fork is deleted; the fake never does.
    from repowarden.runtime.commands import dismiss_runs
    from repowarden.runtime.github import GitHub

    github.add_repo("o/r")
    pr = github.add_pull("o/r", author="mallory", head_repo="mallory/r", head_ref="patch-1")
    head = github.pull("o/r", pr).head_sha
    pulls = dismiss_runs._OpenPulls(GitHub("o/r", token=github.token({"pull-requests": "read"})))

    def pull_of(sha: str, head_repository: dict[str, str] | None) -> int | None:
        run = {"head_sha": sha, "head_branch": "patch-1", "head_repository": head_repository}
        return dismiss_runs._open_pull(run, "o/r", pulls)

    assert pull_of(head, {"full_name": "Mallory/R"}) == pr
    # Neither its commit nor its branch makes a deleted fork's run mallory's.
    assert pull_of(head, None) is None
    assert pull_of("b" * 40, None) is None
