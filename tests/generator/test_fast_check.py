"""`generate --check`'s header fast path: it only ever vouches for what a render confirms."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from repowarden.generator import build
from repowarden.generator.cli import Exit, main
from repowarden.generator.fast_check import proven_current
from repowarden.runtime.config import Config, parse_config
from repowarden.runtime.generated import (
    CONFIG_PATH,
    MANIFEST_PATH,
    Manifest,
    read_manifest,
    with_header,
)
from support.imports import cli_imports

EXAMPLES = Path(__file__).parents[2] / "examples"
TELEPORT = EXAMPLES / "teleport/.github/repowarden.yml"
WORKFLOW = ".github/workflows/repowarden-check.yml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".github").mkdir()
    shutil.copy(TELEPORT, tmp_path / CONFIG_PATH)
    assert main(["generate", "--root", str(tmp_path)]) == Exit.OK
    return tmp_path


def config_text(repo: Path) -> str:
    return (repo / CONFIG_PATH).read_text()


def check(repo: Path) -> int:
    return main(["generate", "--root", str(repo), "--check"])


def test_a_freshly_generated_tree_is_proven_current_with_every_file_counted(repo: Path) -> None:
    text = config_text(repo)
    planned = build.plan(parse_config(text), text)
    assert proven_current(repo, text, CONFIG_PATH) == len(planned)


def test_the_committed_examples_are_proven_current(example: tuple[str, Config]) -> None:
    root = EXAMPLES / example[0]
    assert proven_current(root, (root / CONFIG_PATH).read_text(), CONFIG_PATH) is not None


def restamp(repo: Path, *, generator: str) -> None:
    """Rewrite the manifest as another build would, its own header consistent."""
    manifest = read_manifest(repo)
    assert manifest is not None
    forged = Manifest(manifest.files, manifest.config, manifest.config_hash, generator)
    (repo / MANIFEST_PATH).write_text(with_header(forged.render()))


def test_a_tree_written_by_another_generator_build_falls_back_to_the_full_diff(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A forged but self-consistent manifest from another build must not be trusted:
    # only a render can say whether that build's output is what this one writes.
    (repo / WORKFLOW).write_text(with_header("# an older template's output\n"))
    restamp(repo, generator="0.0.9+0123456789ab")
    text = config_text(repo)
    assert proven_current(repo, text, CONFIG_PATH) is None
    capsys.readouterr()
    assert check(repo) == Exit.DRIFT
    diff = capsys.readouterr().out
    assert f"--- a/{WORKFLOW}" in diff
    assert "-# an older template's output" in diff


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(
            lambda r: (r / WORKFLOW).write_text((r / WORKFLOW).read_text() + "x\n"), id="hand edit"
        ),
        pytest.param(
            lambda r: (r / CONFIG_PATH).write_text(config_text(r) + "\n# new\n"),
            id="config changed",
        ),
        pytest.param(lambda r: (r / WORKFLOW).unlink(), id="generated file deleted"),
        pytest.param(lambda r: (r / MANIFEST_PATH).unlink(), id="manifest deleted"),
        pytest.param(
            lambda r: (r / WORKFLOW).write_text("name: mine\n"), id="user file in a generated path"
        ),
    ],
)
def test_anything_short_of_proof_means_a_full_check_that_reports_drift(
    repo: Path, spoil: object
) -> None:
    spoil(repo)  # type: ignore[operator]
    assert proven_current(repo, config_text(repo), CONFIG_PATH) is None
    assert check(repo) == Exit.DRIFT


def test_a_users_copy_of_a_generated_file_does_not_spoil_the_proof(repo: Path) -> None:
    shutil.copy(repo / WORKFLOW, repo / ".github/workflows/my-check.yml")
    assert proven_current(repo, config_text(repo), CONFIG_PATH) is not None
    assert check(repo) == Exit.OK


def test_the_fast_path_imports_neither_the_loader_nor_the_renderer(repo: Path) -> None:
    heavy = ("pydantic", "jinja2", "ruamel", "copier", "ghapi")
    assert cli_imports(["-q", "generate", "--root", str(repo), "--check"], heavy) == (0, [])
