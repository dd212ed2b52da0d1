"""The rule switches: every rule is in force unless a test switches it off."""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_github.clock import SimulatedClock
from fake_github.rules import RULES, RuleSwitches, rule
from fake_github.server import FakeGitHub

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
