"""The review policy (docs/design.md, "Review rules"), evaluated without a network."""

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


# ---------------------------------------------------------------- review rules
# The tables below come from gravitational/shared-workflows (commit f03490d3,
# bot/internal/review/review_test.go and bot/internal/bot/*_test.go); each test's
# docstring names the Go test and case it reproduces. Logins are the Go tests' own.

from repowarden.runtime.policy import author_facts, requirement  # noqa: E402
from repowarden.runtime.rules import ChangedFile, ChangeSet  # noqa: E402

TELEPORT_RULES = """\
repository: gravitational/teleport
review:
  admins: ["1", "2"]
  reviewers: {"*": ["1", "2"]}
  groups:
    core-owners: ["1", "2", "3", "9", "14"]
    core: ["4", "5", "6"]
    docs: ["7", "8"]
    cloud: ["10", "11", "12", "13"]
    release: ["3", "4"]
    robots: ["dependabot[bot]"]
  rules:
    - name: admin approval
      if: {author: {is: [internal, member]}}
      require: {approvals: 1, from: [admins]}
      effect: bypass
    - name: large change
      if: {author: {is: [internal, member]}, size: {at_least: 1500, ignore: ["*.pb.go"]}}
      require: {approvals: 1, from: [admins]}
    - name: release
      if:
        author: {is: [internal, member]}
        head_branches: ["release/*"]
        includes_files: [CHANGELOG.md, version.go]
      require: {approvals: 1, from: [release]}
      effect: override
    - name: empty changeset
      if: {author: {is: [internal, member]}, empty: true}
      require: {approvals: 2, from: [admins]}
    - name: code
      if: {author: {is: [internal, member]}, no_paths: ["/docs/", "/CHANGELOG.md"]}
      require: {approvals: 2, from: [core-owners, core], at_least_one_from: core-owners}
    - name: code and docs
      if: {author: {is: [internal, member]}, paths: ["/docs/", "/CHANGELOG.md"]}
      require: {approvals: 2, from: [core-owners, core, docs], at_least_one_from: core-owners}
"""

CODE = ChangeSet((ChangedFile("lib/auth/auth.go", 10, 2),))
DOCS = ChangeSet((ChangedFile("docs/pages/server-access/get-started.mdx", 5, 1),))
CODE_AND_DOCS = ChangeSet(CODE.files + DOCS.files)
LARGE = ChangeSet((ChangedFile("lib/auth/auth.go", 2000, 10),))
RELEASE = ChangeSet(
    (
        ChangedFile("CHANGELOG.md", 10),
        ChangedFile("version.go", 1, 1),
        ChangedFile("Makefile", 1, 1),
    )
)


def teleport(text: str = TELEPORT_RULES) -> ReviewPolicy:
    return parse_config(text).review


def approvals(*logins: str) -> list[ReviewFact]:
    return reviews(*((login, "APPROVED") for login in logins))


@pytest.mark.parametrize(
    ("case", "author", "changes", "approvers", "approved"),
    [
        ("no-reviews-fail", "4", CODE, [], False),
        ("docs-only-no-reviews-fail", "4", DOCS, [], False),
        ("docs-only-non-docs-approval-fail", "4", DOCS, ["3"], False),
        ("docs-only-two-approval-success", "4", DOCS, ["1", "8"], True),
        ("docs-only-docs-approval-fail", "4", DOCS, ["7"], False),
        ("code-only-no-reviews-fail", "4", CODE, [], False),
        ("code-only-one-approval-fail", "4", CODE, ["3"], False),
        ("code-only-two-approval-setb-fail", "4", CODE, ["5", "6"], False),
        ("code-only-large-pr-requires-admin-fails", "6", LARGE, ["3", "4"], False),
        ("code-only-large-pr-has-admin-succeeds", "6", LARGE, ["1", "3", "4"], True),
        ("code-only-two-approvals-success", "6", CODE, ["3", "4"], True),
        ("docs-and-code-only-docs-approval-fail", "6", CODE_AND_DOCS, ["7"], False),
        ("docs-and-code-only-code-approval-fail", "6", CODE_AND_DOCS, ["3", "4"], True),
        ("docs-and-code-docs-and-code-approval-success", "6", CODE_AND_DOCS, ["3", "4", "7"], True),
        ("code-only-internal-on-approval-failure", "8", CODE, ["3"], False),
        ("code-only-internal-code-approval-success", "8", CODE, ["3", "4"], True),
        ("code-only-internal-two-code-owner-approval-success", "4", CODE, ["3", "9"], True),
        ("cloud-with-self-approval-failure", "10", CODE, ["11", "12"], False),
        ("cloud-with-core-approval-success", "10", CODE, ["3", "9"], True),
        ("core-dependabot-code-not-approved-failure", "dependabot[bot]", CODE, [], False),
        ("core-dependabot-code-approval-success", "dependabot[bot]", CODE, ["3", "4"], True),
        ("docs-with-non-preferred-code-reviewer", "1", DOCS, ["3"], False),
    ],
)
def test_teleport_check_internal_table(
    case: str, author: str, changes: ChangeSet, approvers: list[str], approved: bool
) -> None:
    """review_test.go TestCheckInternal: each case by its `desc`, on the teleport repo.

    The Go test sets the Docs/Code/Large flags by hand; here the changed files
    produce them, through the rules that reproduce classifyChanges and prSize.
    """
    verdict = evaluate(teleport(), pull(author), approvals(*approvers), changes=changes)
    assert verdict.approved is approved, (case, verdict.reasons)


