"""The writer: atomic apply, ownership by header, and --check's drift report."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from repowarden.generator import writer
from repowarden.runtime.generated import with_header
from support.tree import tree_digest

CONFIG = "repository: octo/hello\n"


def generated(body: str, config_text: str = CONFIG) -> str:
    return with_header(
        body, version="0.1.0", config=".github/repowarden.yml", config_text=config_text
    )


PLAN = {
    ".github/CODEOWNERS": generated("/.github/ @admin\n"),
    ".github/actions/repowarden/action.yml": generated("name: repowarden\n"),
    ".github/workflows/repowarden-check.yml": generated("name: check\n"),
}


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_apply_writes_every_file_byte_for_byte(tmp_path: Path) -> None:
    applied = writer.apply(tmp_path, PLAN)
    assert applied.written == sorted(PLAN)
    for rel, text in PLAN.items():
        assert (tmp_path / rel).read_bytes() == text.encode("utf-8")
    # no temporary file is left behind
    assert not [p for p in tmp_path.rglob("*") if "repowarden-tmp" in p.name]


def test_apply_twice_leaves_current_files_alone(tmp_path: Path) -> None:
    writer.apply(tmp_path, PLAN)
    inodes = {rel: (tmp_path / rel).stat().st_ino for rel in PLAN}
    applied = writer.apply(tmp_path, PLAN)
    assert applied.written == []
    assert applied.unchanged == sorted(PLAN)
    assert {rel: (tmp_path / rel).stat().st_ino for rel in PLAN} == inodes


def test_apply_rewrites_hand_edited_and_removes_no_longer_generated(tmp_path: Path) -> None:
    writer.apply(tmp_path, PLAN)
    write(tmp_path, ".github/CODEOWNERS", PLAN[".github/CODEOWNERS"] + "* @mallory\n")
    old = write(tmp_path, ".github/workflows/repowarden-old.yml", generated("name: old\n"))
    vendored = write(tmp_path, ".github/repowarden/repowarden/runtime/gone.py", generated("x=1\n"))
    mine = write(tmp_path, ".github/workflows/ci.yml", "name: ci\n")
    readme = write(tmp_path, "README.md", "hello\n")

    applied = writer.apply(tmp_path, PLAN)

    assert applied.written == [".github/CODEOWNERS"]
    assert applied.removed == [
        ".github/repowarden/repowarden/runtime/gone.py",
        ".github/workflows/repowarden-old.yml",
    ]
    assert (tmp_path / ".github/CODEOWNERS").read_text() == PLAN[".github/CODEOWNERS"]
    assert not old.exists()
    # folders emptied by a removal go too; folders still holding files stay
    assert not vendored.parent.exists()
    assert not (tmp_path / ".github/repowarden").exists()
    assert (tmp_path / ".github/workflows").is_dir()
    assert mine.read_text() == "name: ci\n"
    assert readme.read_text() == "hello\n"


def test_a_file_repowarden_did_not_write_is_never_overwritten(tmp_path: Path) -> None:
    write(tmp_path, ".github/CODEOWNERS", "* @someone-else\n")
    before = tree_digest(tmp_path)
    with pytest.raises(writer.ConflictError) as raised:
        writer.apply(tmp_path, PLAN)
    assert raised.value.paths == [".github/CODEOWNERS"]
    assert tree_digest(tmp_path) == before


def test_a_symlink_at_a_generated_path_is_a_conflict(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.yml").write_text(generated("name: x\n"))
    (tmp_path / ".github/workflows").mkdir(parents=True)
    os.symlink(tmp_path / "elsewhere.yml", tmp_path / ".github/workflows/repowarden-check.yml")
    before = tree_digest(tmp_path)
    with pytest.raises(writer.ConflictError):
        writer.apply(tmp_path, PLAN)
    assert tree_digest(tmp_path) == before


def test_a_failed_write_changes_nothing(tmp_path: Path) -> None:
    # .github/workflows is a file, so the workflow cannot be written; the files that
    # sort before it (CODEOWNERS, the action in a folder created on the way) must not
    # appear either, and the created folders must be gone again.
    write(tmp_path, ".github/workflows", "not a folder\n")
    before = tree_digest(tmp_path)
    with pytest.raises(writer.WriteError, match="nothing was changed"):
        writer.apply(tmp_path, PLAN)
    assert tree_digest(tmp_path) == before


def test_a_symlinked_folder_leading_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "repo"
    (root / ".github").mkdir(parents=True)
    os.symlink(outside, root / ".github/workflows")
    with pytest.raises(writer.WriteError, match="outside"):
        writer.apply(root, PLAN)
    assert list(outside.iterdir()) == []


def test_check_reports_each_kind_of_drift_with_a_unified_diff(tmp_path: Path) -> None:
    writer.apply(tmp_path, PLAN)
    # stale: generated from an older config (header intact, content hash matches)
    write(tmp_path, ".github/CODEOWNERS", generated("/.github/ @old-admin\n", "old config\n"))
    # edited by hand: content no longer matches its header's hash
    action = PLAN[".github/actions/repowarden/action.yml"]
    write(tmp_path, ".github/actions/repowarden/action.yml", action + "# tweak\n")
    # missing
    (tmp_path / ".github/workflows/repowarden-check.yml").unlink()
    # extra: generated, no longer planned
    write(tmp_path, ".github/workflows/repowarden-old.yml", generated("name: old\n"))
    # someone else's file is not drift
    write(tmp_path, ".github/workflows/ci.yml", "name: ci\n")
    before = tree_digest(tmp_path)

    drift = writer.check(tmp_path, PLAN)

    assert tree_digest(tmp_path) == before
    assert [(d.path, d.kind) for d in drift] == [
        (".github/CODEOWNERS", "stale"),
        (".github/actions/repowarden/action.yml", "edited"),
        (".github/workflows/repowarden-check.yml", "missing"),
        (".github/workflows/repowarden-old.yml", "extra"),
    ]
    by_path = {d.path: d for d in drift}
    stale = by_path[".github/CODEOWNERS"].diff
    assert stale.startswith("--- a/.github/CODEOWNERS\n+++ b/.github/CODEOWNERS\n")
    assert "-/.github/ @old-admin\n" in stale
    assert "+/.github/ @admin\n" in stale
    assert "-# tweak\n" in by_path[".github/actions/repowarden/action.yml"].diff
    missing = by_path[".github/workflows/repowarden-check.yml"].diff
    assert missing.startswith("--- /dev/null\n+++ b/.github/workflows/repowarden-check.yml\n")
    extra = by_path[".github/workflows/repowarden-old.yml"].diff
    assert "+++ /dev/null\n" in extra
    assert "-name: old\n" in extra


def test_check_is_clean_after_apply_and_flags_a_foreign_file_in_the_way(tmp_path: Path) -> None:
    writer.apply(tmp_path, PLAN)
    assert writer.check(tmp_path, PLAN) == []
    write(tmp_path, ".github/CODEOWNERS", "* @someone-else")
    [drift] = writer.check(tmp_path, PLAN)
    assert drift.kind == "unowned"
    assert "-* @someone-else\n\\ No newline at end of file\n" in drift.diff


def test_only_files_with_the_header_under_github_count_as_generated(tmp_path: Path) -> None:
    write(tmp_path, ".github/a.yml", generated("a: 1\n"))
    write(tmp_path, ".github/b.yml", "# Generated by repowarden, honestly\n")
    write(tmp_path, "docs/c.yml", generated("c: 1\n"))
    (tmp_path / ".github/bin").write_bytes(b"\xff\xfe binary")
    assert writer.generated_on_disk(tmp_path) == [".github/a.yml"]
