"""Pytest fixtures: `github` is a started FakeGitHub with GH_HOST pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_github.server import FakeGitHub


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    gh = FakeGitHub(tmp_path / "fake-github").start()
    monkeypatch.setenv("GH_HOST", gh.url)
    # The runtime prefers GH_HOST, but make a stray GITHUB_API_URL harmless too.
    monkeypatch.setenv("GITHUB_API_URL", gh.url)
    try:
        yield gh
    finally:
        gh.stop()
    # A crash inside the fake is a bug in the fake, whatever the test expected.
    assert not gh.errors, "fake GitHub crashed:\n" + "\n".join(gh.errors)