def test_teleport_change_request_after_approval_blocks() -> None:
    """review_test.go TestCheckInternal: code-only-changes-requested-after-approval-failure
    and code-only-comment-after-approval-success (the latest review wins; a comment
    does not replace an approval)."""
    base = [("3", "APPROVED"), ("9", "APPROVED")]
    assert not evaluate(
        teleport(), pull("4"), reviews(*base, ("9", "CHANGES_REQUESTED")), changes=CODE
    ).approved
    assert evaluate(
        teleport(), pull("4"), reviews(*base, ("9", "COMMENTED")), changes=CODE
    ).approved


def test_teleport_release_pr_needs_one_release_reviewer() -> None:
    """review_test.go TestCheckInternal: release-pr-fail, release-pr-success; with
    bot_test.go TestIsReleasePR release-pr and non-release-pr-invalid-branch."""
    release = pull("1", head_ref="release/14.0.0")
    assert not evaluate(teleport(), release, approvals("5"), changes=RELEASE).approved
    verdict = evaluate(teleport(), release, approvals("3"), changes=RELEASE)
    assert verdict.approved
    # CHANGELOG.md counts as docs, so the docs rule matches, and the override sets it aside.
    docs = next(r for r in verdict.rules if r.name == "code and docs")
    assert (docs.matched, docs.in_force, docs.note) == (True, False, "set aside by 'release'")
    # Not a release branch: the code rule decides, and one approval is not enough.
    assert not evaluate(
        teleport(), pull("1", head_ref="roman/14.0.0"), approvals("3"), changes=RELEASE
    ).approved


def test_teleport_one_owner_counts_once_even_when_preferred_for_docs() -> None:
    """review_test.go TestCheckInternal: docs-with-preferred-code-reviewer.

    A deliberate difference: Teleport puts reviewer 14 (a code owner preferred for
    docs/pages/server-access) in both of its sets, so one approval counts twice and
    passes. Here one person's approval counts once: two approvals are needed.
    """
    verdict = evaluate(teleport(), pull("1"), approvals("14"), changes=DOCS)
    assert not verdict.approved
    rule = next(r for r in verdict.rules if r.name == "code and docs")
    assert rule.approvers == ["14"]
    assert rule.missing.startswith("1 more approval(s) from")


def test_teleport_empty_changeset_rule_is_shadowed_by_the_admin_bypass() -> None:
    """review.go CheckInternal: "no docs or code changes, requiring admin approvals".

    As in Teleport, the admin bypass is checked first, so one admin suffices; without
    an admin, two owners do not pass an empty changeset.
    """
    verdict = evaluate(teleport(), pull("4"), approvals("3", "9"), changes=ChangeSet())
    assert not verdict.approved
    assert "rule 'empty changeset': applies, missing 2 more approval(s) from 1, 2" in (
        verdict.reasons
    )
    assert evaluate(teleport(), pull("4"), approvals("2"), changes=ChangeSet()).approved


CLOUD_RULES = """\
repository: gravitational/cloud
review:
  admins: ["1", "2"]
  reviewers: {"*": ["1", "2"]}
  groups:
    core-owners: ["13"]
    core: ["10", "11", "12"]
    teleport-core: ["1", "2", "3", "4", "5", "6", "9"]
    single-approver: ["dependabot[bot]"]
  rules:
    - name: code
      if: {author: {is: [internal]}}
      require: {approvals: 2, from: [core-owners, core], at_least_one_from: core-owners}
    - name: single approver
      if: {author: {in: [single-approver]}}
      require: {approvals: 1, from: [core-owners, core]}
      effect: override
    - name: single-approver paths
      if: {author: {is: [internal]}, only_paths: ["deploy/fluxcd/config/**/values.yaml"]}
      require: {approvals: 1, from: [core-owners, core]}
      effect: override
"""


