"""Parsing `git diff --binary` output and applying hunks exactly, against real git."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from repowarden.runtime.dispatch.patch import PatchError, apply_hunks, parse_patch

BEFORE: dict[str, bytes] = {
    "f.txt": b"a\nb\nc\n" + b"".join(b"line %d\n" % i for i in range(40)) + b"end\n",
    "no-eol.txt": b"x",
    "sp ace.txt": b"one\n",
    "\u00e9t\u00e9.txt".encode(): b"summer\n",  # type: ignore[dict-item]
    "crlf.txt": b"a\r\nb\r\n",
    "keep.txt": b"same\n",
}


def sh(cwd: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True).stdout


def repo(tmp_path: Path) -> Path:
    sh(tmp_path, "init", "-q")
    for name, data in BEFORE.items():
        path = name.decode() if isinstance(name, bytes) else name
        (tmp_path / path).write_bytes(data)
    sh(tmp_path, "add", "-A")
    sh(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    return tmp_path


def diff(cwd: Path, *extra: str) -> bytes:
    sh(cwd, "add", "-A")
    return sh(cwd, "diff", "--cached", "--binary", "--full-index", *extra, "HEAD")


def old(cwd: Path, path: str) -> bytes:
    return sh(cwd, "show", f"HEAD:{path}")


def test_git_s_own_diffs_apply_to_exactly_git_s_result(tmp_path: Path) -> None:
    root = repo(tmp_path)
    f = BEFORE["f.txt"].replace(b"b\n", b"B\n").replace(b"line 30\n", b"line 30\nadded\n")
    after = {
        "f.txt": f.replace(b"end\n", b"end"),  # two hunks, and the last newline removed
        "no-eol.txt": b"x\ny\n",  # a newline added at the end
        "sp ace.txt": b"two\n",  # git writes a tab after names with spaces
        "\u00e9t\u00e9.txt": b"winter\n",  # git quotes non-ASCII names
        "crlf.txt": b"a\r\nB\r\n",
        "new/dir/file.txt": b"fresh\n",
    }
    for path, data in after.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    patches = parse_patch(diff(root))
    assert sorted(p.path for p in patches) == sorted(after)
    for fp in patches:
        original = b"" if fp.new_file else old(root, fp.path)
        assert apply_hunks(original, fp) == after[fp.path], fp.path
    (new,) = [p for p in patches if p.new_file]
    assert (new.old_path, new.new_path, new.new_mode) == (None, "new/dir/file.txt", "100644")
    assert len(next(p for p in patches if p.path == "f.txt").hunks) == 3  # three separate changes


def test_renames_deletions_modes_and_binaries_are_visible(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "keep.txt").rename(root / "moved.txt")
    (root / "sp ace.txt").unlink()
    (root / "no-eol.txt").chmod(0o755)
    (root / "blob.bin").write_bytes(bytes(range(256)))
    by_path = {p.path: p for p in parse_patch(diff(root, "-M"))}
    assert by_path["moved.txt"].renamed
    assert by_path["moved.txt"].paths == {"keep.txt", "moved.txt"}
    assert by_path["sp ace.txt"].deleted
    assert (by_path["no-eol.txt"].old_mode, by_path["no-eol.txt"].new_mode) == ("100644", "100755")
    assert by_path["blob.bin"].binary
    with pytest.raises(PatchError, match="binary changes are not applied"):
        apply_hunks(b"", by_path["blob.bin"])


def test_a_hunk_applies_only_where_it_says_and_only_exactly(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "f.txt").write_bytes(BEFORE["f.txt"].replace(b"line 20\n", b"LINE 20\n"))
    (fp,) = parse_patch(diff(root))
    original = BEFORE["f.txt"]
    assert apply_hunks(original, fp) == original.replace(b"line 20\n", b"LINE 20\n")
    shifted = b"extra\n" + original  # the same text one line lower: git apply would fuzz
    with pytest.raises(PatchError, match="hunk 1 does not match the current file at line 21"):
        apply_hunks(shifted, fp)
    trailing = original.replace(b"line 19\n", b"line 19 \n")  # whitespace counts
    with pytest.raises(PatchError, match="does not match"):
        apply_hunks(trailing, fp)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (b"hello\n", "expected 'diff --git'"),
        (b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n", "ends inside a hunk"),
        (
            b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n",
            "expected 'diff --git'",
        ),
        (b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n*b\n", "unexpected line inside"),
        (b"diff --git a/x b/x\nsomething odd\n", "unexpected header line"),
        (b"diff --git a/x b/y b/z\n", "ambiguous paths"),
        (b"diff --git a/x b/x\n--- a/x\n+++ c/x\n", "does not start with 'b/'"),
        (b"diff --git a/x b/x\nold mode 12\n", "bad file mode"),
        (
            b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b",
            "does not end with a newline",
        ),
        (b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -99999999 +1 @@\n-a\n+b\n", "too large"),
        (
            b"diff --git a/x b/x\nnew file mode 100644\ndeleted file mode 100644\n",
            "both creates and deletes",
        ),
        (b"diff --git a/x b/x\n--- /dev/null\n+++ /dev/null\n", "/dev/null on both sides"),
        (b"diff --git a/x b/x\n--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+a\n", "disagree"),
        (b"diff --git a/x b/x\n--- a/x\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n", "disagree"),
    ],
)
def test_anything_git_would_not_write_is_an_error(patch: bytes, message: str) -> None:
    with pytest.raises(PatchError, match=message):
        parse_patch(patch)


def test_header_paths_count_even_when_the_file_lines_disagree() -> None:
    # A hand-made section whose ---/+++ name another file than its header.
    (fp,) = parse_patch(
        b"diff --git a/ok.txt b/ok.txt\n--- a/.github/x\n+++ b/.github/x\n@@ -1 +1 @@\n-a\n+b\n"
    )
    assert fp.paths == {"ok.txt", ".github/x"}


def test_empty_patch_means_no_change() -> None:
    assert parse_patch(b"") == []
