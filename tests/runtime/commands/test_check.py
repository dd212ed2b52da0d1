"""check: exit code, job summary and one commit status per head SHA, over real HTTP."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from fake_github import FakeGitHub
from fake_github.state import Status
from repowarden.runtime.commands import load
from support.least_privilege import assert_least_privilege
from support.runner import Outcome, Runner

CONTEXT = "repowarden/review"
PERMS = {"pull-requests": "read", "statuses": "write"}
READ_ONLY = {"pull-requests": "read", "statuses": "read"}  # a fork's pull_request_review token


@pytest.fixture
def runner(
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Runner:
    return Runner(github, monkeypatch, capsys, tmp_path)


def check(runner: Runner, number: int, action: str = "synchronize", **kw: object) -> Outcome:
    return runner.run(
        "check",
        "pull_request_target",
        runner.pull_event(number, action),
        permissions=PERMS,
        **kw,  # type: ignore[arg-type]
    )


def status(gh: FakeGitHub, sha: str) -> Status:
    return gh.statuses("o/r", sha)[CONTEXT]


def test_internal_author_needs_every_listed_reviewer(runner: Runner, github: FakeGitHub) -> None:
    pr = github.add_pull("o/r", author="alice")
    head = github.pull("o/r", pr).head_sha
    github.add_review("o/r", pr, user="bob")

    first = check(runner, pr)
    assert first.code == 1
    assert "#1 NOT approved: missing approval from carol" in first.out
    assert "- **missing:** carol" in first.summary
    assert "| bob | yes | APPROVED |" in first.summary
    assert "| carol | yes | — | — | — | no review yet |" in first.summary
    assert status(github, head).state == "failure"
    assert status(github, head).description == "missing approval from carol"
    assert str(status(github, head).target_url).startswith("https://github.com/o/r/actions/runs/")

    github.add_review("o/r", pr, user="Carol")
    second = check(runner, pr)
    assert second.code == 0
    assert "approved by bob, carol" in second.summary
    # One status per head SHA and context: the second run replaced the first.
    assert status(github, head).state == "success"
    assert len([c for c in github.calls if c.method == "POST" and "/statuses/" in c.path]) == 2


def test_external_approvals_on_an_older_head_do_not_count(
    runner: Runner, github: FakeGitHub
) -> None:
    pr = github.add_pull("o/r", author="mallory", head_repo="mallory/r")
    old = github.pull("o/r", pr).head_sha
    github.add_review("o/r", pr, user="admin1")
    github.add_review("o/r", pr, user="admin2")
    new = github.push("o/r", pr)

    outcome = check(runner, pr)
    assert outcome.code == 1
    assert f"approvals on older commits do not count: admin1, admin2 (head is {new[:7]})" in (
        outcome.summary
    )
    assert status(github, new).state == "failure"
    assert CONTEXT not in github.statuses("o/r", old)

    github.add_review("o/r", pr, user="admin1")
    github.add_review("o/r", pr, user="admin2")
    assert check(runner, pr).code == 0
    assert status(github, new).state == "success"


def test_blocking_label_fails_with_approvals(runner: Runner, github: FakeGitHub) -> None:
    pr = github.add_pull("o/r", author="alice", labels=["do-not-merge"])
    github.add_review("o/r", pr, user="bob")
    github.add_review("o/r", pr, user="carol")
    outcome = check(runner, pr, "labeled")
    assert outcome.code == 1
    assert "the label 'do-not-merge' blocks merging whatever the approvals" in outcome.summary
    assert status(github, github.pull("o/r", pr).head_sha).state == "failure"


def test_250_reviews_with_the_only_approval_last(runner: Runner, github: FakeGitHub) -> None:
    runner.set_config(reviewers='alice: [bob]\n"*": [admin1, admin2]')
    pr = github.add_pull("o/r", author="alice")
    for i in range(249):
        github.add_review("o/r", pr, user=f"user{i % 7}", state="COMMENTED", body="hm")
    github.add_review("o/r", pr, user="bob")
    start = len(github.calls)

    outcome = check(runner, pr)
    assert outcome.code == 0, outcome.err
    calls = github.calls[start:]
    # The economy case of issue 6: three pages of reviews and one status, nothing else.
    assert [(c.method, c.path.rsplit("/", 1)[-1]) for c in calls] == [
        ("GET", "reviews"),
        ("GET", "reviews"),
        ("GET", "reviews"),
        ("POST", github.pull("o/r", pr).head_sha),
    ]


def test_502_twice_then_200_passes(runner: Runner, github: FakeGitHub) -> None:
    pr = github.add_pull("o/r", author="alice")
    github.add_review("o/r", pr, user="bob")
    github.add_review("o/r", pr, user="carol")
    github.fail("GET", r"/pulls/\d+/reviews$", status=502, times=2)
    outcome = check(runner, pr)
    assert outcome.code == 0, outcome.err
    assert [c.status for c in github.calls_matching("GET", r"/reviews$")] == [502, 502, 200]


def test_502_forever_fails_closed(runner: Runner, github: FakeGitHub) -> None:
    pr = github.add_pull("o/r", author="alice")
    head = github.pull("o/r", pr).head_sha
    github.add_review("o/r", pr, user="bob")
    github.add_review("o/r", pr, user="carol")
    assert check(runner, pr).code == 0
    assert status(github, head).state == "success"

    github.fail("GET", r"/pulls/\d+/reviews$", status=502, times=None)
    outcome = check(runner, pr)
    assert outcome.code == 3
    assert "GET /repos/o/r/pulls/1/reviews failed (HTTP 502)" in outcome.err
    assert "retry budget" in outcome.err
    assert "could not evaluate" in outcome.summary
    # The earlier success on this SHA no longer stands.
    assert status(github, head).state == "error"
    assert len(github.calls_matching("GET", r"/reviews$")) > 3


def test_review_from_a_fork_leaves_the_status_to_the_cron(
    runner: Runner, github: FakeGitHub
) -> None:
    pr = github.add_pull("o/r", author="mallory", head_repo="mallory/r")
    review = github.add_review("o/r", pr, user="admin1")
    outcome = runner.run(
        "check", "pull_request_review", runner.review_event(pr, review), permissions=READ_ONLY
    )
    assert outcome.code == 1
    assert "status was not written" in outcome.summary
    assert "dismiss-runs workflow refreshes" in outcome.summary
    assert github.writes() == []
    assert all(c.status < 400 for c in github.calls)


def test_review_in_the_same_repository_writes_the_status(
    runner: Runner, github: FakeGitHub
) -> None:
    pr = github.add_pull("o/r", author="alice")
    github.add_review("o/r", pr, user="bob")
    review = github.add_review("o/r", pr, user="carol")
    outcome = runner.run(
        "check", "pull_request_review", runner.review_event(pr, review), permissions=PERMS
    )
    assert outcome.code == 0
    assert status(github, github.pull("o/r", pr).head_sha).state == "success"


def test_merge_group_passes_and_reports_on_the_group_commit(
    runner: Runner, github: FakeGitHub
) -> None:
    sha = github.commit("o/r", {"queued.txt": "x\n"}, branch="gh-readonly-queue/main/pr-1")
    outcome = runner.run("check", "merge_group", runner.merge_group_event(sha), permissions=PERMS)
    assert outcome.code == 0
    assert status(github, sha).state == "success"
    assert [c.method for c in github.calls] == ["POST"]


def test_org_member_is_looked_up_only_when_it_matters(runner: Runner, github: FakeGitHub) -> None:
    runner.set_config("required: 1\nexternal:\n  org: o")
    github.add_org_member("o", "dave")
    pr = github.add_pull("o/r", author="dave", head_repo="dave/r")
    github.add_review("o/r", pr, user="admin2")
    github.push("o/r", pr)  # an org member's approvals survive a push
    assert check(runner, pr).code == 0
    assert len(github.calls_matching("GET", r"^/orgs/o/public_members/dave$")) == 1

    internal = github.add_pull("o/r", author="alice")
    before = len(github.calls)
    check(runner, internal)
    assert not [c for c in github.calls[before:] if "/orgs/" in c.path]


def test_a_non_member_of_the_owning_org_costs_no_membership_call(
    runner: Runner, github: FakeGitHub
) -> None:
    runner.set_config("external:\n  org: o")
    pr = github.add_pull("o/r", author="mallory", head_repo="mallory/r")
    github.add_review("o/r", pr, user="admin1")
    github.add_review("o/r", pr, user="admin2")
    assert check(runner, pr).code == 0
    # author_association CONTRIBUTOR already rules out membership of the owner org.
    assert not github.calls_matching("GET", r"^/orgs/")
    assert [c.method for c in github.calls] == ["GET", "POST"]


@pytest.mark.parametrize(
    ("event", "payload", "message"),
    [
        ("push", {"ref": "refs/heads/main"}, "runs on pull_request_target"),
        ("pull_request_target", {"action": "opened"}, "not a pull_request_target payload"),
    ],
)
def test_wrong_event_is_bad_input(
    runner: Runner, github: FakeGitHub, event: str, payload: dict[str, str], message: str
) -> None:
    outcome = runner.run("check", event, payload, permissions=PERMS)
    assert outcome.code == 2
    assert message in outcome.err
    assert github.calls == []


def test_least_privilege(runner: Runner, github: FakeGitHub) -> None:
    numbers = itertools.count()

    def attempt(token: str) -> Outcome:
        pr = github.add_pull("o/r", author="alice", head_ref=f"lp-{next(numbers)}")
        github.add_review("o/r", pr, user="bob")
        github.add_review("o/r", pr, user="carol")
        return runner.run("check", "pull_request_target", runner.pull_event(pr), token=token)

    assert_least_privilege(load("check"), github, attempt)
