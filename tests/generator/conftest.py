"""Generator test fixtures: the example configs under examples/."""

from __future__ import annotations

from pathlib import Path

import pytest
from repowarden.runtime.config import Config, load_config

EXAMPLES = Path(__file__).parents[2] / "examples"


def example_names() -> list[str]:
    return sorted(p.name for p in EXAMPLES.iterdir() if (p / ".github/repowarden.yml").is_file())


@pytest.fixture(params=example_names())
def example(request: pytest.FixtureRequest) -> tuple[str, Config]:
    """(name, config) of each example under examples/."""
    name: str = request.param
    return name, load_config(EXAMPLES / name / ".github/repowarden.yml")
