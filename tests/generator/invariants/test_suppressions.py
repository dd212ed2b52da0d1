"""`only-dangerous-triggers-suppressed`: one silenced audit, on pull_request_target, reasoned."""

from __future__ import annotations

import pytest
from repowarden.generator.invariants import suppressions
from support.invariants import ACTION, ASSIGN, LINT, Mutate, Parse


def test_the_rendered_example_passes(parsed: Parse, rendered: dict[str, str]) -> None:
    assert suppressions.check(parsed(rendered)) == []


@pytest.mark.parametrize(
    ("path", "old", "new", "message"),
    [
        (
            ASSIGN,
            "ignore[dangerous-triggers] runs",
            "ignore[dangerous-triggers,template-injection] runs",
            "may silence zizmor",
        ),
        (
            ASSIGN,
            "# zizmor: ignore[dangerous-triggers] runs the base",
            "# zizmor: ignore[dangerous-triggers]\n# runs the base",
            "needs its inline dangerous-triggers reason",
        ),
        (
            ASSIGN,
            "pull_request_target:  # zizmor: ignore[dangerous-triggers] ",
            "pull_request_target:  # ",
            "needs its inline dangerous-triggers reason",
        ),
        (
            LINT,
            "  pull_request:\n",
            "  pull_request:  # zizmor: ignore[dangerous-triggers] because we say so, really\n",
            "may silence zizmor",
        ),
        (
            ACTION,
            "    - name: Set up Python\n",
            "    - name: Set up Python  # zizmor: ignore[unpinned-uses]\n",
            "may silence zizmor",
        ),
    ],
)
def test_other_suppressions_are_caught(
    parsed: Parse, mutate: Mutate, path: str, old: str, new: str, message: str
) -> None:
    violations = suppressions.check(parsed(mutate(path, old, new)))
    assert violations
    assert {v.path for v in violations} == {path}
    assert any(message in v.message for v in violations), violations


SELF = "uses: $/.github/actions/repowarden"
CHECKED_OUT = "uses: ./.github/actions/repowarden  # zizmor: ignore[self-repository]"
REASON = " no $/ on GHES or runners before 2.336.0; the job checked out its own commit"


def test_self_repository_is_accepted_on_the_checked_out_action_with_its_reason(
    parsed: Parse, mutate: Mutate
) -> None:
    assert suppressions.check(parsed(mutate(LINT, SELF, CHECKED_OUT + REASON))) == []


@pytest.mark.parametrize(
    ("new", "why"),
    [
        (CHECKED_OUT + " short", "a reason of a few words"),
        ("uses: ./elsewhere  # zizmor: ignore[self-repository]" + REASON, "another action"),
        (SELF + "  # zizmor: ignore[self-repository]" + REASON, "the $/ form needs none"),
        (CHECKED_OUT.replace("self-repository", "unpinned-uses") + REASON, "another audit"),
    ],
)
def test_self_repository_is_refused_anywhere_else(
    parsed: Parse, mutate: Mutate, new: str, why: str
) -> None:
    found = suppressions.check(parsed(mutate(LINT, SELF, new)))
    assert [v.rule for v in found] == [suppressions.ID], why
