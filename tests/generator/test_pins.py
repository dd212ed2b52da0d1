"""The pin table: real SHAs with their tags, inputs that match each action's action.yml,
and every `uses:`/`with:` a rendered workflow emits drawn from it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from repowarden.generator.pins import VERSION_RE, pin, pins, tool_version
from repowarden.generator.render import render_templates
from repowarden.runtime.config import Config
from ruamel.yaml import YAML

DATA = Path(__file__).parent / "data"
SHARED = json.loads((DATA / "action-pins.json").read_text("utf-8"))["pins"]
USES_LINE_RE = re.compile(r"^\s*(?:- )?uses: (?P<ref>\S+)(?: # (?P<tag>\S+))?$")


def action_yml_inputs(action: str) -> set[str]:
    data = YAML(typ="safe", pure=True).load((DATA / "actions" / action / "action.yml").read_text())
    return set(data["inputs"])


def test_the_table_holds_the_shared_pins_exactly() -> None:
    table = pins()
    assert set(table) == set(SHARED)
    for action, entry in SHARED.items():
        assert table[action].sha == entry["sha"], action
        assert table[action].tag == entry["tag"], action


@pytest.mark.parametrize("action", sorted(SHARED))
def test_each_pin_lists_exactly_the_inputs_its_action_declares(action: str) -> None:
    copy = DATA / "actions" / action / "action.yml"
    if copy.exists():
        assert pin(action).inputs == action_yml_inputs(action)
    else:
        # pypa/gh-action-pypi-publish: the shared pin data lists its inputs instead.
        assert pin(action).inputs == set(SHARED[action]["inputs"])


def test_uses_is_sha_with_the_tag_as_comment() -> None:
    checkout = pin("actions/checkout")
    assert checkout.uses == "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"


def test_the_uv_that_setup_uv_installs_is_pinned_to_an_exact_version() -> None:
    # setup-uv v10.0.1 checks a download only against checksums it bundles: a range or
    # "latest" could pick a newer uv that it installs unverified (see pins.json).
    assert VERSION_RE.match(tool_version("uv"))
    assert pin("astral-sh/setup-uv").tag == "v10.0.1"
    with pytest.raises(KeyError, match=r"ruff has no version in generator/pins\.json"):
        tool_version("ruff")


def test_an_action_outside_the_table_cannot_be_rendered() -> None:
    with pytest.raises(KeyError, match=r"actions/cache is not in generator/pins\.json"):
        pin("actions/cache")


def test_every_rendered_uses_and_with_key_comes_from_the_action_itself(
    example: tuple[str, Config],
) -> None:
    _name, config = example
    files = render_templates(config)
    used = set()
    for path, body in files.items():
        if path.endswith("CODEOWNERS"):
            continue
        for line in body.splitlines():
            match = USES_LINE_RE.match(line)
            if match is None or match["ref"].startswith("$/"):
                continue
            action, _, sha = match["ref"].partition("@")
            assert sha == SHARED[action]["sha"], line
            assert match["tag"] == SHARED[action]["tag"], line
            used.add(action)
        document = YAML(typ="safe", pure=True).load(body)
        steps = [s for job in (document.get("jobs") or {}).values() for s in job["steps"]]
        steps += (document.get("runs") or {}).get("steps", [])
        for step in steps:
            if "uses" not in step or step["uses"].startswith("$/"):
                continue
            action = step["uses"].split("@")[0]
            copy = DATA / "actions" / action / "action.yml"
            declared = action_yml_inputs(action) if copy.exists() else set(SHARED[action]["inputs"])
            assert set(step.get("with", {})) <= declared, (path, action)
    assert {"actions/checkout", "actions/setup-python"} <= used
    if config.dispatch is not None:
        assert {"actions/upload-artifact", "actions/download-artifact"} <= used
        if any(op.kind == "build-and-publish" for op in config.dispatch.operations):
            assert "pypa/gh-action-pypi-publish" in used
