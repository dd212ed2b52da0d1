"""The gate evaluator: one writer's view of a pull request that changes while it works.

A second actor (a maintainer adding `do-not-merge`, the author pushing) acts between
the evaluator's calls; the client below lets that happen at a chosen call, over real
HTTP to the fake GitHub.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fake_github import FakeGitHub
from repowarden.runtime.config import parse_config
from repowarden.runtime.gate import (
    QUEUE_REFUSED,
    CheckRunGate,
    Gate,
    StatusGate,
    error_gate,
    gate_of,
    merge_queue_pull,
    pulls_for_head,
    settle,
)
from repowarden.runtime.github import GitHub
from repowarden.runtime.policy import Verdict
from support.merge_queue import merge_queue_ruleset

CONFIG_TEXT = """\
repository: o/r
review:
  admins: [admin1, admin2]
  reviewers:
    alice: [bob]
    "*": [admin1, admin2]
"""
CONFIG = parse_config(CONFIG_TEXT)
CONTEXT = "repowarden/review"


class Meanwhile(GitHub):
    """The client, letting `act` happen right after the first call matching `when`."""

    def __init__(self, repo: str, token: str, when: str, act: Callable[[], Any]) -> None:
        super().__init__(repo, token=token)
        self.when, self.act, self.done = when, act, False

    def _raw(self, method: str, path: str, query: dict[str, Any] | None, data: Any) -> Any:
        response = super()._raw(method, path, query, data)
        if not self.done and f"{method} {path}".endswith(self.when):
            self.done = True
            self.act()
        return response


@pytest.fixture
def repo(github: FakeGitHub) -> str:
    github.add_repo("o/r")
    github.add_collaborator("o/r", "bob")
    return "o/r"


def token(github: FakeGitHub) -> str:
    return github.token({"pull-requests": "read", "statuses": "write"})


def approved_pull(github: FakeGitHub) -> int:
    pr = github.add_pull("o/r", author="alice")
    github.add_review("o/r", pr, user="bob")
    return pr


def test_a_label_added_while_a_run_is_in_flight_wins(github: FakeGitHub, repo: str) -> None:
    pr = approved_pull(github)
    gh = Meanwhile(
        repo, token(github), "/reviews", lambda: github.pull(repo, pr).labels.append("do-not-merge")
    )
    result = settle(gh, CONFIG, pr, StatusGate(gh, CONTEXT, "https://run"))
    assert result.action == "written"
    status = github.statuses(repo, github.pull(repo, pr).head_sha)[CONTEXT]
    assert status.state == "failure"
    assert "do-not-merge" in " ".join(result.verdict.reasons)  # type: ignore[union-attr]
    # Only one status: the stale success was never written.
    assert len(github.calls_matching("POST", r"/statuses/")) == 1


def test_a_push_while_a_run_is_in_flight_gets_the_verdict_on_the_new_head(
    github: FakeGitHub, repo: str
) -> None:
    pr = approved_pull(github)
    old = github.pull(repo, pr).head_sha
    gh = Meanwhile(repo, token(github), "/reviews", lambda: github.push(repo, pr))
    result = settle(gh, CONFIG, pr, StatusGate(gh, CONTEXT, "https://run"))
    new = github.pull(repo, pr).head_sha
    assert (result.action, result.head_sha) == ("written", new)
    assert github.statuses(repo, old) == {}
    # bob approved the old head; an internal author's approvals still count after a push.
    assert github.statuses(repo, new)[CONTEXT].state == "success"


def test_a_pull_request_closed_meanwhile_gets_no_gate(github: FakeGitHub, repo: str) -> None:
    pr = approved_pull(github)

    def close() -> None:
        github.pull(repo, pr).state = "closed"

    gh = Meanwhile(repo, token(github), "/reviews", close)
    assert settle(gh, CONFIG, pr, StatusGate(gh, CONTEXT, "u")).action == "closed"
    assert github.writes() == []


def test_an_unchanged_gate_is_not_written_again(github: FakeGitHub, repo: str) -> None:
    pr = approved_pull(github)
    gh = GitHub(repo, token=token(github))
    writer = StatusGate(gh, CONTEXT, "u")
    assert settle(gh, CONFIG, pr, writer).action == "written"
    assert settle(gh, CONFIG, pr, writer).action == "unchanged"
    assert len(github.writes()) == 1


def test_verdicts_map_to_gate_states_in_one_place() -> None:
    assert gate_of(Verdict(True, reasons=["approved by bob"]), title="t").state == "success"
    failing = gate_of(Verdict(False, missing=["bob"], reasons=["x"]), title="Review check for #1")
    assert (failing.state, failing.title) == ("failure", "missing approval from bob")
    assert failing.summary.startswith("### Review check for #1: ❌ not approved")
    assert error_gate("x" * 200).title.endswith("…")
    assert len(error_gate("x" * 200).title) == 140


def test_a_check_run_has_no_error_conclusion_so_it_asks_for_action(
    github: FakeGitHub, repo: str
) -> None:
    pr = approved_pull(github)
    sha = github.pull(repo, pr).head_sha
    app = github.render.app("gate-app")["id"]
    gh = GitHub(repo, token=github.token({"checks": "write"}, app="gate-app"))
    writer = CheckRunGate(gh, CONTEXT, app, "u")
    writer.write(sha, error_gate("could not read the reviews"))
    [run] = github.state.check_runs
    assert (run.conclusion, run.output["title"]) == (
        "action_required",
        "could not read the reviews",
    )
    assert writer.current(sha) == Gate(
        "error", "could not read the reviews", error_gate("could not read the reviews").summary
    )


@pytest.mark.parametrize(
    ("ref", "number"),
    [
        (f"gh-readonly-queue/main/pr-12-{'a' * 40}", 12),
        (f"refs/heads/gh-readonly-queue/release/1.x/pr-7-{'b' * 40}", 7),
        ("gh-readonly-queue/main/pr-12", None),
        (f"feature/pr-12-{'a' * 40}", None),
        (f"gh-readonly-queue/main/pr-0-{'a' * 40}", None),
        ("", None),
    ],
)
def test_merge_queue_branches_name_their_pull_request(ref: str, number: int | None) -> None:
    assert merge_queue_pull(ref) == number


def test_fork_runs_are_matched_by_head_repository_then_sha_then_branch(
    github: FakeGitHub, repo: str
) -> None:
    mine = github.add_pull(repo, author="mallory", head_repo="mallory/r", head_ref="patch-1")
    github.add_pull(repo, author="eve", head_repo="eve/r", head_ref="patch-1")
    head = github.pull(repo, mine).head_sha
    gh = GitHub(repo, token=github.token({"pull-requests": "read"}))
    assert pulls_for_head(gh, "mallory/r", head, "patch-1") == [mine]
    assert pulls_for_head(gh, "Mallory/R", "f" * 40, "patch-1") == [mine]  # an older head
    assert pulls_for_head(gh, "trent/r", head, "patch-1") == []


def stale_external_pull(github: FakeGitHub, repo: str) -> tuple[int, str]:
    """mallory's fork PR, approved by admin1 and admin2 before her last push; the
    dismissal on push never happened (refused, or not yet run)."""
    pr = github.add_pull(repo, author="mallory", head_repo="mallory/r")
    github.add_review(repo, pr, user="admin1")
    github.add_review(repo, pr, user="admin2")
    return pr, github.push(repo, pr)


@pytest.mark.parametrize("strength", ["status", "check run"])
def test_a_stale_approval_still_standing_is_named_in_the_gate(
    github: FakeGitHub, repo: str, strength: str
) -> None:
    pr, head = stale_external_pull(github, repo)
    if strength == "status":
        gh = GitHub(repo, token=token(github))
        writer: StatusGate | CheckRunGate = StatusGate(gh, CONTEXT, "u")
    else:
        app = github.render.app("gate-app")["id"]
        gh = GitHub(
            repo, token=github.token({"checks": "write", "pull-requests": "read"}, app="gate-app")
        )
        writer = CheckRunGate(gh, CONTEXT, app, "u")
    result = settle(gh, CONFIG, pr, writer)
    assert result.action == "written"
    gate = writer.current(head)
    assert gate is not None
    assert gate.state == "failure"
    assert gate.title == (
        "missing approval from admin1, admin2; stale approval still standing (dismissal "
        "refused or pending): admin1, admin2"
    )
    if strength == "check run":
        assert "dismisses them on push: the approvals of older commits by admin1, admin2" in (
            gate.summary
        )
        assert '"Restrict who can dismiss pull request reviews"' in gate.summary


def test_a_stale_approval_is_not_called_undismissed_where_nothing_dismisses_it(
    github: FakeGitHub, repo: str
) -> None:
    config = parse_config(CONFIG_TEXT + "  external:\n    dismiss_on_push: false\n")
    pr, head = stale_external_pull(github, repo)
    gh = GitHub(repo, token=token(github))
    writer = StatusGate(gh, CONTEXT, "u")
    settle(gh, config, pr, writer)
    gate = writer.current(head)
    assert gate is not None
    assert gate.title == "missing approval from admin1, admin2"
    # Once dismissed, nothing stands and the description says only what is missing.
    for review in github.reviews(repo, pr):
        review.state = "DISMISSED"
    settle(gh, CONFIG, pr, writer)
    assert writer.current(head) == Gate("failure", "missing approval from admin1, admin2", "")


@pytest.mark.parametrize(
    ("grouping", "state"), [("ALLGREEN", "success"), ("HEADGREEN", "failure"), (None, "failure")]
)
def test_a_merge_group_gate_speaks_for_its_pull_request_only_when_every_group_must_pass(
    github: FakeGitHub, repo: str, grouping: str | None, state: str
) -> None:
    # ALLGREEN: each queued PR's own group commit must pass the required checks, so the
    # group's gate needs only the PR its branch names. HEADGREEN: the last group's commit
    # alone decides for every PR in it. None: no ruleset shows the queue (classic branch
    # protection), its grouping cannot be read: the stricter reading, refused too.
    if grouping is not None:
        merge_queue_ruleset(github, repo, grouping)
    pr = approved_pull(github)
    group = github.pull(repo, pr).head_sha  # where the gate goes: the group's commit
    gh = GitHub(repo, token=token(github))
    writer = StatusGate(gh, CONTEXT, "u")
    result = settle(gh, CONFIG, pr, writer, target_sha=group)
    assert result.gate is not None
    assert result.gate.state == state
    if state == "failure":
        assert result.gate.title == QUEUE_REFUSED[grouping]
        assert "Set the ruleset's grouping_strategy to ALLGREEN" in result.gate.summary
        assert result.gate.summary.startswith("### Review check for #1: ❌ refused")
        assert "### #1 itself: ✅ approved" in result.gate.summary
    # A pull request's own head (not a group) never asks for the queue's rules.
    github.calls.clear()
    settle(gh, CONFIG, approved_pull(github), writer)
    assert not github.calls_matching("GET", r"/rules/branches/")
