"""Whom to request: the map as before, and with rules Teleport's assignment.

Tables come from gravitational/shared-workflows at commit f03490d3
(bot/internal/review/review_test.go, bot/internal/bot/assign_test.go and
check_test.go); each test names the Go test and cases it mirrors. Teleport's
tests fix its random pick to the first candidate; here the pick is a seeded draw,
so where Teleport's answer came from that pick the test accepts any candidate of
the right set and checks that the draw is stable instead.
"""

from __future__ import annotations

import pytest
from repowarden.runtime.config import ReviewPolicy, parse_config
from repowarden.runtime.policy import PullFacts, ReviewFact, evaluate
from repowarden.runtime.reviewer_selection import (
    candidates,
    is_backport,
    original_number,
    preferred_for,
    rule_candidates,
    select,
    unneeded_requests,
)
from repowarden.runtime.rules import ChangedFile, ChangeSet

SHA = "a" * 40

CODE_REVIEWERS = """\
repository: gravitational/teleport
review:
  admins: ["100", "200"]
  reviewers: {"*": ["100", "200"]}
  groups:
    owners: ["1", "2", "3", "7"]
    others: ["4", "5", "6", "8"]
  rules:
    - name: code
      if: {author: {is: [internal]}}
      require: {approvals: 2, from: [owners, others], at_least_one_from: owners}
  assign:
    preferred:
      "1": ["/lib/srv/db*", "/lib/srv/app*"]
      "2": ["/lib/srv/db*", "/lib/alpn*"]
      "4": ["/lib/srv/app*"]
      "5": ["/lib/srv/db*"]
      "7": ["/chart/teleport-operator*", "!/chart/teleport-operator/crds*"]
      "8": ["/chart/teleport-operator*", "!/chart/teleport-operator/crds*"]
    preferred_only: ["1", "4", "7", "8"]
"""


def config(text: str = CODE_REVIEWERS) -> ReviewPolicy:
    return parse_config(text).review


def pull(author: str = "3", number: int = 7, **kw: object) -> PullFacts:
    values: dict[str, object] = {
        "number": number,
        "author": author,
        "head_sha": SHA,
        "base_repo": "gravitational/teleport",
        "head_repo": "gravitational/teleport",
    }
    values.update(kw)
    return PullFacts(**values)  # type: ignore[arg-type]


def chosen(author: str, names: list[str], number: int = 7) -> list[str]:
    changes = ChangeSet(tuple(ChangedFile(name) for name in names))
    people = rule_candidates(config(), "gravitational/teleport", pull(author, number), changes)
    return [login for login, _ in people]


@pytest.mark.parametrize(
    ("case", "names", "exactly", "one_of"),
    [
        ("both reviewers are preferred", ["lib/srv/db/engine.go"], ["5"], ["1", "2"]),
        ("one of the reviewers is preferred", ["lib/alpn/proxy.go"], ["2"], ["5", "6"]),
        (
            "preferred reviewers for different files",
            ["lib/alpn/proxy.go", "lib/srv/app.go"],
            ["1", "2", "4"],
            [],
        ),
        ("no preferred reviewers", ["lib/service/service.go"], ["2"], ["5", "6"]),
        (
            "covered paths: don't add new or duplicate reviewers for paths already covered",
            ["lib/srv/app.go", "lib/srv/db/engine.go"],
            ["1", "4", "5"],
            [],
        ),
        (
            "excluded paths only",
            [
                "chart/teleport-operator/crds/teleport_v1alpha1_cluster.yaml",
                "chart/teleport-operator/crds/teleport_v1alpha1_node.yaml",
            ],
            ["2"],
            ["5", "6"],
        ),
        (
            "both excluded paths and non-excluded paths",
            [
                "chart/teleport-operator/crds/teleport_v1alpha1_cluster.yaml",
                "chart/teleport-operator/crds/teleport_v1alpha1_node.yaml",
                "chart/teleport-operator/templates/configmap.yaml",
            ],
            ["7", "8"],
            [],
        ),
    ],
)
def test_code_reviewers_by_preferred_path(
    case: str, names: list[str], exactly: list[str], one_of: list[str]
) -> None:
    """review_test.go TestGetCodeReviewers: every case but 'admins' (below)."""
    people = chosen("3", names)
    assert [p for p in people if p not in one_of] == sorted(
        [p for p in people if p not in one_of], key=people.index
    )
    assert sorted(p for p in people if p not in one_of) == exactly, case
    assert len([p for p in people if p in one_of]) == (1 if one_of else 0), case
    assert chosen("3", names) == people  # the same PR always gets the same people


def test_external_authors_get_the_star_reviewers() -> None:
    """review_test.go TestGetCodeReviewers: admins (an author in no group)."""
    assert chosen("999", ["lib/srv/app.go", "lib/srv/db/engine.go"]) == ["100", "200"]


def test_the_draw_is_seeded_by_pull_request() -> None:
    draws = {tuple(chosen("3", ["lib/service/service.go"], number)) for number in range(1, 40)}
    assert draws == {("2", "5"), ("2", "6")}  # both appear: a draw, not a fixed choice


def test_preferred_only_reviewers_are_never_drawn() -> None:
    """review.go filterPreferredOnly: 1, 4, 7 and 8 are requested only for their paths."""
    for number in range(1, 30):
        assert not {"1", "4", "7", "8"} & set(chosen("3", ["lib/x.go"], number))


