"""dismiss-approvals: a push to an external PR voids older approvals, once."""

from __future__ import annotations

import itertools

from fake_github import FakeGitHub
from repowarden.runtime.commands import load
from support.least_privilege import assert_least_privilege
from support.runner import Outcome, Runner

PERMS = {"pull-requests": "write"}


def dismiss(runner: Runner, number: int, action: str = "synchronize") -> Outcome:
    return runner.run(
        "dismiss-approvals",
        "pull_request_target",
        runner.pull_event(number, action),
        permissions=PERMS,
    )


def external_pr_with_stale_approvals(github: FakeGitHub) -> tuple[int, str]:
    pr = github.add_pull("o/r", author="mallory", head_repo="mallory/r")
    github.add_review("o/r", pr, user="admin1")
    github.add_review("o/r", pr, user="admin1", state="COMMENTED", body="nit")
    github.add_review("o/r", pr, user="admin2")
    github.add_review("o/r", pr, user="bob", state="CHANGES_REQUESTED", body="no")
    return pr, github.push("o/r", pr)


def states(github: FakeGitHub, number: int) -> list[tuple[str, str]]:
    return [(r.user, r.state) for r in github.reviews("o/r", number)]


def test_push_dismisses_rerequests_and_mentions_once(runner: Runner, github: FakeGitHub) -> None:
    pr, head = external_pr_with_stale_approvals(github)
    outcome = dismiss(runner, pr)
    assert outcome.code == 0, outcome.err
    assert states(github, pr) == [
        ("admin1", "DISMISSED"),
        ("admin1", "COMMENTED"),
        ("admin2", "DISMISSED"),
        ("bob", "CHANGES_REQUESTED"),  # not an approval: it still stands
    ]
    dismissals = github.calls_matching("PUT", r"/dismissals$")
    assert len(dismissals) == 2
    assert all(head in c.body["message"] for c in dismissals)
    assert github.pull("o/r", pr).requested_reviewers == ["admin1", "admin2"]
    comments = github.comments("o/r", pr)
    assert len(comments) == 1
    assert comments[0].body.startswith(
        f"@admin1 @admin2: new commits were pushed (head is now {head})"
    )
    assert f"<!-- repowarden:stale-approvals head={head} -->" in comments[0].body
    assert "- dismissed: admin1, admin2" in outcome.summary

    # Re-running the same job finds nothing left to do and writes nothing.
    before = len(github.writes())
    assert dismiss(runner, pr).code == 0
    assert len(github.writes()) == before
    assert len(github.comments("o/r", pr)) == 1


def test_rerun_after_a_failure_finishes_without_a_second_comment(
    runner: Runner, github: FakeGitHub
) -> None:
    pr, _ = external_pr_with_stale_approvals(github)
    github.fail("PUT", r"/dismissals$", status=502, times=None)
    failed = dismiss(runner, pr)
    assert failed.code == 3
    assert "/dismissals failed (HTTP 502)" in failed.err
    # Nothing was dismissed, so nothing was said to have been.
    assert github.comments("o/r", pr) == []

    github.clear_faults()
    assert dismiss(runner, pr).code == 0
    assert ("admin1", "APPROVED") not in states(github, pr)
    assert ("admin2", "APPROVED") not in states(github, pr)
    assert len(github.comments("o/r", pr)) == 1
    assert dismiss(runner, pr).code == 0
    assert len(github.comments("o/r", pr)) == 1


def test_a_refused_dismissal_is_reported_not_claimed(runner: Runner, github: FakeGitHub) -> None:
    pr, head = external_pr_with_stale_approvals(github)
    # "Restrict who can dismiss pull request reviews": GitHub answers 403 to others.
    refusal = {"message": "You are not allowed to dismiss this review.", "status": "403"}
    github.fail("PUT", r"/reviews/\d+/dismissals$", status=403, times=1, body=refusal)
    outcome = dismiss(runner, pr)
    assert outcome.code == 1, outcome.err
    assert "Traceback" not in outcome.err
    assert "- dismissed: admin2" in outcome.summary
    assert "**GitHub refused to dismiss** (403" in outcome.summary
    assert "admin1" in outcome.summary.split("refused to dismiss")[1]
    [comment] = github.comments("o/r", pr)
    assert f"(head is now {head}). The approval of an earlier commit by admin2 was dismissed." in (
        comment.body
    )
    assert "GitHub refused to dismiss the approval by admin1" in comment.body
    assert ("admin1", "APPROVED") in states(github, pr)


def test_a_non_collaborator_is_skipped_without_asking_for_push_access(
    runner: Runner, github: FakeGitHub
) -> None:
    runner.set_config(reviewers='alice: [bob, carol]\n"*": [admin1, zed]')
    pr = github.add_pull("o/r", author="mallory", head_repo="mallory/r")
    github.add_review("o/r", pr, user="admin1")
    github.add_review("o/r", pr, user="zed")  # reviewed, then lost access
    github.push("o/r", pr)
    outcome = dismiss(runner, pr)
    assert outcome.code == 0, outcome.err
    assert "- not requested (no longer a collaborator): zed" in outcome.summary
    assert github.pull("o/r", pr).requested_reviewers == ["admin1"]
    # GET /collaborators/{login} needs push access, which this job's token lacks.
    assert not github.calls_matching("GET", r"/collaborators/")


def test_a_later_push_gets_its_own_mention(runner: Runner, github: FakeGitHub) -> None:
    pr, _ = external_pr_with_stale_approvals(github)
    dismiss(runner, pr)
    github.add_review("o/r", pr, user="admin1")
    newer = github.push("o/r", pr)
    assert dismiss(runner, pr).code == 0
    comments = github.comments("o/r", pr)
    assert len(comments) == 2
    assert comments[1].body.startswith(f"@admin1: new commits were pushed (head is now {newer})")


