"""Invariant 13: review events carry no privilege; only default-branch code writes the gate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from repowarden.generator.invariants import ParsedFile, gate_writers
from repowarden.generator.render import render_templates
from repowarden.runtime.config import load_config

Parse = Callable[[dict[str, str]], dict[str, ParsedFile]]
Mutate = Callable[..., dict[str, str]]
CHECK = ".github/workflows/repowarden-check.yml"
REVIEW = ".github/workflows/repowarden-review.yml"
GATE = ".github/workflows/repowarden-gate.yml"
APP_EXAMPLE = Path(__file__).parents[3] / "examples/app/.github/repowarden.yml"


@pytest.fixture(scope="module")
def app_rendered() -> dict[str, str]:
    return render_templates(load_config(APP_EXAMPLE))


def test_the_rendered_examples_pass(
    parsed: Parse, rendered: dict[str, str], app_rendered: dict[str, str]
) -> None:
    assert gate_writers.check(parsed(rendered)) == []
    assert gate_writers.check(parsed(app_rendered)) == []


@pytest.mark.parametrize(
    ("path", "old", "new", "message"),
    [
        # A review run given a write permission could write the status from PR code.
        (
            REVIEW,
            "    permissions: {}\n    steps:",
            "    permissions:\n      statuses: write  # x\n    steps:",
            "holds write permissions ['statuses']",
        ),
        (
            REVIEW,
            "    permissions: {}\n    steps:",
            '    permissions: {}\n    environment: "repowarden-app"\n    steps:',
            "must not enter an environment",
        ),
        (
            REVIEW,
            '        run: echo "The review gate',
            '        env:\n          KEY: ${{ secrets.KEY }}\n        run: echo "The review gate',
            "must not read a secret",
        ),
        # The status writer must not run on review events again.
        (
            CHECK,
            "    types: [opened, reopened, synchronize, ready_for_review, labeled, unlabeled]\n",
            "    types: [opened, reopened, synchronize, ready_for_review, labeled, unlabeled]\n"
            "  pull_request_review:\n",
            "can write the gate but its workflow also runs on pull_request_review",
        ),
        (
            GATE,
            "      cancel-in-progress: false",
            "      cancel-in-progress: true",
            "a gate writer needs cancel-in-progress: false",
        ),
    ],
)
def test_breaches_are_caught(
    parsed: Parse, mutate: Mutate, path: str, old: str, new: str, message: str
) -> None:
    found = gate_writers.check(parsed(mutate(path, old, new)))
    assert any(message in str(v) for v in found), found


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    # Holds the App's key; its deployment branches are the default branch only.\n"
            '    environment: "repowarden-app"\n',
            "",
            "an App token only in a job with an environment",
        ),
        (
            "private-key: ${{ secrets.REPOWARDEN_APP_PRIVATE_KEY }}",
            "private-key: ${{ vars.KEY }}",
            "private-key must be one `secrets.NAME`",
        ),
        (
            "          command: check\n",
            "          command: check\n          args: ${{ secrets.REPOWARDEN_APP_PRIVATE_KEY }}\n",
            "only the token step reads a secret",
        ),
    ],
)
def test_app_key_breaches_are_caught(
    parsed: Parse, app_rendered: dict[str, str], old: str, new: str, message: str
) -> None:
    assert old in app_rendered[GATE]
    files = {**app_rendered, GATE: app_rendered[GATE].replace(old, new)}
    found = gate_writers.check(parsed(files))
    assert any(message in str(v) for v in found), found
