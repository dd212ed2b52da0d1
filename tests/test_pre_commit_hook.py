"""The `.pre-commit-hooks.yaml` hook, run by pre-commit itself (`pre-commit try-repo`).

pre-commit installs this repository into an environment of its own (dependencies
from the package index) as it would from a tag, then runs the hook in a target
repository: clean when the generated files are current, failing with the file named
when one was edited.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from repowarden.generator.cli import main
from repowarden.runtime.generated import CONFIG_PATH
from ruamel.yaml import YAML

PROJECT = Path(__file__).parents[1]
TELEPORT = PROJECT / "examples/teleport/.github/repowarden.yml"
WORKFLOW = ".github/workflows/repowarden-check.yml"


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "GIT_CONFIG_GLOBAL": os.devnull}  # fmt: skip
    done = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)
    return done.stdout.decode()


def project_at_a_tag(where: Path) -> Path:
    """This project's tree (with uncommitted work) as a repository tagged like a release."""
    listed = git(PROJECT, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
    for rel in filter(None, listed):
        if (PROJECT / rel).is_file():
            (where / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT / rel, where / rel)
    git(where, "init", "-q", "-b", "main")
    git(where, "add", "-A")
    git(where, "commit", "-q", "-m", "project")
    git(where, "tag", "v0.0.1")
    return where


def test_the_hook_declares_the_check_and_pre_commit_accepts_it() -> None:
    [hook] = YAML(typ="safe", pure=True).load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "repowarden"
    assert hook["entry"] == "repowarden generate --check"
    assert hook["pass_filenames"] is False
    pre_commit = Path(sys.executable).parent / "pre-commit"
    done = subprocess.run(
        [str(pre_commit), "validate-manifest", str(PROJECT / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_try_repo_passes_on_a_current_tree_and_fails_on_a_hand_edit(tmp_path: Path) -> None:
    target = tmp_path / "target"
    (target / ".github").mkdir(parents=True)
    shutil.copy(TELEPORT, target / CONFIG_PATH)
    assert main(["-q", "generate", "--root", str(target)]) == 0
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "repowarden")
    pre_commit = Path(sys.executable).parent / "pre-commit"
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    project = project_at_a_tag(tmp_path / "project")
    command = [str(pre_commit), "try-repo", str(project), "repowarden", "--all-files",
               "--ref", "v0.0.1"]  # fmt: skip

    clean = subprocess.run(command, cwd=target, env=env, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "repowarden generate --check" in clean.stdout

    edited = target / WORKFLOW
    edited.write_text(edited.read_text() + "# a hand edit\n")
    git(target, "add", "-A")
    drift = subprocess.run(command, cwd=target, env=env, capture_output=True, text=True)
    assert drift.returncode == 1, drift.stdout + drift.stderr
    assert f"{WORKFLOW}: edited by hand" in drift.stdout