@pytest.mark.parametrize(
    ("case", "author", "approvers", "approved"),
    [
        ("cloud-only-two-approvals-success", "10", ["12", "13"], True),
        ("core-with-cloud-approval-success", "1", ["12", "13"], True),
        ("cloud-single-approval-setA-success", "dependabot[bot]", ["12"], True),
        ("cloud-single-approval-setB-success", "dependabot[bot]", ["13"], True),
    ],
)
def test_cloud_check_internal_table(
    case: str, author: str, approvers: list[str], approved: bool
) -> None:
    """review_test.go TestCheckInternal: the cases on the cloud repository, whose
    single-approver authors (review.go singleApproverAuthors) need one approval."""
    verdict = evaluate(teleport(CLOUD_RULES), pull(author), approvals(*approvers), changes=CODE)
    assert verdict.approved is approved, (case, verdict.reasons)


def test_single_approver_paths_lower_the_count_only_when_every_file_matches() -> None:
    """bot_test.go TestApproverCount: all files match wildcard / one file doesn't match."""
    values = ChangeSet(
        (
            ChangedFile("deploy/fluxcd/config/a/values.yaml"),
            ChangedFile("deploy/fluxcd/config/a/b/values.yaml"),
        )
    )
    assert evaluate(teleport(CLOUD_RULES), pull("10"), approvals("12"), changes=values).approved
    mixed = ChangeSet((*values.files, ChangedFile("deploy/fluxcd/config/a/values2.yaml")))
    assert not evaluate(teleport(CLOUD_RULES), pull("10"), approvals("12"), changes=mixed).approved


@pytest.mark.parametrize(
    ("case", "states", "approved"),
    [
        ("no-reviews-fail", [], False),
        ("two-non-admin-reviews-fail", [("3", "APPROVED"), ("4", "APPROVED")], False),
        ("one-admin-reviews-fail", [("1", "APPROVED"), ("4", "APPROVED")], False),
        (
            "two-admin-reviews-one-denied-success",
            [("1", "CHANGES_REQUESTED"), ("2", "APPROVED")],
            False,
        ),
        ("two-admin-reviews-success", [("1", "APPROVED"), ("2", "APPROVED")], True),
        ("two-admin-one-non-reviewer-success", [("1", "APPROVED"), ("3", "APPROVED")], True),
    ],
)
def test_teleport_check_external_table(
    case: str, states: list[tuple[str, str]], approved: bool
) -> None:
    """review_test.go TestCheckExternal: two admins approve an external contribution.

    Admin 3 is on the omit list there (never requested) and still counts; the map's
    '*' entry with external.approvals: 2 is that rule, unchanged by rules.
    """
    p = teleport(
        TELEPORT_RULES.replace('admins: ["1", "2"]', 'admins: ["1", "2", "3"]').replace(
            '{"*": ["1", "2"]}', '{"*": ["1", "2", "3"]}'
        )
    )
    verdict = evaluate(p, pull("mallory", head_repo="mallory/teleport"), reviews(*states))
    assert verdict.approved is approved, (case, verdict.reasons)
    assert verdict.requirement is not None
    assert verdict.requirement.kind is Kind.EXTERNAL
    assert all(not r.matched for r in verdict.rules)  # every rule asks for an internal author


def test_rules_fail_closed_when_nothing_applies() -> None:
    """A group member no rule applies to is never approved by default."""
    p = teleport(
        TELEPORT_RULES.replace(
            'robots: ["dependabot[bot]"]', 'robots: ["dependabot[bot]"]\n    lone: ["zed"]'
        )
    )
    verdict = evaluate(p, pull("zed"), approvals("1"), changes=CODE)
    assert verdict.approved  # the admin bypass applies to every internal author
    nothing = parse_config(
        "repository: o/r\nreview:\n  admins: [a]\n  reviewers: {'*': [a]}\n"
        "  external: {approvals: 1}\n"
        "  groups: {g: [zed, b]}\n  rules:\n"
        "    - {name: docs, if: {paths: [docs/]}, require: {from: [g]}}\n"
    ).review
    verdict = evaluate(nothing, pull("zed"), approvals("b", "a"), changes=CODE)
    assert not verdict.approved
    assert "no rule applies to this pull request, so nothing can approve it" in verdict.reasons


