"""Fixtures for the invariant tests: parsing snippets, and the rendered trio example.

Each invariant has a test module with a snippet it must pass and snippets it must
catch; the rendered example (every job kind, dispatch included) must pass them all.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from repowarden.generator.invariants import ParsedFile, parse
from repowarden.generator.render import render_templates
from repowarden.runtime.config import load_config

TRIO = Path(__file__).parents[3] / "examples/trio/.github/repowarden.yml"

Parse = Callable[[dict[str, str]], dict[str, ParsedFile]]


def _parse(files: dict[str, str]) -> dict[str, ParsedFile]:
    parsed, problems = parse(files)
    assert problems == []
    return parsed


@pytest.fixture
def parsed() -> Parse:
    return _parse


@pytest.fixture(scope="session")
def rendered() -> dict[str, str]:
    """The trio example's rendered files: assign, check, dismiss, dispatch (all four jobs).

    Shared by every test: tests change copies (`mutate`), never this dict.
    """
    return render_templates(load_config(TRIO))


ASSIGN = ".github/workflows/repowarden-assign.yml"
CHECK = ".github/workflows/repowarden-check.yml"
DISPATCH = ".github/workflows/repowarden-dispatch.yml"
LINT = ".github/workflows/repowarden-lint.yml"
ACTION = ".github/actions/repowarden/action.yml"
CODEOWNERS = ".github/CODEOWNERS"


@pytest.fixture
def mutate(rendered: dict[str, str]) -> Callable[..., dict[str, str]]:
    """The rendered files with `old` replaced by `new` in one of them (which must change)."""

    def change(path: str, old: str, new: str, count: int = -1) -> dict[str, str]:
        assert old in rendered[path], (path, old)
        return {**rendered, path: rendered[path].replace(old, new, count)}

    return change
