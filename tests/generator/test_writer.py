"""The writer: atomic apply, ownership by header and manifest, and --check's drift report."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from repowarden.generator import writer
from repowarden.runtime.errors import BadInput
from repowarden.runtime.generated import MANIFEST_PATH, Manifest, with_header
from support.tree import tree_digest

CONFIG = "repository: octo/hello\n"


def generated(body: str) -> str:
    return with_header(body)


def with_manifest(files: dict[str, str]) -> dict[str, str]:
    """A plan as build.plan makes one: the files and the manifest listing them."""
    manifest = Manifest(tuple(sorted(files)), ".github/repowarden.yml", "0" * 64, "0.1.0")
    return {**files, MANIFEST_PATH: generated(manifest.render())}


PLAN = with_manifest(
    {
        ".github/CODEOWNERS": generated("/.github/ @admin\n"),
        ".github/actions/repowarden/action.yml": generated("name: repowarden\n"),
        ".github/workflows/repowarden-check.yml": generated("name: check\n"),
    }
)


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


OLD = ".github/workflows/repowarden-old.yml"
GONE = ".github/repowarden/repowarden/runtime/gone.py"
# The previous run's plan: it also wrote two files this one no longer does.
PREVIOUS = with_manifest(
    {
        **{rel: text for rel, text in PLAN.items() if rel != MANIFEST_PATH},
        OLD: generated("name: old\n"),
        GONE: generated("x=1\n"),
    }
)


def test_apply_rewrites_hand_edited_and_removes_no_longer_generated(tmp_path: Path) -> None:
    writer.apply(tmp_path, PREVIOUS)
    write(tmp_path, ".github/CODEOWNERS", PLAN[".github/CODEOWNERS"] + "* @mallory\n")
    old, vendored = tmp_path / OLD, tmp_path / GONE
    mine = write(tmp_path, ".github/workflows/ci.yml", "name: ci\n")
    readme = write(tmp_path, "README.md", "hello\n")

    applied = writer.apply(tmp_path, PLAN)

    assert applied.written == [".github/CODEOWNERS", MANIFEST_PATH]
    assert applied.removed == [
        ".github/repowarden/repowarden/runtime/gone.py",
        ".github/workflows/repowarden-old.yml",
    ]
    assert (tmp_path / ".github/CODEOWNERS").read_text() == PLAN[".github/CODEOWNERS"]
    assert not old.exists()
    # folders emptied by a removal go too; folders still holding files stay
    assert not vendored.parent.exists()
    assert (tmp_path / MANIFEST_PATH).is_file()
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
    writer.apply(tmp_path, PREVIOUS)
    # stale: generated from an older config (header intact, content hash matches)
    write(tmp_path, ".github/CODEOWNERS", generated("/.github/ @old-admin\n"))
    # edited by hand: content no longer matches its header's hash
    action = PLAN[".github/actions/repowarden/action.yml"]
    write(tmp_path, ".github/actions/repowarden/action.yml", action + "# tweak\n")
    # missing
    (tmp_path / ".github/workflows/repowarden-check.yml").unlink()
    # extra: generated (OLD, by the previous run), no longer planned
    (tmp_path / GONE).unlink()  # already gone: not drift
    # someone else's file is not drift
    write(tmp_path, ".github/workflows/ci.yml", "name: ci\n")
    before = tree_digest(tmp_path)

    drift = writer.check(tmp_path, PLAN)

    assert tree_digest(tmp_path) == before
    assert [(d.path, d.kind) for d in drift] == [
        (".github/CODEOWNERS", "stale"),
        (".github/actions/repowarden/action.yml", "edited"),
        (MANIFEST_PATH, "stale"),
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


def test_only_files_the_previous_manifest_lists_are_ever_removed(tmp_path: Path) -> None:
    writer.apply(tmp_path, PREVIOUS)
    # A user's copy of a generated workflow under a new name, header kept and edited:
    # theirs, whatever it starts with.
    copy = write(
        tmp_path,
        ".github/workflows/my-check.yml",
        PLAN[".github/workflows/repowarden-check.yml"] + "# mine\n",
    )
    # A listed file the user replaced with their own (no header) stays too.
    write(tmp_path, GONE, "mine = True\n")
    assert writer.retired(tmp_path, PLAN) == [OLD]
    applied = writer.apply(tmp_path, PLAN)
    assert applied.removed == [OLD]
    assert copy.read_text().endswith("# mine\n")
    assert (tmp_path / GONE).read_text() == "mine = True\n"
    assert writer.check(tmp_path, PLAN) == []


def test_a_manifest_cannot_point_the_removal_outside_github(tmp_path: Path) -> None:
    outside = write(tmp_path, "docs/c.yml", generated("c: 1\n"))
    manifest = Manifest(("docs/c.yml", "../escape.yml"), ".github/repowarden.yml", "0" * 64, "0")
    write(tmp_path, MANIFEST_PATH, generated(manifest.render()))
    assert writer.retired(tmp_path, PLAN) == []
    writer.apply(tmp_path, PLAN)
    assert outside.is_file()


def test_without_a_previous_manifest_nothing_is_removed(tmp_path: Path) -> None:
    stray = write(tmp_path, ".github/workflows/repowarden-old.yml", generated("name: old\n"))
    assert writer.apply(tmp_path, PLAN).removed == []
    assert stray.is_file()


def test_an_unreadable_generated_file_is_bad_input_not_someone_elses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer.apply(tmp_path, PLAN)
    target = tmp_path / ".github/CODEOWNERS"
    before = tree_digest(tmp_path)
    target.chmod(0)
    if os.access(target, os.R_OK):
        # Running as root, where mode 0 does not stop a read: fail the read the way
        # the kernel does for anyone else (the one thing that cannot exist here).
        real = Path.read_bytes

        def denied(path: Path) -> bytes:
            if path == target:
                raise PermissionError(13, "Permission denied", str(path))
            return real(path)

        monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(BadInput, match="CODEOWNERS: cannot read it: Permission denied"):
        writer.apply(tmp_path, PLAN)
    with pytest.raises(BadInput, match="Permission denied"):
        writer.check(tmp_path, PLAN)
    monkeypatch.undo()
    target.chmod(0o644)
    assert tree_digest(tmp_path) == before
