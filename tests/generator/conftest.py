"""Generator test fixtures: the rendered examples, and a test double for unwritten commands.

TEST DOUBLE, tests only: until every runtime command module has landed, rendering
would fail to import the missing ones. `planned_permissions_double` stands in for
exactly the commands whose module does not exist yet, with the permissions PLAN.md
fixes for them; a command that exists is always loaded for real. When all of them
exist the double does nothing (and `test_double_is_only_for_missing_commands` says so).
"""

from __future__ import annotations

import argparse
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from repowarden.runtime import commands
from repowarden.runtime.commands import Command, Permission
from repowarden.runtime.config import Config, load_config

# PLAN.md's table, for commands not written yet.
PLANNED: dict[str, tuple[Permission, ...]] = {
    "operate": (),
    "verify": (),
    "announce": (Permission("pull-requests", "write", "comment on the pull request"),),
    "apply": (
        Permission("contents", "write", "create the result branch through the Git Data API"),
        Permission("pull-requests", "write", "open or update the pull request and comment"),
    ),
}


def missing_commands() -> list[str]:
    return [
        name
        for name, module in commands.MODULES.items()
        if importlib.util.find_spec(f"repowarden.runtime.commands.{module}") is None
    ]


@pytest.fixture(autouse=True)
def planned_permissions_double(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    missing = set(missing_commands())
    if not missing:
        yield
        return
    real_load = commands.load

    def load(name: str) -> Command:
        if name not in missing:
            return real_load(name)

        def run(args: argparse.Namespace) -> int:
            raise AssertionError(f"test double of {name} cannot run")

        return Command(name, f"double of {name}", PLANNED[name], lambda parser: None, run)

    monkeypatch.setattr(commands, "load", load)
    yield


EXAMPLES = Path(__file__).parents[2] / "examples"


def example_names() -> list[str]:
    return sorted(p.name for p in EXAMPLES.iterdir() if (p / ".github/repowarden.yml").is_file())


@pytest.fixture(params=example_names())
def example(request: pytest.FixtureRequest) -> tuple[str, Config]:
    """(name, config) of each example under examples/."""
    name: str = request.param
    return name, load_config(EXAMPLES / name / ".github/repowarden.yml")
