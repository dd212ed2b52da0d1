"""The rule switches: every rule is in force unless a test switches it off."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import world.rules  # noqa: F401 - registers the world's rules, which the same table lists

from fake_github import limits, render, routes, routes_compare
from fake_github.client import burst, call
from fake_github.clock import SimulatedClock
from fake_github.rules import RULES, RuleSwitches, rule
from fake_github.server import FakeGitHub
from fake_github.state import Status

EXAMPLE = rule(
    "example-rule-for-switch-tests",
    "Used only by these tests.",
    "https://docs.github.com/",
    documented=False,
)


def test_rules_are_in_force_until_switched_off() -> None:
    switches = RuleSwitches()
    assert switches(EXAMPLE)
    with switches.without(EXAMPLE):
        assert not switches(EXAMPLE)
    assert switches(EXAMPLE)
    assert not RuleSwitches([EXAMPLE])(EXAMPLE)


def test_unknown_rules_are_refused() -> None:
    with pytest.raises(KeyError):
        RuleSwitches()("no-such-rule")
    with pytest.raises(KeyError):
        RuleSwitches(["no-such-rule"])
    assert RULES[EXAMPLE].documented is False


def test_a_simulated_clock_stamps_what_the_fake_writes(tmp_path: Path) -> None:
    clock = SimulatedClock()
    with FakeGitHub(tmp_path / "gh", clock=clock) as gh:
        gh.add_repo("o/r")
        number = gh.add_pull("o/r", author="alice")
        clock.advance(90)
        gh.add_review("o/r", number, user="bob")
        (review,) = gh.reviews("o/r", number)
    assert review.submitted_at == "2026-06-01T00:01:30Z"
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)


# -- the mutation check: every rule of the REST API changes some outcome -----------------

REPO = "org/app"
PULLS = f"/repos/{REPO}/pulls"


def _read_token(gh: FakeGitHub) -> str:
    return gh.token({"pull-requests": "read"}, repo=REPO)


def _primary(gh: FakeGitHub, clock: SimulatedClock) -> object:
    token = _read_token(gh)
    for _ in range(2):  # 1,000 calls paced under the per-minute points
        burst(gh, "GET", PULLS, 500, token=token)
        clock.advance(61)
    return call(gh, "GET", PULLS, token=token).status


def _conditional(gh: FakeGitHub, clock: SimulatedClock) -> object:
    token = _read_token(gh)
    etag = call(gh, "GET", PULLS, token=token).headers["etag"]
    for _ in range(3):
        call(gh, "GET", PULLS, token=token, headers={"If-None-Match": etag})
    return gh.rate_limit_used(token)


def _points(gh: FakeGitHub, clock: SimulatedClock) -> object:
    return burst(gh, "GET", PULLS, 901, token=gh.token({"pull-requests": "read"}, login="bob"))[-1]


def _content(gh: FakeGitHub, clock: SimulatedClock) -> object:
    number = gh.add_pull(REPO, author="mallory")
    path = f"/repos/{REPO}/issues/{number}/comments"
    token = gh.token({"issues": "write"}, login="bob")
    return burst(gh, "POST", path, 81, token=token, body={"body": "x"})[-1]


def _concurrency(gh: FakeGitHub, clock: SimulatedClock) -> object:
    token = gh.token({"pull-requests": "read"}, login="bob")
    gh.slow(r"/pulls$", 2.0)
    statuses: list[int] = []
    threads = [
        threading.Thread(target=lambda: statuses.append(call(gh, "GET", PULLS, token=token).status))
        for _ in range(101)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(set(statuses))


def _statuses(gh: FakeGitHub, clock: SimulatedClock) -> object:
    sha = gh.commit(REPO, {"a.txt": "a\n"})
    with gh.state.lock:  # the first 1,000 set up directly: the 1,001st goes through the API
        gh.state.statuses.extend(
            Status(gh.state.new_id("status"), REPO, sha, "pending", "ci", "bob")
            for _ in range(1000)
        )
    token = gh.token({"statuses": "write"})
    body = {"state": "success", "context": "ci"}
    return call(gh, "POST", f"/repos/{REPO}/statuses/{sha}", token=token, body=body).status


def _request(gh: FakeGitHub, reviewers: list[str], author: str = "mallory") -> object:
    number = gh.add_pull(REPO, author=author)
    token = gh.token({"pull-requests": "write"})
    path = f"/repos/{REPO}/pulls/{number}/requested_reviewers"
    return call(gh, "POST", path, token=token, body={"reviewers": reviewers}).status


def _dismissal(gh: FakeGitHub, clock: SimulatedClock) -> object:
    number = gh.add_pull(REPO, author="mallory")
    review = gh.add_review(REPO, number, user="bob")
    gh.restrict_dismissals(REPO, users=["carol"])
    path = f"/repos/{REPO}/pulls/{number}/reviews/{review}/dismissals"
    token = gh.token({"pull-requests": "write"})
    return call(gh, "PUT", path, token=token, body={"message": "stale"}).status


def _actions_pull(gh: FakeGitHub, clock: SimulatedClock) -> object:
    gh.commit(REPO, {"b.txt": "b\n"}, branch="topic")
    body = {"title": "t", "head": "topic", "base": "main"}
    return call(gh, "POST", PULLS, token=gh.token({"pull-requests": "write"}), body=body).status


def _dispatch(gh: FakeGitHub, clock: SimulatedClock) -> object:
    body = {"event_type": "op", "client_payload": {str(i): i for i in range(11)}}
    token = gh.token({"contents": "write"})
    return call(gh, "POST", f"/repos/{REPO}/dispatches", token=token, body=body).status


def _collaborator(gh: FakeGitHub, clock: SimulatedClock) -> object:
    token = gh.token({}, login="mallory")
    return call(gh, "GET", f"/repos/{REPO}/collaborators/bob", token=token).status


def _membership(gh: FakeGitHub, clock: SimulatedClock) -> object:
    gh.add_org_member("org", "dave", public=False)
    return call(gh, "GET", "/orgs/org/members/dave", token=gh.token({})).status


def _association(gh: FakeGitHub, clock: SimulatedClock) -> object:
    gh.add_org_member("org", "dave", public=False)
    number = gh.add_pull(REPO, author="dave")
    pull = call(gh, "GET", f"{PULLS}/{number}", token=_read_token(gh)).json
    return pull["author_association"]


def _check_run_owner(gh: FakeGitHub, clock: SimulatedClock) -> object:
    sha = gh.commit(REPO, {"c.txt": "c\n"})
    run = gh.add_check_run(REPO, sha, name="gate", app="gate", status="in_progress")
    token = gh.token({"checks": "write"})
    body = {"conclusion": "success"}
    return call(gh, "PATCH", f"/repos/{REPO}/check-runs/{run}", token=token, body=body).status


def _compare(gh: FakeGitHub, query: str = "") -> dict[str, object]:
    token = gh.token({"contents": "read"}, repo=REPO)
    return call(gh, "GET", f"/repos/{REPO}/compare/main...topic{query}", token=token).json


def _compare_files(gh: FakeGitHub, clock: SimulatedClock) -> object:
    gh.commit(REPO, {f"gen/{i:03}.txt": f"{i}\n" for i in range(301)}, branch="topic")
    return len(_compare(gh)["files"])  # type: ignore[arg-type]


def _compare_commits(gh: FakeGitHub, clock: SimulatedClock) -> object:
    git = gh.state.repo(REPO).git  # type: ignore[union-attr]
    head = git.resolve("main")
    assert head is not None
    for i in range(251):
        head = git.commit_tree(git.tree_of(head), [head], f"empty {i}")
    git.update_ref("refs/heads/topic", head)
    return len(_compare(gh)["commits"])  # type: ignore[arg-type]


def _compare_pages(gh: FakeGitHub, clock: SimulatedClock) -> object:
    gh.commit(REPO, {"a.txt": "a\n"}, branch="topic")
    gh.commit(REPO, {"b.txt": "b\n"}, branch="topic")
    return "files" in _compare(gh, "?per_page=1&page=2")


def _update_branch(
    gh: FakeGitHub, *, fork: bool = False, body: object = None, moved: bool = True, token: str = ""
) -> object:
    number = gh.add_pull(
        REPO, author="mallory", head_repo="mallory/app" if fork else None, files={"x": "x\n"}
    )
    if moved:
        gh.commit(REPO, {"docs/y.md": "y\n"})
    token = token or gh.token({"pull-requests": "write", "contents": "write"}, login="bob")
    path = f"{PULLS}/{number}/update-branch"
    return call(gh, "PUT", path, token=token, body=body).status


def _fork_run_pull_requests(gh: FakeGitHub, clock: SimulatedClock) -> object:
    number = gh.add_pull(REPO, author="mallory", head_repo="mallory/app")
    workflow = gh.add_workflow(REPO, ".github/workflows/ci.yml")
    head = gh.pull(REPO, number).head_sha
    run = gh.add_run(REPO, workflow, head_sha=head, head_repo="mallory/app", pull_numbers=[number])
    token = gh.token({"actions": "read"})
    return call(gh, "GET", f"/repos/{REPO}/actions/runs/{run}", token=token).json["pull_requests"]


MUTATIONS: dict[str, Callable[[FakeGitHub, SimulatedClock], object]] = {
    routes_compare.UPDATE_BRANCH_EXPECTED_HEAD: lambda gh, _: _update_branch(
        gh, body={"expected_head_sha": "0" * 40}
    ),
    routes_compare.UPDATE_BRANCH_APP_CONTENTS: lambda gh, _: _update_branch(
        gh, token=gh.token({"pull-requests": "write"})
    ),
    routes_compare.UPDATE_BRANCH_FORK_EDITS: lambda gh, _: _update_branch(gh, fork=True),
    routes_compare.UPDATE_BRANCH_BEHIND_ONLY: lambda gh, _: _update_branch(gh, moved=False),
    routes_compare.COMPARE_FILES_AT_MOST_300: _compare_files,
    routes_compare.COMPARE_COMMITS_UNPAGED_LAST_250: _compare_commits,
    routes_compare.COMPARE_FILES_FIRST_PAGE_ONLY: _compare_pages,
    limits.PRIMARY: _primary,
    limits.CONDITIONAL: _conditional,
    limits.POINTS: _points,
    limits.CONTENT: _content,
    limits.CONCURRENCY: _concurrency,
    routes.STATUSES_PER_CONTEXT: _statuses,
    routes.REVIEW_REQUEST_AUTHOR: lambda gh, _: _request(gh, ["bob"], author="bob"),
    routes.REVIEW_REQUEST_COLLABORATORS: lambda gh, _: _request(gh, ["bob", "stranger"]),
    routes.REVIEW_REQUEST_MAX: lambda gh, _: _request(gh, [f"user{i}" for i in range(16)]),
    routes.DISMISSAL_RESTRICTIONS: _dismissal,
    routes.ACTIONS_CREATE_OR_APPROVE: _actions_pull,
    routes.DISPATCH_PAYLOAD: _dispatch,
    routes.COLLABORATOR_PUSH_ACCESS: _collaborator,
    routes.CHECK_RUN_OWNER: _check_run_owner,
    routes.PRIVATE_MEMBERSHIP: _membership,
    render.PRIVATE_MEMBERS_ASSOCIATION: _association,
    render.RUN_PULL_REQUESTS_SAME_REPOSITORY: _fork_run_pull_requests,
}


def _outcome(tmp_path: Path, rule_id: str, *, disabled: bool) -> object:
    clock = SimulatedClock()
    root = tmp_path / ("without" if disabled else "with")
    with FakeGitHub(root, disabled_rules=[rule_id] if disabled else [], clock=clock) as gh:
        gh.add_repo(REPO)
        gh.add_org_member("org", "owner-admin")
        for login in ["bob", "carol", *(f"user{i}" for i in range(16))]:
            gh.add_collaborator(REPO, login)
        outcome = MUTATIONS[rule_id](gh, clock)
    assert not gh.errors, gh.errors
    return outcome


@pytest.mark.parametrize("rule_id", sorted(MUTATIONS))
def test_switching_a_rule_off_changes_an_outcome(tmp_path: Path, rule_id: str) -> None:
    with_rule = _outcome(tmp_path, rule_id, disabled=False)
    without = _outcome(tmp_path, rule_id, disabled=True)
    assert with_rule != without, f"{rule_id}: {with_rule!r} either way"


def test_every_rule_of_the_fake_has_a_mutation_check() -> None:
    mine = {
        value
        for module in (limits, routes, routes_compare, render)
        for value in vars(module).values()
        if isinstance(value, str) and value in RULES
    }
    assert mine == set(MUTATIONS)


RULES_TABLE = Path(__file__).with_name("RULES.md")


def test_rules_table_lists_exactly_the_registered_rules() -> None:
    listed = re.findall(r"^\| `([a-z0-9-]+)` \|", RULES_TABLE.read_text(), flags=re.MULTILINE)
    assert len(listed) == len(set(listed)), "a rule is listed twice"
    registered = set(RULES) - {EXAMPLE}
    assert set(listed) == registered


def test_rules_table_rows_name_a_source_and_a_test() -> None:
    rows = {
        m[1]: m[0]
        for m in re.finditer(
            r"^\| `([a-z0-9-]+)` \|.*$", RULES_TABLE.read_text(), flags=re.MULTILINE
        )
    }
    for rule_id, row in rows.items():
        if rule_id not in RULES:
            continue
        assert RULES[rule_id].source in row, f"{rule_id}: the row must cite {RULES[rule_id].source}"
        assert "test_" in row, f"{rule_id}: the row must name the test that shows it"
        assert ("undocumented" in row) == (not RULES[rule_id].documented), rule_id
