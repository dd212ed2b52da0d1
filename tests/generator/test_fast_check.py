"""`generate --check`'s header fast path: it only ever vouches for what a render confirms."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from repowarden.generator import build
from repowarden.generator.cli import Exit, main
from repowarden.generator.fast_check import proven_current
from repowarden.runtime.config import parse_config
from repowarden.runtime.generated import CONFIG_PATH, Header, sha256, split_header

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


@pytest.mark.parametrize("name", ["minimal", "teleport", "trio"])
def test_the_committed_examples_are_proven_current(name: str) -> None:
    root = EXAMPLES / name
    assert proven_current(root, (root / CONFIG_PATH).read_text(), CONFIG_PATH) is not None


def rewrite(path: Path, body_edit: str = "", *, version: str | None = None) -> None:
    """Edit a generated file and re-stamp its header so its own hashes stay consistent."""
    header, body = split_header(path.read_text())
    assert header is not None
    body += body_edit
    stamped = Header(version or header.version, header.config, header.config_hash, sha256(body))
    path.write_text(stamped.render() + body)


def test_a_file_stamped_by_another_generator_build_falls_back_to_the_full_diff(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A forged but self-consistent header from another build must not be trusted:
    # only a render can say whether that build's output is what this one writes.
    rewrite(repo / WORKFLOW, "# an older template's extra line\n", version="0.0.9+0123456789ab")
    text = config_text(repo)
    assert proven_current(repo, text, CONFIG_PATH) is None
    capsys.readouterr()
    assert check(repo) == Exit.DRIFT
    diff = capsys.readouterr().out
    assert f"--- a/{WORKFLOW}" in diff
    assert "-# an older template's extra line" in diff


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
        pytest.param(
            lambda r: shutil.copy(r / WORKFLOW, r / ".github/workflows/old.yml"),
            id="retired generated file left behind",
        ),
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