def test_omitted_reviewers_are_never_requested_but_still_count() -> None:
    """review_test.go TestOmitReviewersCanApprove; TestGetCodeReviewerSets skip-omitted-user."""
    policy = config(CODE_REVIEWERS + '    omit: ["2", "5", "6"]\n')
    people = rule_candidates(policy, "o/r", pull("3"), ChangeSet((ChangedFile("lib/x.go"),)))
    assert [login for login, _ in people] == []  # nobody left to draw from but preferred-only
    approvals = [ReviewFact(1, "2", "APPROVED", SHA), ReviewFact(2, "5", "APPROVED", SHA)]
    assert evaluate(policy, pull("3"), approvals, changes=ChangeSet()).approved
    selection = select(policy, "o/r", pull("3"), ["2", "9"])
    assert selection.chosen == ["9"]
    assert ("2", "on review.assign.omit (never requested; still counts)") in selection.skipped


def test_preferred_for_honours_each_reviewers_exclusions() -> None:
    """review.go reviewerExcludesPath: a '!' path removes files from that reviewer only."""
    policy = config()
    crds = ["chart/teleport-operator/crds/a.yaml"]
    assert preferred_for(policy, ["7", "8"], crds) == []
    assert [
        login for login, _ in preferred_for(policy, ["7"], [*crds, "chart/teleport-operator/x"])
    ] == ["7"]


def test_the_map_alone_chooses_as_before() -> None:
    plain = parse_config(
        "repository: o/r\nreview:\n  admins: [a1]\n  reviewers:\n"
        "    alice: [bob, carol]\n    '*': [a1, a2]\n  external: {approvals: 1}\n"
    ).review
    assert candidates(plain, pull("alice")) == ["bob", "carol"]
    assert candidates(plain, pull("mallory")) == ["a1", "a2"]


BACKPORTS = (
    CODE_REVIEWERS + '    backports: {branches: ["branch/v*"], titles: ["[[]v[0-9]*[]] *"]}\n'
)


@pytest.mark.parametrize(
    ("case", "title", "body", "number"),
    [
        ("backport-original-pr-number-approved", "Backport #0 to branch/v8", "", 0),
        (
            "backport-original-url-approved",
            "Fixed an issue",
            "https://github.com/gravitational/teleport/pull/0",
            0,
        ),
        ("backport-original-not-found", "Fixed feature", "", None),
        ("different PRs referenced in title and body", "[v17] Fix #12", "Backport of #13", None),
        ("same PR in title and body", "[v17] Fix #12", "Backport of #12", 12),
    ],
)
def test_backport_names_its_original(case: str, title: str, body: str, number: int | None) -> None:
    """assign_test.go TestBackportReviewers (the reference part) and assign.go
    findOriginalPR (title and body must not disagree)."""
    facts = pull("baz", title=title, body=body, base_ref="branch/v8")
    assert original_number("gravitational/teleport", facts) == number, case


def test_backports_by_branch_or_title() -> None:
    policy = config(BACKPORTS)
    assert is_backport(policy, pull(base_ref="branch/v17"))
    assert is_backport(policy, pull(base_ref="master", title="[v17] Fix the proxy"))
    assert not is_backport(policy, pull(base_ref="master", title="Fix the proxy"))
    assert not is_backport(config(), pull(base_ref="branch/v17"))


@pytest.mark.parametrize(
    ("case", "requested", "states", "remove"),
    [
        (
            "exactly-2-approvals",
            ["user1", "user2"],
            [("user1", "APPROVED"), ("user2", "APPROVED")],
            [],
        ),
        (
            "2-dismissals",
            ["user1", "user2", "user3", "user4"],
            [("user1", "APPROVED"), ("user2", "APPROVED")],
            ["user3", "user4"],
        ),
        (
            "2-approvals-1-comment",
            ["user1", "user2", "user3"],
            [("user1", "APPROVED"), ("user2", "APPROVED"), ("user3", "COMMENTED")],
            [],
        ),
        (
            "2-approvals-1-requestchange-1-to-dismiss",
            ["user1", "user2", "user3", "user4"],
            [("user1", "APPROVED"), ("user2", "APPROVED"), ("user3", "CHANGES_REQUESTED")],
            [],
        ),
        (
            "only-counts-latest-review",
            ["user1", "user2", "user3", "user4"],
            [("user1", "APPROVED"), ("user2", "APPROVED"), ("user2", "CHANGES_REQUESTED")],
            [],
        ),
    ],
)
def test_requests_no_longer_needed_once_approved(
    case: str, requested: list[str], states: list[tuple[str, str]], remove: list[str]
) -> None:
    """check_test.go TestDismissUnnecessaryReviewers. One deliberate difference: the
    request of user3 (who requested changes) is not withdrawn there either way, and
    here a change request blocks approval, so nothing is removed until it is met."""
    policy = parse_config(
        "repository: o/r\nreview:\n  admins: [admin1]\n  reviewers: {'*': [admin1]}\n"
        "  external: {approvals: 1}\n"
        "  groups: {core: [user1, user2, user3, user4], staff: [author]}\n  rules:\n"
        "    - {name: code, require: {approvals: 2, from: [core]}}\n"
    ).review
    facts = pull("author", requested=tuple(requested))
    reviews = [ReviewFact(i, login, state, SHA) for i, (login, state) in enumerate(states)]
    verdict = evaluate(policy, facts, reviews, changes=ChangeSet())
    assert unneeded_requests(verdict, facts) == remove, case
