"""assign: the map's reviewers are requested once each, and only those who should be."""

from __future__ import annotations

import itertools

import pytest
from fake_github import FakeGitHub
from repowarden.runtime.commands import load
from support.least_privilege import assert_least_privilege
from support.runner import Outcome, Runner

PERMS = {"pull-requests": "write"}


def assign(runner: Runner, number: int, action: str = "opened") -> Outcome:
    return runner.run(
        "assign", "pull_request_target", runner.pull_event(number, action), permissions=PERMS
    )


def requested(github: FakeGitHub, number: int) -> list[str]:
    return list(github.pull("o/r", number).requested_reviewers)


@pytest.mark.parametrize(
    ("author", "expected"),
    [("alice", ["bob", "carol"]), ("Alice", ["bob", "carol"]), ("mallory", ["admin1", "admin2"])],
)
def test_map_entry_or_star(
    runner: Runner, github: FakeGitHub, author: str, expected: list[str]
) -> None:
    pr = github.add_pull("o/r", author=author, head_repo=None if author != "mallory" else "m/r")
    start = len(github.calls)
    outcome = assign(runner, pr)
    assert outcome.code == 0, outcome.err
    assert requested(github, pr) == expected
    assert f"- requested: {', '.join(expected)}" in outcome.summary
    # A freshly opened PR: the event has everything, one call requests everyone.
    assert [(c.method, c.status) for c in github.calls[start:]] == [("POST", 201)]


def test_author_is_never_requested(runner: Runner, github: FakeGitHub) -> None:
    runner.set_config(reviewers='alice: [alice, bob]\n"*": [admin1, admin2]')
    pr = github.add_pull("o/r", author="alice")
    outcome = assign(runner, pr)
    assert requested(github, pr) == ["bob"]
    assert "- skipped alice: the author" in outcome.summary


def test_bots_duplicates_and_people_already_asked_are_skipped(
    runner: Runner, github: FakeGitHub
) -> None:
    runner.set_config(
        "bots:\n  logins: [helper-bot]",
        reviewers='alice: [bob, Bob, "ci[bot]", helper-bot, carol, dave]\n"*": [admin1, admin2]',
    )
    pr = github.add_pull("o/r", author="alice")
    github.pull("o/r", pr).requested_reviewers.append("Carol")
    outcome = assign(runner, pr)
    assert requested(github, pr) == ["Carol", "bob", "dave"]
    assert "- skipped ci[bot]: a bot" in outcome.summary
    assert "- skipped helper-bot: a bot" in outcome.summary
    assert "- skipped carol: already requested" in outcome.summary
    posted = github.calls_matching("POST", "requested_reviewers")
    assert [c.body for c in posted] == [{"reviewers": ["bob", "dave"]}]


def test_reviewers_who_already_reviewed_are_not_asked_again(
    runner: Runner, github: FakeGitHub
) -> None:
    pr = github.add_pull("o/r", author="alice")
    github.add_review("o/r", pr, user="carol", state="COMMENTED", body="early look")
    outcome = assign(runner, pr, "reopened")
    assert requested(github, pr) == ["bob"]
    assert "- skipped carol: already reviewed" in outcome.summary


def test_at_most_fifteen(runner: Runner, github: FakeGitHub) -> None:
    many = [f"rev{i:02d}" for i in range(18)]
    for login in many:
        github.add_collaborator("o/r", login)
    runner.set_config(reviewers=f'"*": [{", ".join(many)}]')
    pr = github.add_pull("o/r", author="mallory")
    outcome = assign(runner, pr, "ready_for_review")
    assert outcome.code == 0, outcome.err
    assert requested(github, pr) == many[:15]
    assert "- skipped rev17: GitHub allows at most 15" in outcome.summary


@pytest.mark.parametrize("action", ["synchronize", "labeled"])
def test_other_actions_do_nothing(runner: Runner, github: FakeGitHub, action: str) -> None:
    pr = github.add_pull("o/r", author="alice")
    outcome = assign(runner, pr, action)
    assert outcome.code == 0
    assert f"nothing to do on {action!r}" in outcome.out
    assert github.calls == []


def test_drafts_wait(runner: Runner, github: FakeGitHub) -> None:
    pr = github.add_pull("o/r", author="alice", draft=True)
    outcome = assign(runner, pr)
    assert outcome.code == 0
    assert "is a draft" in outcome.out
    assert github.calls == []


