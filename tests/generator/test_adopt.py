"""Folding a hand-written .github/CODEOWNERS into the config (init, copier, generate)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from repowarden.generator.adopt import Rule, fold_into_config, parse_codeowners
from repowarden.generator.api import generate
from repowarden.generator.cli import main
from repowarden.runtime.config import load_config, parse_config
from repowarden.runtime.errors import BadInput
from repowarden.runtime.generated import CONFIG_PATH, is_generated
from support.tree import tree_digest

TELEPORT = Path(__file__).parents[2] / "examples/teleport/.github/repowarden.yml"
THEIRS = """\
# Our owners
*       @octo-org/core
/docs/  @alice @octo-org/docs
src/my\\ dir/  @bob
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".github").mkdir()
    shutil.copy(TELEPORT, tmp_path / CONFIG_PATH)
    (tmp_path / ".github/CODEOWNERS").write_text(THEIRS)
    return tmp_path


def test_rules_are_read_in_order_with_escaped_spaces() -> None:
    assert parse_codeowners(THEIRS) == [
        Rule("*", ("@octo-org/core",)),
        Rule("/docs/", ("@alice", "@octo-org/docs")),
        Rule("src/my dir/", ("@bob",)),
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("docs/ @a\n/vendor/\n", ".github/CODEOWNERS:2: '/vendor/' has no owners"),
        ("* alice@example.com\n", ".github/CODEOWNERS:1: alice@example.com: the config names"),
        ("../up @a\n", ".github/CODEOWNERS:1: the config cannot hold this rule"),
    ],
)
def test_a_rule_the_config_cannot_hold_is_named_by_line(text: str, says: str) -> None:
    with pytest.raises(BadInput, match=says):
        parse_codeowners(text)


def test_folding_keeps_the_config_and_its_comments() -> None:
    text = TELEPORT.read_text()
    folded = fold_into_config(text, parse_codeowners(THEIRS))
    assert folded.startswith(text.split("\n", 1)[0])  # the modeline stays first
    config = parse_config(folded)
    assert [(r.pattern, r.owners) for r in config.codeowners][-3:] == [
        ("*", ["@octo-org/core"]),
        ("/docs/", ["@alice", "@octo-org/docs"]),
        ("src/my dir/", ["@bob"]),
    ]


def test_generate_folds_then_owns_codeowners(repo: Path) -> None:
    assert main(["generate", "--root", str(repo)]) == 6  # in the way without the flag
    outcome = generate(repo, fold_codeowners=True)
    assert CONFIG_PATH in outcome.written
    generated = (repo / ".github/CODEOWNERS").read_text()
    assert is_generated(generated)
    assert "/docs/ @alice @octo-org/docs\n" in generated
    assert "src/my\\ dir/ @bob\n" in generated
    assert main(["generate", "--root", str(repo), "--check"]) == 0


def test_a_fold_that_cannot_be_generated_changes_nothing(repo: Path) -> None:
    (repo / ".github/actions").write_text("a file where a folder must go\n")
    before = tree_digest(repo)
    assert main(["generate", "--root", str(repo), "--fold-codeowners"]) == 5
    assert tree_digest(repo) == before


def test_init_folds_an_existing_codeowners(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/CODEOWNERS").write_text(THEIRS)
    args = ["init", str(tmp_path), "--defaults", "-d", "repository=octo-org/hello",
            "-d", "admins=[alice]"]  # fmt: skip
    assert main(args) == 0
    config = load_config(tmp_path / CONFIG_PATH)
    assert [r.pattern for r in config.codeowners] == ["*", "/docs/", "src/my dir/"]
    assert is_generated((tmp_path / ".github/CODEOWNERS").read_text())


def test_init_told_not_to_fold_leaves_no_half_scaffold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/CODEOWNERS").write_text(THEIRS)
    before = tree_digest(tmp_path)
    args = ["init", str(tmp_path), "--defaults", "-d", "repository=octo-org/hello",
            "-d", "admins=[alice]", "-d", "fold_codeowners=false"]  # fmt: skip
    assert main(args) == 6
    assert "--fold-codeowners" in capsys.readouterr().err
    assert tree_digest(tmp_path) == before
