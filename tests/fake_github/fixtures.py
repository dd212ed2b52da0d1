"""Pytest fixtures: `github` is a started FakeGitHub with GH_HOST pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fake_github.server import FakeGitHub


@contextmanager
def serving(gh: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    """Start `gh`, point GH_HOST at it for the test, stop it after and fail on its crashes."""
    gh.start()
    monkeypatch.setenv("GH_HOST", gh.url)
    # The runtime prefers GH_HOST, but make a stray GITHUB_API_URL harmless too.
    monkeypatch.setenv("GITHUB_API_URL", gh.url)
    try:
        yield gh
    finally:
        gh.stop()
    # A crash inside the fake is a bug in the fake, whatever the test expected.
    assert not gh.errors, "fake GitHub crashed:\n" + "\n".join(gh.errors)


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with serving(FakeGitHub(tmp_path / "fake-github"), monkeypatch) as gh:
        yield gh
