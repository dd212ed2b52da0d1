"""Fixtures for the invariant tests: parsing snippets, and the rendered trio example.

Each invariant has a test module with a snippet it must pass and snippets it must
catch; the rendered example (every job kind, dispatch included) must pass them all.
The fixtures' types, the rendered paths and a snippet builder are in
tests/support/invariants.py, which test modules import.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from repowarden.generator.render import render_templates
from repowarden.runtime.config import load_config
from support.invariants import Mutate, Parse, parse_clean

TRIO = Path(__file__).parents[3] / "examples/trio/.github/repowarden.yml"


@pytest.fixture
def parsed() -> Parse:
    return parse_clean


@pytest.fixture(scope="session")
def rendered() -> dict[str, str]:
    """The trio example's rendered files: assign, check, dismiss, dispatch (all four jobs).

    Shared by every test: tests change copies (`mutate`), never this dict.
    """
    return render_templates(load_config(TRIO))


@pytest.fixture
def mutate(rendered: dict[str, str]) -> Mutate:
    """The rendered files with `old` replaced by `new` in one of them (which must change)."""

    def change(path: str, old: str, new: str, count: int = -1) -> dict[str, str]:
        assert old in rendered[path], (path, old)
        return {**rendered, path: rendered[path].replace(old, new, count)}

    return change
