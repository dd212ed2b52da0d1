"""check: exit code, job summary and the gate (status or App check run), over real HTTP."""

from __future__ import annotations

import itertools

import pytest
from fake_github import FakeGitHub
from fake_github.server import Call
from fake_github.state import Status
from repowarden.runtime import commands
from repowarden.runtime.commands import load
from support.least_privilege import assert_least_privilege
from support.merge_queue import merge_queue_ruleset
from support.runner import Outcome, Runner

CONTEXT = "repowarden/review"
PERMS = {"pull-requests": "read", "statuses": "write"}
APP_PERMS = {"checks": "write", "pull-requests": "read", "members": "read"}
REVIEW_WORKFLOW = ".github/workflows/repowarden-review.yml"


def check(runner: Runner, number: int, action: str = "synchronize", **kw: object) -> Outcome:
    return runner.run(
        "check",
        "pull_request_target",
        runner.pull_event(number, action),
        **{"permissions": PERMS, **kw},  # type: ignore[arg-type]
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

    # Nothing changed: the gate is read and left alone (no status piles up on the SHA).
    assert check(runner, pr).code == 0
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
    head = github.pull("o/r", pr).head_sha
    # The PR as it is now, the gate on its head, three pages of reviews, the PR once more
    # right before writing (still this head, these labels?), and the status.
    assert [(c.method, c.path.rsplit("/", 1)[-1]) for c in calls] == [
        ("GET", str(pr)),
        ("GET", "status"),
        ("GET", "reviews"),
        ("GET", "reviews"),
        ("GET", "reviews"),
        ("GET", str(pr)),
        ("POST", head),
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


def test_labels_and_head_come_from_the_pull_request_not_the_payload(
    runner: Runner, github: FakeGitHub
) -> None:
    pr = github.add_pull("o/r", author="alice")
    github.add_review("o/r", pr, user="bob")
    github.add_review("o/r", pr, user="carol")
    stale_payload = runner.pull_event(pr, "synchronize")  # no label, the old head
    github.pull("o/r", pr).labels.append("do-not-merge")
    new = github.push("o/r", pr)
    outcome = runner.run("check", "pull_request_target", stale_payload, permissions=PERMS)
    assert outcome.code == 1
    assert "the label 'do-not-merge' blocks merging" in outcome.summary
    assert status(github, new).state == "failure"
    assert github.statuses("o/r", stale_payload["pull_request"]["head"]["sha"]) == {}


def workflow_run(
    runner: Runner,
    pr: int,
    *,
    event: str = "pull_request_review",
    fork: bool = False,
    **run: object,
) -> dict[str, object]:
    """A workflow_run payload of the review workflow, in GitHub's shape: a fork run's
    `pull_requests` is empty (docs/github-facts.md)."""
    pull = runner.gh.pull(runner.repo, pr)
    head_repo = runner.gh.state.repo(pull.head_repo)
    assert head_repo is not None
    payload = runner._common(pull.author)
    payload["action"] = "completed"
    payload["workflow_run"] = {
        "id": 777,
        "name": "repowarden: review recorded",
        "path": REVIEW_WORKFLOW,
        "event": event,
        "status": "completed",
        "conclusion": "success",
        "head_sha": pull.head_sha,
        "head_branch": pull.head_ref,
        "head_repository": runner.gh.render.repo(head_repo),
        "pull_requests": [] if fork else [{"number": pr}],
        **run,
    }
    return payload


def test_a_review_of_a_fork_pr_is_decided_by_the_workflow_run(
    runner: Runner, github: FakeGitHub
) -> None:
    pr = github.add_pull("o/r", author="mallory", head_repo="mallory/r")
    github.add_pull("o/r", author="eve", head_repo="eve/r")  # same branch name, other fork
    github.add_review("o/r", pr, user="admin1")
    github.add_review("o/r", pr, user="admin2")
    payload = workflow_run(runner, pr, fork=True)
    outcome = runner.run("check", "workflow_run", payload, permissions=PERMS)
    assert outcome.code == 0, outcome.err
    assert status(github, github.pull("o/r", pr).head_sha).state == "success"
    assert "approved by admin1, admin2" in outcome.summary


def test_a_review_of_a_same_repository_pr_names_its_pr(runner: Runner, github: FakeGitHub) -> None:
    pr = github.add_pull("o/r", author="alice")
    github.add_review("o/r", pr, user="bob")
    outcome = runner.run("check", "workflow_run", workflow_run(runner, pr), permissions=PERMS)
    assert outcome.code == 1
    assert status(github, github.pull("o/r", pr).head_sha).state == "failure"
    assert not github.calls_matching("GET", r"/pulls$")  # no listing needed


def test_a_merge_group_passes_only_if_its_pull_request_is_approved(
    runner: Runner, github: FakeGitHub
) -> None:
    merge_queue_ruleset(github, "o/r")  # ALLGREEN: each PR's own group must pass
    pr = github.add_pull("o/r", author="alice")
    group = github.commit("o/r", {"queued.txt": "x\n"}, branch=f"gh-readonly-queue/main/pr-{pr}")
    branch = f"gh-readonly-queue/main/pr-{pr}-{'a' * 40}"
    payload = workflow_run(runner, pr, event="merge_group", head_sha=group, head_branch=branch)
    assert runner.run("check", "workflow_run", payload, permissions=PERMS).code == 1
    assert status(github, group).state == "failure"

    github.add_review("o/r", pr, user="bob")
    github.add_review("o/r", pr, user="carol")
    assert runner.run("check", "workflow_run", payload, permissions=PERMS).code == 0
    assert status(github, group).state == "success"
    # The pull request's own head is not the merge group's commit: its gate is not touched.
    assert github.statuses("o/r", github.pull("o/r", pr).head_sha) == {}


@pytest.mark.parametrize(
    ("event", "branch", "said"),
    [
        ("workflow_dispatch", "main", "decides nothing"),
        ("push", "feature", "decides nothing"),
        ("merge_group", "gh-readonly-queue/main/not-a-pr", "not a merge queue branch"),
    ],
)
def test_other_runs_decide_nothing(
    runner: Runner, github: FakeGitHub, event: str, branch: str, said: str
) -> None:
    pr = github.add_pull("o/r", author="alice")
    payload = workflow_run(runner, pr, event=event, head_branch=branch)
    outcome = runner.run("check", "workflow_run", payload, permissions=PERMS)
    assert outcome.code == 0
    assert said in outcome.out
    assert github.calls == []


def test_with_an_app_the_gate_is_its_check_run(runner: Runner, github: FakeGitHub) -> None:
    app_id = github.render.app("repowarden-gate")["id"]
    runner.config_path.write_text(
        runner.config_path.read_text()
        + f"app:\n  id: {app_id}\n  client_id: Iv23liExample\n  slug: repowarden-gate\n"
    )
    pr = github.add_pull("o/r", author="alice")
    head = github.pull("o/r", pr).head_sha
    github.add_review("o/r", pr, user="bob")
    # A writer forges a green check of the same name with another App's token.
    github.add_check_run("o/r", head, name=CONTEXT, conclusion="success", app="forger")
    token = github.token(APP_PERMS, repo="o/r", login="repowarden-gate[bot]", app="repowarden-gate")
    outcome = runner.run("check", "pull_request_target", runner.pull_event(pr), token=token)
    assert outcome.code == 1
    ours = [c for c in github.state.check_runs if c.app == "repowarden-gate"]
    assert [(c.name, c.head_sha, c.conclusion) for c in ours] == [(CONTEXT, head, "failure")]
    assert "| carol | yes | — | — | — | no review yet |" in ours[0].output["summary"]
    assert ours[0].output["title"] == "missing approval from carol"
    assert github.statuses("o/r", head) == {}

    github.add_review("o/r", pr, user="carol")
    assert runner.run("check", "pull_request_target", runner.pull_event(pr), token=token).code == 0
    assert [c.conclusion for c in github.state.check_runs if c.app == "repowarden-gate"] == [
        "failure",
        "success",
    ]
    # Unchanged: read, not written again.
    runner.run("check", "pull_request_target", runner.pull_event(pr), token=token)
    assert len([c for c in github.state.check_runs if c.app == "repowarden-gate"]) == 2


def test_with_an_app_private_org_members_are_recognised(runner: Runner, github: FakeGitHub) -> None:
    app_id = github.render.app("repowarden-gate")["id"]
    runner.set_config("required: 1\nexternal:\n  org: o")
    runner.config_path.write_text(
        runner.config_path.read_text()
        + f"app:\n  id: {app_id}\n  client_id: Iv23liExample\n  slug: repowarden-gate\n"
    )
    github.add_org_member("o", "dave", public=False)
    pr = github.add_pull("o/r", author="dave", head_repo="dave/r")
    github.add_review("o/r", pr, user="admin2")
    github.push("o/r", pr)  # a member's approval survives a push; an outsider's would not
    token = github.token(APP_PERMS, repo="o/r", login="repowarden-gate[bot]", app="repowarden-gate")
    outcome = runner.run("check", "pull_request_target", runner.pull_event(pr), token=token)
    assert outcome.code == 0, outcome.summary
    assert github.calls_matching("GET", r"^/orgs/o/members/dave$")


def test_a_sha_at_the_status_cap_is_reported(runner: Runner, github: FakeGitHub) -> None:
    pr = github.add_pull("o/r", author="alice")
    body = {
        "message": "Validation Failed",
        "errors": [{"message": "This SHA and context has reached the maximum number of statuses."}],
    }
    github.fail("POST", r"/statuses/", status=422, times=None, body=body)
    outcome = check(runner, pr)
    assert outcome.code == 3
    assert "capped" in outcome.out
    assert "Traceback" not in outcome.err


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
    assert [c.method for c in github.calls] == ["GET", "GET", "GET", "GET", "POST"]


@pytest.mark.parametrize(
    ("event", "payload", "message"),
    [
        ("push", {"ref": "refs/heads/main"}, "runs on pull_request_target, workflow_run"),
        ("pull_request_review", {"action": "submitted"}, "runs on pull_request_target"),
        ("merge_group", {"action": "checks_requested"}, "runs on pull_request_target"),
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


def test_least_privilege_of_the_app_token(runner: Runner, github: FakeGitHub) -> None:
    """The App token's declared scopes, one by one. `members: read` is left out here: the
    fake answers org membership to any token (it does not model private membership)."""
    app_id = github.render.app("repowarden-gate")["id"]
    runner.config_path.write_text(
        runner.config_path.read_text()
        + f"app:\n  id: {app_id}\n  client_id: Iv23liExample\n  slug: repowarden-gate\n"
    )
    numbers = itertools.count()
    command = load("check")
    declared = tuple(p for p in command.app_permissions if p.scope != "members")

    def attempt(token: str) -> Outcome:
        pr = github.add_pull("o/r", author="alice", head_ref=f"app-{next(numbers)}")
        github.add_review("o/r", pr, user="bob")
        github.add_review("o/r", pr, user="carol")
        return runner.run("check", "pull_request_target", runner.pull_event(pr), token=token)

    assert_least_privilege(
        commands.Command(**{**command.__dict__, "permissions": declared}), github, attempt
    )


# -- options: --compare-commits (keep_approvals_on_update_merge), --remove-requests ----------

COMPARE_PERMS = {**PERMS, "contents": "read"}
REMOVE_PERMS = {**PERMS, "pull-requests": "write"}


def test_an_update_merge_keeps_the_gate_green_and_says_why(
    runner: Runner, github: FakeGitHub
) -> None:
    """Teleport's former exemption, end to end over the compare API: the approvals of
    the commit before "Update branch" still count, and the summary says why."""
    runner.set_config("external:\n  keep_approvals_on_update_merge: true")
    pr = github.add_pull("o/r", author="mallory", head_repo="mallory/r")
    github.add_review("o/r", pr, user="admin1")
    github.add_review("o/r", pr, user="admin2")
    head = runner.update_branch(pr)

    kept = check(runner, pr, permissions=COMPARE_PERMS, args=("--compare-commits",))
    assert kept.code == 0, kept.out
    assert status(github, head).state == "success"
    assert "changes none of the PR's files since (a merge of the base branch)" in kept.summary

    # Rendered without the option (no contents: read): no compare call, fail closed.
    calls = len(github.calls)
    closed = check(runner, pr)
    assert closed.code == 1
    assert "this job was not granted contents: read" in closed.summary
    assert not any("/compare/" in c.path for c in github.calls[calls:])


def requested_and_approved(runner: Runner, github: FakeGitHub) -> int:
    """alice's PR: bob, carol and dave requested; bob and carol (her reviewers) approve."""
    runner.set_config("assign:\n  remove_requests: true")
    pr = github.add_pull("o/r", author="alice")
    github.pull("o/r", pr).requested_reviewers = ["bob", "carol", "dave"]
    github.add_review("o/r", pr, user="bob")
    github.add_review("o/r", pr, user="carol")
    return pr


def test_once_approved_the_unneeded_requests_are_withdrawn(
    runner: Runner, github: FakeGitHub
) -> None:
    """check.go dismissReviewers: after the verdict, DELETE the requests of people who
    have not reviewed; nothing while the PR is not approved."""
    runner.set_config("assign:\n  remove_requests: true")
    pr = github.add_pull("o/r", author="alice")
    github.pull("o/r", pr).requested_reviewers = ["carol", "dave"]
    github.add_review("o/r", pr, user="bob")
    pending = check(runner, pr, permissions=REMOVE_PERMS, args=("--remove-requests",))
    assert pending.code == 1
    assert github.calls_matching("DELETE") == []

    github.add_review("o/r", pr, user="carol")
    done = check(runner, pr, permissions=REMOVE_PERMS, args=("--remove-requests",))
    assert done.code == 0, done.out
    assert github.pull("o/r", pr).requested_reviewers == []
    (delete,) = github.calls_matching("DELETE", r"/requested_reviewers$")
    assert delete.body == {"reviewers": ["dave"]}  # carol's request went with her review
    assert "review requests withdrawn on #1 (approved; nobody needs their review): dave" in (
        done.summary
    )


def test_a_refused_withdrawal_is_reported_and_the_gate_stands(
    runner: Runner, github: FakeGitHub
) -> None:
    pr = requested_and_approved(runner, github)
    head = github.pull("o/r", pr).head_sha
    outcome = check(runner, pr, permissions=PERMS, args=("--remove-requests",))
    assert outcome.code == 0, outcome.out
    assert status(github, head).state == "success"
    assert f"review requests on #{pr}: **not withdrawn**: DELETE" in outcome.summary
    assert "(HTTP 403)" in outcome.summary
    assert "The gate is unaffected." in outcome.summary
    assert github.pull("o/r", pr).requested_reviewers == ["dave"]

    github.fail(
        "DELETE", r"/requested_reviewers$", status=422, body={"message": "Validation Failed"}
    )
    outcome = check(runner, pr, permissions=REMOVE_PERMS, args=("--remove-requests",))
    assert outcome.code == 0
    assert "(HTTP 422)" in outcome.summary


def test_without_the_option_no_request_is_withdrawn(runner: Runner, github: FakeGitHub) -> None:
    """The flag is the grant: a job rendered without it (read-only) never writes."""
    pr = requested_and_approved(runner, github)
    assert check(runner, pr).code == 0
    assert github.calls_matching("DELETE") == []
    assert github.pull("o/r", pr).requested_reviewers == ["dave"]


def test_requests_stay_when_the_head_moves_after_the_verdict(
    runner: Runner, github: FakeGitHub
) -> None:
    """The approval was for the old head; a push right after the gate is written leaves
    the requests alone (the new head's own run decides)."""
    pr = requested_and_approved(runner, github)
    pushed: list[str] = []

    def push_after_the_status(call: Call) -> None:
        if call.method == "POST" and "/statuses/" in call.path and not pushed:
            pushed.append(github.push("o/r", pr))

    github.add_listener(after=push_after_the_status)
    outcome = check(runner, pr, permissions=REMOVE_PERMS, args=("--remove-requests",))
    assert outcome.code == 0, outcome.out
    assert pushed
    assert f"review requests on #{pr}: kept (the head moved since the verdict)" in outcome.summary
    assert github.calls_matching("DELETE") == []
    assert github.pull("o/r", pr).requested_reviewers == ["dave"]