def test_approvals_of_the_head_stay(runner: Runner, github: FakeGitHub) -> None:
    pr = github.add_pull("o/r", author="mallory", head_repo="mallory/r")
    github.push("o/r", pr)
    github.add_review("o/r", pr, user="admin1")
    outcome = dismiss(runner, pr)
    assert outcome.code == 0
    assert "nothing to dismiss" in outcome.out
    assert states(github, pr) == [("admin1", "APPROVED")]
    assert github.writes() == []


def test_internal_authors_keep_their_approvals(runner: Runner, github: FakeGitHub) -> None:
    pr = github.add_pull("o/r", author="alice")
    github.add_review("o/r", pr, user="bob")
    github.push("o/r", pr)
    outcome = dismiss(runner, pr)
    assert outcome.code == 0
    assert "alice is not an external contributor (internal)" in outcome.out
    assert github.calls == []


def test_org_members_keep_their_approvals(runner: Runner, github: FakeGitHub) -> None:
    runner.set_config("external:\n  org: o")
    github.add_org_member("o", "dave")
    pr = github.add_pull("o/r", author="dave", head_repo="dave/r")
    github.add_review("o/r", pr, user="admin1")
    github.push("o/r", pr)
    assert dismiss(runner, pr).code == 0
    assert states(github, pr) == [("admin1", "APPROVED")]
    assert [c.path for c in github.calls] == ["/orgs/o/public_members/dave"]


def test_switched_off_or_other_actions_do_nothing(runner: Runner, github: FakeGitHub) -> None:
    pr, _ = external_pr_with_stale_approvals(github)
    assert "approvals are dismissed on synchronize" in dismiss(runner, pr, "labeled").out
    runner.set_config("external:\n  dismiss_on_push: false")
    assert "dismiss_on_push is off" in dismiss(runner, pr).out
    assert github.calls == []


def test_least_privilege(runner: Runner, github: FakeGitHub) -> None:
    refs = itertools.count()

    def attempt(token: str) -> Outcome:
        pr = github.add_pull(
            "o/r", author="mallory", head_repo="mallory/r", head_ref=f"lp{next(refs)}"
        )
        github.add_review("o/r", pr, user="admin1")
        github.push("o/r", pr)
        payload = runner.pull_event(pr, "synchronize")
        return runner.run("dismiss-approvals", "pull_request_target", payload, token=token)

    assert_least_privilege(load("dismiss-approvals"), github, attempt)


KEEP = "external:\n  keep_approvals_on_update_merge: true"
COMPARE = ("--compare-commits",)
COMPARE_PERMS = {"pull-requests": "write", "contents": "read"}


def approved_then_updated(runner: Runner, github: FakeGitHub) -> tuple[int, str]:
    """An external PR approved by both admins, then "Update branch" by a maintainer."""
    pr = github.add_pull("o/r", author="mallory", head_repo="mallory/r")
    github.add_review("o/r", pr, user="admin1")
    github.add_review("o/r", pr, user="admin2")
    return pr, runner.update_branch(pr)


def test_an_update_merge_keeps_the_approvals(runner: Runner, github: FakeGitHub) -> None:
    """keep_approvals_on_update_merge with --compare-commits and contents: read: the
    head only merged the base branch (GET …/compare lists none of the PR's files)."""
    runner.set_config(KEEP)
    pr, head = approved_then_updated(runner, github)
    writes = len(github.writes())
    payload = runner.pull_event(pr, "synchronize")
    outcome = runner.run(
        "dismiss-approvals", "pull_request_target", payload, permissions=COMPARE_PERMS, args=COMPARE
    )
    assert outcome.code == 0, outcome.err
    assert states(github, pr) == [("admin1", "APPROVED"), ("admin2", "APPROVED")]
    assert "the diff to the head changes none of the PR's files" in outcome.out
    assert len(github.calls_matching("GET", r"/compare/")) == 1
    assert len(github.writes()) == writes  # nothing dismissed, requested or commented

    # The contributor then changes a file of the PR: that is a new change to review.
    github.push("o/r", pr, files={f"pr-{pr}.txt": "changed\n"})
    payload = runner.pull_event(pr, "synchronize")
    outcome = runner.run(
        "dismiss-approvals", "pull_request_target", payload, permissions=COMPARE_PERMS, args=COMPARE
    )
    assert outcome.code == 0, outcome.err
    assert [s for _, s in states(github, pr)] == ["DISMISSED", "DISMISSED"]
    assert head != github.pull("o/r", pr).head_sha


def test_without_the_flag_or_the_scope_nothing_is_kept(runner: Runner, github: FakeGitHub) -> None:
    """Fail closed, and say why: a job rendered without --compare-commits makes no
    compare call; one whose token lacks contents: read gets GitHub's 403."""
    runner.set_config(KEEP)
    pr, _ = approved_then_updated(runner, github)
    outcome = dismiss(runner, pr)
    assert outcome.code == 0, outcome.err
    assert "none kept: this job was not granted contents: read" in outcome.out
    assert github.calls_matching("GET", r"/compare/") == []
    assert github.calls_matching("GET", r"/files") == []  # nothing to compare them with
    assert [s for _, s in states(github, pr)] == ["DISMISSED", "DISMISSED"]

    pr, _ = approved_then_updated(runner, github)
    payload = runner.pull_event(pr, "synchronize")
    outcome = runner.run(
        "dismiss-approvals", "pull_request_target", payload, permissions=PERMS, args=COMPARE
    )
    assert outcome.code == 0, outcome.err
    assert "none kept: the compare API could not be read (it needs contents: read)" in outcome.out
    assert [s for _, s in states(github, pr)] == ["DISMISSED", "DISMISSED"]
