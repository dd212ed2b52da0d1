"""The generator as a library: `generate`, `find_root`, and which files a change touches."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from repowarden.generator.api import Outcome, find_root, generate
from repowarden.generator.writer import ConflictError
from repowarden.runtime.config import ConfigError
from repowarden.runtime.errors import BadInput
from repowarden.runtime.generated import (
    CONFIG_PATH,
    MANIFEST_PATH,
    PARSED_CONFIG_PATH,
    read_manifest,
)
from support.tree import tree_digest

TELEPORT = Path(__file__).parents[2] / "examples/teleport/.github/repowarden.yml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".github").mkdir()
    shutil.copy(TELEPORT, tmp_path / CONFIG_PATH)
    generate(tmp_path)
    return tmp_path


def changed_by(repo: Path, edit: str, replacing: str = "") -> list[str]:
    """The files `generate` rewrites after one edit of the config."""
    config = repo / CONFIG_PATH
    text = config.read_text()
    config.write_text(text.replace(replacing, edit, 1) if replacing else text + edit)
    outcome = generate(repo)
    assert outcome.removed == []
    return outcome.written


def test_a_comment_only_config_edit_rewrites_only_the_manifest(repo: Path) -> None:
    # Two PRs that touch the config no longer conflict in every generated file.
    assert changed_by(repo, "# why we review this way\n") == [MANIFEST_PATH]


def test_adding_a_reviewer_rewrites_only_files_that_depend_on_the_map(repo: Path) -> None:
    # The runtime reads the map at run time; no rendered file holds it, so only the
    # manifest (the config's hash) and the config's data for the runtime change.
    new = "    newdev: [zmb3, r0mant]\n    r0mant: [zmb3, rosstimothy]\n"
    edited = changed_by(repo, new, "    r0mant: [zmb3, rosstimothy]\n")
    assert edited == [PARSED_CONFIG_PATH, MANIFEST_PATH]


def test_an_edit_that_changes_a_workflow_rewrites_that_workflow_and_the_manifest(
    repo: Path,
) -> None:
    written = changed_by(repo, '"15 * * * *"', '"0,30 * * * *"')
    assert written == [
        PARSED_CONFIG_PATH,
        MANIFEST_PATH,
        ".github/workflows/repowarden-dismiss.yml",
    ]


def test_the_manifest_records_the_config_and_the_build_once(repo: Path) -> None:
    manifest = read_manifest(repo)
    assert manifest is not None
    assert manifest.config == CONFIG_PATH
    assert manifest.generator is not None
    assert "+" in manifest.generator
    header = (repo / ".github/CODEOWNERS").read_text().splitlines()[:2]
    assert manifest.generator not in "".join(header)
    assert manifest.config_hash not in "".join(header)


def test_check_reports_without_writing(repo: Path) -> None:
    assert generate(repo, check=True) == Outcome(
        len(read_manifest(repo).files) + 1,  # type: ignore[union-attr]
        proven_by_manifest=True,
    )
    (repo / ".github/CODEOWNERS").unlink()
    before = tree_digest(repo)
    outcome = generate(repo, check=True)
    assert [(d.path, d.kind) for d in outcome.drift] == [(".github/CODEOWNERS", "missing")]
    assert tree_digest(repo) == before


@pytest.mark.parametrize(
    ("spoil", "error", "code"),
    [
        (lambda r: (r / CONFIG_PATH).write_text("repository: nope\n"), ConfigError, 2),
        (lambda r: (r / ".github/CODEOWNERS").write_text("* @me\n"), ConflictError, 6),
    ],
)
def test_every_failure_is_an_error_carrying_its_exit_code(
    tmp_path: Path, spoil: object, error: type[Exception], code: int
) -> None:
    (tmp_path / ".github").mkdir()
    shutil.copy(TELEPORT, tmp_path / CONFIG_PATH)
    spoil(tmp_path)  # type: ignore[operator]
    with pytest.raises(error) as raised:
        generate(tmp_path)
    assert raised.value.exit_code == code  # type: ignore[attr-defined]


def test_a_config_outside_the_root_is_refused_not_written_as_an_absolute_path(
    tmp_path: Path,
) -> None:
    root = tmp_path / "repo"
    (root / ".github").mkdir(parents=True)
    outside = tmp_path / "elsewhere.yml"
    shutil.copy(TELEPORT, outside)
    with pytest.raises(BadInput, match="outside the repository root"):
        generate(root, outside)
    assert list((root / ".github").iterdir()) == []


def test_find_root_finds_the_repository_as_git_does(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    deep = tmp_path / ".github/workflows"
    deep.mkdir(parents=True)
    assert find_root(deep) == tmp_path.resolve()
    assert find_root(tmp_path) == tmp_path.resolve()


def test_find_root_outside_any_repository_is_the_folder_itself(tmp_path: Path) -> None:
    assert find_root(tmp_path) == tmp_path.resolve()


def test_a_root_that_is_not_a_folder_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not a directory"):
        generate(tmp_path / "absent")
