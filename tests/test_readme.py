"""The README's examples, run or validated, so they cannot go stale.

A fenced block right after a `<!-- readme-test: WHAT -->` comment is tested here by
WHAT; every marker must be one this file knows, and every one it knows must be used.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from repowarden.runtime.config import parse_config
from ruamel.yaml import YAML

PROJECT = Path(__file__).parents[1]
README = (PROJECT / "README.md").read_text(encoding="utf-8")
_MARKED = re.compile(
    r"<!-- readme-test: (?P<what>[^>]+?) -->\n```(?P<lang>\w+)\n(?P<body>.*?)```", re.S
)
_COMMAND = re.compile(r"^```sh\n(?P<first>[^\n]*)\n(?P<second>[^\n]*)\n", re.M)
BIN = Path(sys.executable).parent


def marked(what: str) -> str:
    [body] = [m["body"] for m in _MARKED.finditer(README) if m["what"] == what]
    return body


def test_every_marker_is_tested_here() -> None:
    known = {
        "run in a new git repository named your-repo",
        "a valid config",
        "a pre-commit config using this repository's hook",
        "a dependabot config",
        "a renovate config",
    }
    assert {m["what"] for m in _MARKED.finditer(README)} == known


def test_the_first_two_commands_are_the_demo_and_the_tests() -> None:
    # .ci/run runs the README's first two commands.
    first = _COMMAND.search(README)
    assert first is not None
    assert first["first"].split()[0] == "scripts/demo"
    assert first["second"].split()[0] == "scripts/test"


def test_the_quick_start_runs_as_written(tmp_path: Path) -> None:
    repo = tmp_path / "your-repo"
    repo.mkdir()
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}  # fmt: skip
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
    script = "set -euo pipefail\n" + marked("run in a new git repository named your-repo")
    done = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (repo / ".github/workflows/repowarden-check.yml").is_file()
    log = subprocess.run(["git", "log", "--oneline"], cwd=repo, capture_output=True, text=True)
    assert "Add repowarden" in log.stdout


def test_the_config_example_is_valid() -> None:
    config = parse_config(marked("a valid config"))
    assert config.repository == "python-trio/trio"


def test_the_pre_commit_example_names_this_repositorys_hook() -> None:
    [repo] = YAML(typ="safe", pure=True).load(
        marked("a pre-commit config using this repository's hook")
    )["repos"]
    hooks = YAML(typ="safe", pure=True).load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in repo["hooks"]] == [h["id"] for h in hooks]


@pytest.mark.parametrize(
    ("what", "schema", "name"),
    [
        ("a dependabot config", "vendor.dependabot", "dependabot.yml"),
        ("a renovate config", "vendor.renovate", "renovate.json"),
    ],
)
def test_the_bot_snippets_are_valid_and_keep_off_every_generated_path(
    tmp_path: Path, what: str, schema: str, name: str
) -> None:
    text = marked(what)
    path = tmp_path / name
    path.write_text(text)
    done = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(text) if name.endswith(".json") else YAML(typ="safe", pure=True).load(text)
    ignored = (
        data["ignorePaths"]
        if "ignorePaths" in data
        else [p for update in data["updates"] for p in update["exclude-paths"]]
    )
    for generated in (
        ".github/workflows/repowarden-*.yml",
        ".github/actions/repowarden/**",
        ".github/repowarden/**",
    ):
        assert generated in ignored
