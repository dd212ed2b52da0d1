"""The review policy of DESIGN.md, evaluated without a network."""

from __future__ import annotations

import textwrap

import pytest
from repowarden.runtime.config import ReviewPolicy, parse_config
from repowarden.runtime.policy import (
    STATUS_DESCRIPTION_MAX,
    Kind,
    PullFacts,
    ReviewFact,
    evaluate,
    latest_reviews,
    needs_membership,
    status_description,
    summary_markdown,
)

HEAD, OLD = "a" * 40, "b" * 40


def policy(extra: str = "", reviewers: str = "") -> ReviewPolicy:
    reviewers = reviewers or 'alice: [bob, carol]\n"*": [admin1, admin2]'
    text = "repository: o/r\nreview:\n  admins: [admin1, admin2]\n  reviewers:\n"
    text += textwrap.indent(reviewers, "    ") + "\n" + textwrap.indent(extra, "  ")
    return parse_config(text).review


def pull(author: str = "alice", **kw: object) -> PullFacts:
    values: dict[str, object] = {
        "number": 7,
        "author": author,
        "head_sha": HEAD,
        "base_repo": "o/r",
        "head_repo": "o/r",
    }
    values.update(kw)
    return PullFacts(**values)  # type: ignore[arg-type]


def reviews(*items: tuple[str, str] | tuple[str, str, str]) -> list[ReviewFact]:
    return [
        ReviewFact(id=i, login=it[0], state=it[1], commit_id=it[2] if len(it) > 2 else HEAD)
        for i, it in enumerate(items, 1)
    ]


@pytest.mark.parametrize(
    ("states", "approved"),
    [
        (["APPROVED", "COMMENTED"], True),
        (["APPROVED", "CHANGES_REQUESTED"], False),
        (["CHANGES_REQUESTED", "APPROVED"], True),
        (["CHANGES_REQUESTED", "COMMENTED"], False),
        (["APPROVED", "DISMISSED"], False),
        (["APPROVED", "PENDING"], True),
        (["PENDING"], False),
        (["COMMENTED", "APPROVED"], True),
        (["APPROVED", "DISMISSED", "APPROVED"], True),
    ],
)
def test_latest_review_per_user_wins_except_comments(states: list[str], approved: bool) -> None:
    bob = [("bob", state) for state in states]
    verdict = evaluate(policy(), pull(), reviews(("carol", "APPROVED"), *bob))
    assert verdict.approved is approved
    assert verdict.missing == ([] if approved else ["bob"])


def test_pending_review_does_not_replace_a_change_request() -> None:
    latest = latest_reviews(reviews(("bob", "CHANGES_REQUESTED"), ("bob", "PENDING")))
    assert latest["bob"].state == "CHANGES_REQUESTED"


def test_all_listed_reviewers_must_approve_by_default() -> None:
    verdict = evaluate(policy(), pull(), reviews(("bob", "APPROVED")))
    assert not verdict.approved
    assert verdict.missing == ["carol"]
    assert "alice is in the reviewers map: all of bob, carol must approve" in verdict.reasons
    assert "2 approval(s) needed, 1 (bob) so far" in verdict.reasons


def test_logins_compare_case_insensitively() -> None:
    verdict = evaluate(policy(), pull("Alice"), reviews(("BOB", "APPROVED"), ("Carol", "APPROVED")))
    assert verdict.approved
    assert verdict.requirement is not None
    assert verdict.requirement.kind is Kind.INTERNAL


def test_author_listed_as_own_reviewer_is_dropped() -> None:
    p = policy(reviewers='alice: [alice, bob]\n"*": [admin1, admin2]')
    verdict = evaluate(p, pull(), reviews(("alice", "APPROVED"), ("bob", "APPROVED")))
    assert verdict.approved
    assert verdict.requirement is not None
    assert verdict.requirement.reviewers == ("bob",)
    author_row = next(r for r in verdict.rows if r.login == "alice")
    assert (author_row.counts, author_row.note) == (False, "the author; never counts")


def test_author_never_counts_for_external_contributors() -> None:
    p = policy(reviewers='"*": [admin1, mallory, admin2]')
    verdict = evaluate(p, pull("mallory"), reviews(("mallory", "APPROVED"), ("admin1", "APPROVED")))
    assert not verdict.approved
    assert verdict.missing == ["admin2"]


def test_required_n_lowers_all_to_any_n() -> None:
    p = policy("required: 1\n")
    assert evaluate(p, pull(), reviews(("carol", "APPROVED"))).approved
    assert not evaluate(p, pull(), []).approved


def test_change_request_from_a_required_reviewer_blocks_even_with_enough_approvals() -> None:
    p = policy("required: 1\n")
    verdict = evaluate(p, pull(), reviews(("carol", "APPROVED"), ("bob", "CHANGES_REQUESTED")))
    assert not verdict.approved
    assert verdict.missing == ["bob"]
    assert "changes requested by bob" in verdict.reasons


def test_approval_from_someone_not_required_does_not_count() -> None:
    verdict = evaluate(policy(), pull(), reviews(("bob", "APPROVED"), ("admin1", "APPROVED")))
    assert not verdict.approved
    row = next(r for r in verdict.rows if r.login == "admin1")
    assert (row.required, row.counts, row.note) == (False, False, "not a required reviewer")


