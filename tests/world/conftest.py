"""Fixtures: a fake GitHub on simulated time, and worlds built from the rendered examples."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_github.clock import SimulatedClock
from fake_github.fixtures import serving
from fake_github.server import FakeGitHub
from repowarden.runtime.config import load_config

from world import World
from world.generate import render
from world.venvs import MACHINE_ENV, RuntimeVenvs

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def runtime_venvs(tmp_path_factory: pytest.TempPathFactory) -> RuntimeVenvs:
    return RuntimeVenvs(tmp_path_factory.mktemp("world-venvs"))


@pytest.fixture
def simulated_github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with serving(FakeGitHub(tmp_path / "fake-github", clock=SimulatedClock()), monkeypatch) as gh:
        yield gh


@pytest.fixture
def make_world(
    simulated_github: FakeGitHub, tmp_path: Path, runtime_venvs: RuntimeVenvs
) -> Iterator[Callable[..., World]]:
    """A world whose repository holds an example's config (optionally edited) rendered
    by the real generator, plus `extra_files`; closed when the test ends."""
    worlds: list[World] = []

    def make(
        example: str,
        *,
        edit: Callable[[str], str] = lambda text: text,
        extra_files: dict[str, str] | None = None,
        **world_kw: Any,
    ) -> World:
        text = edit((EXAMPLES / example / ".github" / "repowarden.yml").read_text("utf-8"))
        rendered = tmp_path / "rendered"
        if rendered.exists():
            shutil.rmtree(rendered)
        files: dict[str, str | bytes] = {**render(text, rendered), **(extra_files or {})}
        config = load_config(rendered / ".github" / "repowarden.yml")
        simulated_github.add_repo(
            config.repository, default_branch=config.default_branch, files=files
        )
        runtime_venvs.prepare(rendered / ".github" / "repowarden" / "requirements.txt")
        clock = simulated_github.state.clock
        assert isinstance(clock, SimulatedClock)
        world = World(
            simulated_github,
            config.repository,
            tmp_path / "world",
            clock=clock,
            job_hook=runtime_venvs.job_hook,
            machine_env=MACHINE_ENV,
            **world_kw,
        )
        worlds.append(world)
        return world

    yield make
    for world in worlds:
        world.close()
