"""`bounded-jobs`: timeout-minutes and a concurrency group on every job."""

from __future__ import annotations

import pytest
from repowarden.generator.invariants import timeouts_concurrency
from support.invariants import ASSIGN, Mutate, Parse

GROUP = "      group: repowarden-assign-${{ github.event.pull_request.number }}\n"


def test_the_rendered_example_passes(parsed: Parse, rendered: dict[str, str]) -> None:
    assert timeouts_concurrency.check(parsed(rendered)) == []


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    timeout-minutes: 5\n", "", "timeout-minutes 1..60 required"),
        (
            "    timeout-minutes: 5\n",
            "    timeout-minutes: 360\n",
            "timeout-minutes 1..60 required",
        ),
        (
            "    timeout-minutes: 5\n",
            "    timeout-minutes: '5'\n",
            "timeout-minutes 1..60 required",
        ),
        (GROUP, "", "a concurrency group is required"),
        (GROUP, "      group: ''\n", "a concurrency group is required"),
    ],
)
def test_unbounded_or_unserialised_jobs_are_caught(
    parsed: Parse, mutate: Mutate, old: str, new: str, message: str
) -> None:
    [violation] = timeouts_concurrency.check(parsed(mutate(ASSIGN, old, new)))
    assert violation.path == ASSIGN
    assert message in violation.message
