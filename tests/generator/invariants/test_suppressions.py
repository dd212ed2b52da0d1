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
