"""verify-generated: the target's lint job catches hand edits, stale and deleted files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from repowarden.generator.build import plan
from repowarden.runtime.__main__ import main
from repowarden.runtime.commands import load
from repowarden.runtime.config import parse_config
from repowarden.runtime.generated import MANIFEST_PATH, VENDOR_ROOT

CONFIG = "repository: octo/hello\nreview: {admins: [a], reviewers: {'*': [a, b]}}\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A target as `repowarden generate` leaves it, plus a workflow of its own."""
    files = {
        ".github/repowarden.yml": CONFIG,
        ".github/workflows/ci.yml": "name: ci\n",  # not ours: ignored
        **plan(parse_config(CONFIG), CONFIG),
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def run(repo: Path) -> int:
    config = str(repo / ".github/repowarden.yml")
    return main(["verify-generated", "--config", config, "--root", str(repo)])


def generated_count(repo: Path) -> int:
    return len(plan(parse_config(CONFIG), CONFIG))


def test_declares_no_permissions() -> None:
    assert load("verify-generated").permissions == ()


def test_a_freshly_generated_tree_passes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(repo) == 0
    assert f"{generated_count(repo)} generated files match" in capsys.readouterr().err


def test_a_hand_edit_fails_naming_the_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = repo / ".github/CODEOWNERS"
    path.write_text(path.read_text() + "* @mallory\n")
    assert run(repo) == 1
    out = capsys.readouterr().out
    assert out == ".github/CODEOWNERS: edited by hand (content hash differs from its header)\n"


def test_a_config_changed_without_regenerating_fails_once_naming_the_manifest(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The config's hash is recorded once, in the manifest, not in every header.
    (repo / ".github/repowarden.yml").write_text(CONFIG + "runner: ubuntu-22.04\n")
    assert run(repo) == 1
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith(f"{MANIFEST_PATH}: stale: ")
    assert "repowarden.yml changed since the files were generated" in line


@pytest.mark.parametrize("how", ["deleted", "header-removed"])
def test_a_deleted_generated_file_fails(
    repo: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    # Without CODEOWNERS nobody is required to review .github/: not a silent change.
    path = repo / ".github/CODEOWNERS"
    if how == "deleted":
        path.unlink()
    else:
        path.write_text(path.read_text().split("\n", 2)[2])
    assert run(repo) == 1
    assert (
        capsys.readouterr().out
        == {
            "deleted": ".github/CODEOWNERS: missing: the config generates it; "
            "run `repowarden generate`\n",
            "header-removed": ".github/CODEOWNERS: the repowarden header is missing or altered\n",
        }[how]
    )


def test_a_deleted_manifest_fails(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / MANIFEST_PATH).unlink()
    assert run(repo) == 1
    assert f"{MANIFEST_PATH} is missing" in capsys.readouterr().err


def test_a_users_copy_of_a_generated_file_is_theirs_not_checked(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Saved under a new name with the header kept and edited: the manifest does not
    # list it, so it is the user's file like any other.
    check = repo / ".github/workflows/repowarden-check.yml"
    (repo / ".github/workflows/my-check.yml").write_text(check.read_text() + "# mine\n")
    assert run(repo) == 0
    assert capsys.readouterr().out == ""


def test_no_generated_file_at_all_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/repowarden.yml").write_text(CONFIG)
    assert run(tmp_path) == 1
    assert f"{MANIFEST_PATH} is missing" in capsys.readouterr().err


def test_an_unreadable_config_is_bad_input(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify-generated", "--config", str(repo / "nope.yml"), "--root", str(repo)]) == 2
    assert "nope.yml: cannot read the config" in capsys.readouterr().err


def test_runs_from_the_vendored_copy_in_a_target(repo: Path) -> None:
    # As the lint workflow runs it: the vendored runtime on PYTHONPATH, in the workspace.
    env = {**os.environ, "PYTHONPATH": str(repo / VENDOR_ROOT), "GITHUB_WORKSPACE": str(repo)}
    command = [sys.executable, "-P", "-m", "repowarden.runtime", "verify-generated",
               "--config", str(repo / ".github/repowarden.yml")]  # fmt: skip
    ok = subprocess.run(command, env=env, capture_output=True, text=True, cwd=repo)
    assert ok.returncode == 0, ok.stderr
    vendored_config = repo / VENDOR_ROOT / "repowarden/runtime/config.py"
    vendored_config.write_text(vendored_config.read_text() + "\nTRUSTED = True\n")
    edited = subprocess.run(command, env=env, capture_output=True, text=True, cwd=repo)
    assert edited.returncode == 1
    assert f"{VENDOR_ROOT}/repowarden/runtime/config.py: edited by hand" in edited.stdout


def test_needs_only_the_standard_library(repo: Path) -> None:
    # The lint workflow runs it with `requirements: none`: setup-python's interpreter,
    # nothing installed. `-S` leaves out every site-packages folder, so an import of
    # pydantic, ruamel.yaml or the HTTP stack anywhere on its path fails here.
    env = {"PYTHONPATH": str(repo / VENDOR_ROOT), "GITHUB_WORKSPACE": str(repo), "PATH": "/bin"}
    command = [sys.executable, "-S", "-P", "-m", "repowarden.runtime", "verify-generated",
               "--config", str(repo / ".github/repowarden.yml")]  # fmt: skip
    ok = subprocess.run(command, env=env, capture_output=True, text=True, cwd=repo)
    assert ok.returncode == 0, ok.stderr
    (repo / ".github/CODEOWNERS").unlink()
    missing = subprocess.run(command, env=env, capture_output=True, text=True, cwd=repo)
    assert missing.returncode == 1
    assert ".github/CODEOWNERS: missing" in missing.stdout
