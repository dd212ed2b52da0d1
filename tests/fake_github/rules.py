"""GitHub's documented rules that the fake world enforces, each one switchable.

Every rule the fake GitHub or the simulated world applies is registered here with
the page it comes from. All rules are on by default; a test may switch one off
(`gh.rules.disable("id")`) to show that some scenario's outcome depends on it (the
mutation check that keeps the world from agreeing with our code by construction).
RULES.md lists every id with its source and the test that shows it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str  # stable, kebab-case: "github-token-events-start-no-runs"
    summary: str  # one sentence: what GitHub does
    source: str  # the documentation page or changelog it comes from (URL)
    documented: bool = True  # False: GitHub does not say; we chose the stricter behaviour


RULES: dict[str, Rule] = {}


def rule(id: str, summary: str, source: str, *, documented: bool = True) -> str:
    """Register a rule at import time and return its id (use the id where it is enforced)."""
    if id in RULES and RULES[id] != Rule(id, summary, source, documented):
        raise ValueError(f"rule {id!r} registered twice with different text")
    RULES[id] = Rule(id, summary, source, documented)
    return id


class RuleSwitches:
    """Which registered rules are in force for one fake GitHub (all of them, by default)."""

    def __init__(self, disabled: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._disabled: set[str] = set()
        for rule_id in disabled:
            self.disable(rule_id)

    def __call__(self, rule_id: str) -> bool:
        """True when the rule is in force."""
        if rule_id not in RULES:
            raise KeyError(f"unknown rule {rule_id!r}; register it in fake_github.rules")
        with self._lock:
            return rule_id not in self._disabled

    def disable(self, rule_id: str) -> None:
        if rule_id not in RULES:
            raise KeyError(f"unknown rule {rule_id!r}")
        with self._lock:
            self._disabled.add(rule_id)

    @contextmanager
    def without(self, rule_id: str) -> Iterator[None]:
        self.disable(rule_id)
        try:
            yield
        finally:
            with self._lock:
                self._disabled.discard(rule_id)
