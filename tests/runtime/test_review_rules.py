"""The review rules' config: what is refused, where, and why."""

from __future__ import annotations

import pytest
from repowarden.runtime.config import ConfigError, parse_config

HEAD = """\
repository: o/r
review:
  admins: [a1, a2]
  reviewers: {"*": [a1, a2]}
"""


def problems(review_tail: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(HEAD + review_tail)
    return [str(p) for p in caught.value.problems]


def test_a_config_with_rules_parses() -> None:
    config = parse_config(
        HEAD
        + "  groups: {core: [b, c], owners: [b]}\n"
        + "  rules:\n"
        + "    - name: code\n"
        + "      if: {paths: ['lib/', '!lib/gen/**'], branches: ['main', 'release/*']}\n"
        + "      require: {approvals: 2, from: [core, admins], at_least_one_from: owners}\n"
    )
    assert config.review.has_rules
    assert config.review.groups_of("B") == ["core", "owners"]


@pytest.mark.parametrize(
    ("tail", "where", "message"),
    [
        (
            "  groups: {core: [b]}\n  rules:\n    - {name: x, require: {from: [cor]}}\n",
            ":7:27:",
            "review.rules.0.require.from: rule 'x': unknown group(s) cor; define them under",
        ),
        ("  groups: {core: []}\n", ":5:12:", "review.groups.core: List should have at least 1"),
        (
            "  groups: {admins: [b]}\n",
            ":5:3:",
            "'admins' is built in (review.admins); give the group another name",
        ),
        (
            "  groups: {core: [b]}\n  rules:\n"
            "    - {name: x, require: {approvals: 3, from: [core]}}\n",
            ":7:27:",
            "review.rules.0.require.approvals: rule 'x': needs 3 approvals but its pool (core)",
        ),
        (
            "  groups: {core: [b, c], docs: [d]}\n  rules:\n"
            "    - {name: x, require: {approvals: 2, from: [core], at_least_one_from: docs}}\n",
            ":7:55:",
            "at_least_one_from: rule 'x': 'docs' shares no member with the pool (core)",
        ),
        (
            "  groups: {core: [b, c]}\n  rules:\n"
            "    - {name: x, require: {approvals: all, from: [core], at_least_one_from: core}}\n",
            ":7:57:",
            "rule 'x': 'approvals: all' and 'at_least_one_from' contradict each other",
        ),
        (
            "  groups: {core: [b]}\n  rules:\n"
            "    - {name: x, if: {paths: ['!docs/']}, require: {from: [core]}}\n",
            ":7:",
            "paths has only exclusions ('!'), so it can never match",
        ),
        (
            "  groups: {core: [b]}\n  rules:\n"
            "    - {name: x, if: {paths: ['../secrets']}, require: {from: [core]}}\n",
            ":7:",
            "'../secrets' can never match: GitHub reports paths relative to the repository root",
        ),
        (
            "  groups: {core: [b]}\n  rules:\n"
            "    - {name: x, if: {paths: ['# note']}, require: {from: [core]}}\n",
            ":7:",
            "'# note' can never match: it is empty or a gitignore comment",
        ),
        (
            "  groups: {core: [b]}\n  rules:\n"
            "    - {name: x, if: {empty: true, paths: [lib/]}, require: {from: [core]}}\n",
            ":7:",
            "empty: true contradicts paths/only_paths/includes_files",
        ),
        (
            "  groups: {core: [b]}\n  rules:\n"
            "    - {name: x, if: {author: {in: [core], not_in: [core]}},\n"
            "       require: {from: [core]}}\n",
            ":7:43:",
            "review.rules.0.if.author.not_in: rule 'x': author.in and author.not_in both name",
        ),
        (
            "  groups: {core: [b]}\n  rules:\n"
            "    - {name: x, require: {from: [core]}}\n    - {name: X, require: {from: [core]}}\n",
            ":8:8:",
            "review.rules.1.name: a second rule named 'X'; names identify rules",
        ),
        ("  assign: {omit: ['not a login']}\n", ":5:3:", "not GitHub logins: not a login"),
    ],
)
def test_mistakes_are_located_and_explained(tail: str, where: str, message: str) -> None:
    found = problems(tail)
    assert len(found) == 1, found
    assert where in found[0], found
    assert message in found[0], found
