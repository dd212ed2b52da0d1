"""`repowarden schema`: the JSON Schema editors use to complete and check the config."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from repowarden.runtime.config import Config, ConfigError, parse_config
from ruamel.yaml import YAML

SCAFFOLDED = """\
# yaml-language-server: $schema=repowarden/config.schema.yml
repository: "octo-org/hello"
default_branch: "main"
review:
  admins: ["alice"]
  reviewers:
    "bob": ["alice"]
    "*": ["alice", "carol"]
  external:
    approvals: 2
dispatch:
  senders:
    - login: "octo-bot[bot]"
      id: 4242
  operations:
    - kind: pip-compile
      requirements: ["requirements.in"]
    - kind: build-and-publish
      project: "hello"
"""


def schema_output() -> str:
    done = subprocess.run(
        [sys.executable, "-P", "-m", "repowarden.generator", "schema"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(schema_output())


def load(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def test_schema_is_deterministic_json_schema(schema: dict[str, Any]) -> None:
    assert schema_output() == schema_output()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert {"repository", "review"} <= set(schema["required"])


def test_a_config_the_model_accepts_is_valid_against_the_schema(schema: dict[str, Any]) -> None:
    parse_config(SCAFFOLDED)  # the model accepts it
    jsonschema.validate(load(SCAFFOLDED), schema)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("runnner: ubuntu-24.04\n", "Additional properties"),
        ("dismiss: {schedule: '* * * * *', extra: 1}\n", "Additional properties"),
        ("python_version: '2.7'\n", "does not match"),
    ],
)
def test_the_schema_rejects_what_the_model_rejects(
    schema: dict[str, Any], change: str, message: str
) -> None:
    with pytest.raises(jsonschema.ValidationError, match=message):
        jsonschema.validate(load(SCAFFOLDED + change), schema)


def test_every_key_carries_its_description_for_editor_hovers(schema: dict[str, Any]) -> None:
    review = schema["$defs"]["ReviewPolicy"]["properties"]
    assert "'*' entry is required" in review["reviewers"]["description"]
    senders = schema["$defs"]["Sender"]["properties"]
    assert "Numeric user id" in senders["id"]["description"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('admins: ["alice"]', 'admins: ["@alice"]'),
        ('admins: ["alice"]', 'admins: ["carol d"]'),
        ('    "*": ["alice", "carol"]\n', ""),
        ('requirements: ["requirements.in"]', 'requirements: ["../x.in"]'),
        ('requirements: ["requirements.in"]', 'requirements: ["requirements.txt"]'),
        ('default_branch: "main"\n', 'dismiss: {schedule: "every 30 minutes"}\n'),
        ('default_branch: "main"\n', "runner: windows-latest\n"),
        ('default_branch: "main"\n', 'default_branch: "a$b"\n'),
        ('    "bob": ["alice"]\n', '    "bob": []\n'),
        ('repository: "octo-org/hello"', 'repository: "octo org"'),
    ],
    ids=[
        "at-login",
        "space-login",
        "no-star",
        "dotdot",
        "not-in",
        "cron-words",
        "windows",
        "unsafe",
        "empty-reviewers",
        "owner-repo",
    ],
)
def test_the_schema_carries_the_loaders_rules(schema: dict[str, Any], old: str, new: str) -> None:
    # What an editor flags is what `generate` refuses: both reject each of these.
    text = SCAFFOLDED.replace(old, new)
    assert text != SCAFFOLDED
    with pytest.raises(ConfigError):
        parse_config(text)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(load(text), schema)


def test_the_examples_are_valid_against_the_schema(
    schema: dict[str, Any], example: tuple[str, Config]
) -> None:
    path = Path(__file__).parents[2] / "examples" / example[0] / ".github/repowarden.yml"
    jsonschema.validate(load(path.read_text()), schema)