def test_external_contributor_needs_approvals_on_the_head() -> None:
    p = policy()
    stale = reviews(("admin1", "APPROVED", OLD), ("admin2", "APPROVED", OLD))
    verdict = evaluate(p, pull("mallory", head_repo="mallory/r"), stale)
    assert not verdict.approved
    assert verdict.missing == ["admin1", "admin2"]
    assert verdict.requirement is not None
    assert verdict.requirement.kind is Kind.EXTERNAL
    assert f"approvals on older commits do not count: admin1, admin2 (head is {HEAD[:7]})" in (
        verdict.reasons
    )
    fresh = [*stale, *reviews(("admin1", "APPROVED"), ("ADMIN2", "APPROVED"))]
    assert evaluate(p, pull("mallory"), fresh).approved


def test_external_approvals_count_is_configurable() -> None:
    p = policy("external:\n  approvals: 1\n")
    assert evaluate(p, pull("mallory"), reviews(("admin2", "APPROVED"))).approved


def test_internal_approvals_on_older_commits_still_count() -> None:
    verdict = evaluate(policy(), pull(), reviews(("bob", "APPROVED", OLD), ("carol", "APPROVED")))
    assert verdict.approved


def test_org_members_are_internal_with_the_star_reviewers() -> None:
    p = policy("required: 1\nexternal:\n  org: acme\n")
    assert needs_membership(p, "dave")
    assert not needs_membership(p, "alice")  # in the map: no lookup needed
    assert not needs_membership(p, "dependabot[bot]", "Bot")
    assert not needs_membership(policy(), "dave")  # no org configured
    old_approval = reviews(("admin1", "APPROVED", OLD))
    member = evaluate(p, pull("dave"), old_approval, is_member=True)
    assert member.approved
    assert member.requirement is not None
    assert member.requirement.kind is Kind.MEMBER
    assert not evaluate(p, pull("dave"), old_approval, is_member=False).approved


def test_bots_need_one_admin_by_default() -> None:
    p = policy("bots:\n  logins: [renovate-bot]\n")
    verdict = evaluate(
        p, pull("dependabot[bot]", author_type="Bot"), reviews(("admin2", "APPROVED"))
    )
    assert verdict.approved
    assert verdict.requirement is not None
    assert verdict.requirement.kind is Kind.BOT
    assert evaluate(p, pull("Renovate-Bot"), reviews(("admin1", "APPROVED"))).approved
    assert not evaluate(p, pull("renovate-bot"), reviews(("bob", "APPROVED"))).approved


def test_bots_can_be_reviewed_like_external_contributors() -> None:
    p = policy("bots:\n  treatment: external\n")
    bot = pull("dependabot[bot]", author_type="Bot")
    assert not evaluate(p, bot, reviews(("admin2", "APPROVED"))).approved
    assert evaluate(p, bot, reviews(("admin2", "APPROVED"), ("admin1", "APPROVED"))).approved


def test_blocking_label_fails_whatever_the_approvals() -> None:
    approvals = reviews(("bob", "APPROVED"), ("carol", "APPROVED"))
    verdict = evaluate(policy(), pull(labels=("bug", "Do-Not-Merge")), approvals)
    assert not verdict.approved
    assert verdict.missing == []
    assert "the label 'do-not-merge' blocks merging whatever the approvals" in verdict.reasons
    assert status_description(verdict) == (
        "the label 'do-not-merge' blocks merging whatever the approvals"
    )
    custom = policy("blocking_label: hold\n")
    assert evaluate(custom, pull(labels=("do-not-merge",)), approvals).approved
    assert not evaluate(custom, pull(labels=("hold",)), approvals).approved


def test_pull_facts_from_the_rest_shape() -> None:
    facts = PullFacts.from_api(
        {
            "number": 3,
            "user": {"login": "mallory", "type": "User"},
            "head": {"sha": HEAD, "repo": None},
            "base": {"repo": {"full_name": "o/r"}},
            "labels": [{"name": "bug"}],
            "draft": None,
            "requested_reviewers": [{"login": "admin1"}, {"name": "team", "slug": "t"}],
        }
    )
    assert facts.from_fork  # a deleted fork is still a fork
    assert (facts.labels, facts.requested, facts.draft) == (("bug",), ("admin1",), False)


def test_ghost_reviews_are_skipped() -> None:
    assert ReviewFact.from_api({"id": 1, "user": None, "state": "APPROVED"}) is None
    review = ReviewFact.from_api({"id": 2, "user": {"login": "bob"}, "state": "approved"})
    assert review == ReviewFact(2, "bob", "APPROVED", None)


def test_summary_table_says_who_approved_who_is_missing_and_why() -> None:
    verdict = evaluate(
        policy(), pull("mallory"), reviews(("admin1", "APPROVED"), ("admin2", "APPROVED", OLD))
    )
    text = summary_markdown(verdict)
    assert text.startswith("### Review check: ❌ not approved\n")
    assert "- **missing:** admin2" in text
    assert "| admin1 | yes | APPROVED | aaaaaaa | ✅ | approved |" in text
    assert (
        f"| admin2 | yes | APPROVED | bbbbbbb | — | approved bbbbbbb, not the head {HEAD[:7]}"
        in (text)
    )


def test_status_description_fits_githubs_limit() -> None:
    many = [f"reviewer{i}" for i in range(14)]
    p = policy(reviewers=f'alice: [{", ".join(many)}]\n"*": [admin1, admin2]')
    text = status_description(evaluate(p, pull(), []))
    assert len(text) == STATUS_DESCRIPTION_MAX
    assert text.startswith("missing approval from reviewer0, reviewer1")
    assert text.endswith("…")
