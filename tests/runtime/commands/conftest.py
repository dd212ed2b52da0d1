"""Fixtures for the review commands' tests.

`runner` runs a review command as a workflow step does (tests/support/runner.py),
against the fake GitHub (`github`). The dispatch commands' `pipeline` fixture lives
beside their tests (tests/runtime/dispatch/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_github import FakeGitHub
from support.runner import Runner


@pytest.fixture
def runner(
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Runner:
    return Runner(github, monkeypatch, capsys, tmp_path)
