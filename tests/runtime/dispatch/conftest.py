"""Fixtures for the dispatch tests; the pipeline itself is tests/support/dispatch_pipeline.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_github import FakeGitHub
from support.dispatch_pipeline import Pipeline


@pytest.fixture
def pipeline(
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Pipeline:
    return Pipeline(github, monkeypatch, capsys, tmp_path)
