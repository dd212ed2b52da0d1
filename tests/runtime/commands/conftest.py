"""Fixtures for the command tests: a runner-like environment, or the dispatch pipeline.

`runner` runs a review command as a workflow step does (tests/support/runner.py);
`pipeline` runs the dispatch commands in the order the dispatch workflow runs them
(tests/support/dispatch_pipeline.py). Both work against the fake GitHub (`github`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_github import FakeGitHub
from support.dispatch_pipeline import Pipeline
from support.runner import Runner


@pytest.fixture
def runner(
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Runner:
    return Runner(github, monkeypatch, capsys, tmp_path)


@pytest.fixture
def pipeline(
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Pipeline:
    return Pipeline(github, monkeypatch, capsys, tmp_path)