def test_over_the_file_cap_every_path_rule_matches_and_the_explanation_says_so() -> None:
    """GitHub's REST docs, "List pull requests files": responses include a maximum of 3000 files."""
    capped = ChangeSet(CODE.files, truncated=True)
    verdict = evaluate(teleport(), pull("4"), approvals("3", "5"), changes=capped)
    assert not verdict.approved  # 'large change' is assumed to apply: an admin is needed
    large = next(r for r in verdict.rules if r.name == "large change")
    assert large.matched
    assert any("3,000" in reason for reason in verdict.reasons)
    code_and_docs = next(r for r in verdict.rules if r.name == "code and docs")
    assert code_and_docs.matched
    assert "assumed to touch every path" in code_and_docs.conditions[0]


def test_external_approvals_survive_an_update_merge_when_configured() -> None:
    """Teleport's former exemption: a new head that only merges the base branch
    (the compare API shows no file of the PR changed) keeps the approvals."""
    text = TELEPORT_RULES.replace(
        'reviewers: {"*": ["1", "2"]}',
        'reviewers: {"*": ["1", "2"]}\n  external: {keep_approvals_on_update_merge: true}',
    )
    old = reviews(("1", "APPROVED", OLD), ("2", "APPROVED", OLD))
    outsider = pull("mallory", head_repo="mallory/teleport")
    assert not evaluate(teleport(text), outsider, old).approved
    verdict = evaluate(teleport(text), outsider, old, unchanged_since=[OLD])
    assert verdict.approved
    row = next(r for r in verdict.rows if r.login == "1")
    assert "compare API" in row.note
    assert row.counts
    # Without the option the same facts change nothing: head-only, as before.
    assert not evaluate(teleport(), outsider, old, unchanged_since=[OLD]).approved


def test_explain_json_lists_every_rule_with_its_evidence() -> None:
    verdict = evaluate(teleport(), pull("6"), approvals("3"), changes=CODE_AND_DOCS)
    answer = verdict.to_json()
    by_name = {rule["rule"]: rule for rule in answer["rules"]}
    assert by_name["code"]["matched"] is False
    assert by_name["code"]["conditions"][0] == (
        "fails: no_paths: 1 file(s) match (docs/pages/server-access/get-started.mdx)"
    )
    assert by_name["code and docs"]["approved_by"] == ["3"]
    assert by_name["code and docs"]["missing"] == "1 more approval(s) from 1, 2, 9, 14, 4, 5, 7, 8"
    assert status_description(verdict) == (
        "rule 'code and docs': missing 1 more approval(s) from 1, 2, 9, 14, 4, 5, 7, 8"
    )
    text = summary_markdown(verdict)
    assert "| code and docs (require) | yes |" in text
    assert "| large change (require) | no |" in text


def test_a_map_only_config_answers_without_rules_in_its_json() -> None:
    verdict = evaluate(policy(), pull(), reviews(("bob", "APPROVED")), changes=CODE)
    assert set(verdict.to_json()) == {"approved", "missing", "reasons"}


@pytest.mark.parametrize(
    ("case", "author", "member", "kind"),
    [
        ("core-is-internal", "3", False, "internal"),
        ("cloud-is-internal", "10", False, "internal"),
        ("docs-is-internal", "7", False, "internal"),
        ("dependabot is internal", "dependabot[bot]", False, "internal"),
        ("org member reviewer", "dave", True, "member"),
        ("other-is-not-internal", "rando", False, "external"),
    ],
)
def test_teleport_who_is_internal(case: str, author: str, member: bool, kind: str) -> None:
    """review_test.go TestIsInternal and bot_test.go TestIsInternal: reviewers of any
    set, allowed robots and org members are internal; everyone else is external."""
    p = teleport()
    req = requirement(p, author, "Bot" if "[bot]" in author else "User", is_member=member)
    assert author_facts(p, pull(author), req).kind == kind, case


def test_with_rules_external_stale_approvals_are_named() -> None:
    verdict = evaluate(
        teleport(),
        pull("mallory", head_repo="mallory/teleport"),
        reviews(("1", "APPROVED", OLD), ("2", "APPROVED")),
        changes=CODE,
    )
    assert not verdict.approved
    assert verdict.reasons[1] == f"approvals on older commits do not count: 1 (head is {HEAD[:7]})"
    assert verdict.missing == ["1"]
