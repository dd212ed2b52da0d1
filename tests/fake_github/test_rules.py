"""The rule switches: every rule is in force unless a test switches it off."""

from __future__ import annotations

import pytest

from fake_github.rules import RULES, RuleSwitches, rule

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