def test_non_collaborator_is_dropped_and_the_rest_requested(
    runner: Runner, github: FakeGitHub
) -> None:
    runner.set_config(reviewers='"*": [admin1, stranger, admin2]')
    pr = github.add_pull("o/r", author="mallory", head_repo="mallory/r")
    outcome = assign(runner, pr)
    assert outcome.code == 0, outcome.err
    assert requested(github, pr) == ["admin1", "admin2"]
    assert "- skipped stranger: not a collaborator of o/r (GitHub refused)" in outcome.summary
    # Each login on its own finds the outsider; `GET /collaborators/{login}` would need
    # push access, which a pull-requests: write token lacks (docs/github-facts.md).
    assert [(c.method, c.body["reviewers"], c.status) for c in github.calls] == [
        ("POST", ["admin1", "stranger", "admin2"], 422),
        ("POST", ["admin1"], 201),
        ("POST", ["stranger"], 422),
        ("POST", ["admin2"], 201),
    ]


def test_pick_draws_the_same_reviewers_for_the_same_pull_request(
    runner: Runner, github: FakeGitHub
) -> None:
    many = ["rev1", "rev2", "rev3", "rev4", "rev5"]
    for login in many:
        github.add_collaborator("o/r", login)
    runner.set_config("pick: 2", reviewers=f'"*": [{", ".join(many)}]')
    first = github.add_pull("o/r", author="mallory")
    second = github.add_pull("o/r", author="mallory")
    assign(runner, first)
    assign(runner, second)
    # Seeded by "o/r#<number>": fixed per pull request, different across them.
    assert requested(github, first) == ["rev2", "rev5"]
    assert requested(github, second) == ["rev1", "rev2"]
    github.pull("o/r", first).requested_reviewers.clear()
    assign(runner, first, "reopened")
    assert requested(github, first) == ["rev2", "rev5"]


def test_least_privilege(runner: Runner, github: FakeGitHub) -> None:
    refs = itertools.count()

    def attempt(token: str) -> Outcome:
        pr = github.add_pull("o/r", author="alice", head_ref=f"lp-{next(refs)}")
        return runner.run("assign", "pull_request_target", runner.pull_event(pr), token=token)

    assert_least_privilege(load("assign"), github, attempt)


RULES = """\
groups:
  owners: [owner1, owner2]
  others: [other1, other2, other3]
  staff: [zed]
rules:
  - name: code
    if: {author: {is: [internal]}}
    require: {approvals: 2, from: [owners, others], at_least_one_from: owners}
assign:
  preferred:
    other3: [/lib/db/]
  omit: [owner2]
"""


def test_rules_choose_preferred_then_drawn_reviewers(runner: Runner, github: FakeGitHub) -> None:
    """review_test.go TestGetCodeReviewers, end to end: the preferred reviewer of the
    changed path, then one owner (owner2 is omitted, so owner1)."""
    runner.set_config(RULES)
    for login in ("owner1", "owner2", "other1", "other2", "other3"):
        github.add_collaborator("o/r", login)
    pr = github.add_pull("o/r", author="zed", files={"lib/db/engine.go": "package db\n"})
    start = len(github.calls)
    outcome = assign(runner, pr)
    assert outcome.code == 0, outcome.err
    assert sorted(requested(github, pr)) == ["other3", "owner1"]
    assert "- other3: rule 'code': preferred for lib/db/engine.go" in outcome.summary
    assert "- owner1: rule 'code': drawn from code/owners" in outcome.summary
    # zed has no map entry, only a group: the rules alone choose. The files, one request.
    assert [(c.method, c.path.rsplit("/", 1)[-1]) for c in github.calls[start:]] == [
        ("GET", "files"),
        ("POST", "requested_reviewers"),
    ]


def test_backport_gets_the_original_reviewers(runner: Runner, github: FakeGitHub) -> None:
    """assign.go getReviewers: a backport ('[v17] …' title) names its original."""
    runner.set_config(RULES + "  backports: {titles: ['[[]v[0-9]*[]] *']}\n")
    for login in ("carol", "dave"):
        github.add_collaborator("o/r", login)
    original = github.add_pull("o/r", author="alice")
    github.add_review("o/r", original, user="dave", state="APPROVED")
    github.add_review("o/r", original, user="renovate[bot]", state="APPROVED")
    backport = github.add_pull("o/r", author="alice", title=f"[v17] Fix the proxy (#{original})")
    outcome = assign(runner, backport)
    assert outcome.code == 0, outcome.err
    assert requested(github, backport) == ["dave"]
    assert f"- a backport of #{original}: its reviewers are requested" in outcome.summary
