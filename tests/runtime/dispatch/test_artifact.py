"""Artifact verification (`artifacts-are-data`) on directories built as an attacker could."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from repowarden.runtime.config import parse_config
from repowarden.runtime.dispatch.artifact import path_allowed, verify_artifact
from repowarden.runtime.dispatch.payload import DispatchRequest
from support.dispatch_pipeline import write_artifact

SHA = "d" * 40
CONFIG = parse_config(
    """\
repository: o/r
review:
  admins: [a1, a2]
  reviewers: {"*": [a1, a2]}
dispatch:
  senders: [{login: "app[bot]", id: 11}]
  operations:
    - {kind: pip-compile, requirements: [requirements.in, docs/requirements.in]}
    - {kind: format, commands: [[black, .]], paths: ["src/**/*.py", "*.md", "tools/"]}
    - {kind: build-and-publish, project: demo}
  max_artifact_bytes: 5000
  max_file_bytes: 3000
"""
)
REQUEST = DispatchRequest("pip-compile", "d1", "o/r", None, "app[bot]", 11, "o/r")


def edit(path: str, old: str = "a/", new: str = "b/") -> bytes:
    return (
        f"diff --git {old}{path} {new}{path}\n--- {old}{path}\n+++ {new}{path}\n"
        "@@ -1 +1 @@\n-x\n+y\n"
    ).encode()


def new_file(path: str, mode: str = "100644") -> bytes:
    return (
        f"diff --git a/{path} b/{path}\nnew file mode {mode}\n--- /dev/null\n+++ b/{path}\n"
        "@@ -0,0 +1 @@\n+y\n"
    ).encode()


def check(tmp_path: Path, files: dict[str, bytes], op: str = "pip-compile", **kw: str) -> list[str]:
    art = tmp_path / "art"
    manifest = {"operation": op, "id": "d1", "repository": "o/r", "base_sha": SHA, **kw}
    write_artifact(art, files, **manifest)  # type: ignore[arg-type]
    request = DispatchRequest(op, "d1", "o/r", None, "app[bot]", 11, "o/r")
    return verify_artifact(art, CONFIG, op, request, base_sha=SHA).violations


def test_a_patch_within_the_allowed_paths_passes(tmp_path: Path) -> None:
    patch = edit("requirements.txt") + edit("docs/requirements.txt")
    assert check(tmp_path, {"patch.diff": patch}) == []


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("src/a.py", True),
        ("src/pkg/deep/a.py", True),
        ("src/a.pyc", False),
        ("README.md", True),
        ("docs/README.md", False),  # `*` stays within one directory
        ("tools/x/y.sh", True),  # a directory pattern covers everything below it
        ("toolsx/y.sh", False),
        ("setup.py", False),
        ("src/x/evil.py/conftest.sh", False),  # a pattern names files, not directories
        ("src/a.py/x.py", True),  # ...though a .py file inside it is one
        ("README.md/hook.pth", False),
        ("tools", False),
    ],
)
def test_globs_are_anchored_at_the_root(path: str, allowed: bool) -> None:
    assert path_allowed(path, ["src/**/*.py", "*.md", "tools/"]) is allowed


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (edit(".GitHub/workflows/x.yml"), ".github/ is never patched"),
        (edit("src/.git/config"), ".github/ is never patched"),
        (edit("src/../.github/x"), "contains '..'"),
        (edit("setup.py"), "outside what 'format' may change"),
        (
            b"diff --git a/src/a.py b/src/b.py\nsimilarity index 100%\n"
            b"rename from src/a.py\nrename to src/b.py\n",
            "is renamed or copied",
        ),
        (
            b"diff --git a/src/a.py b/src/a.py\ndeleted file mode 100644\n--- a/src/a.py\n"
            b"+++ /dev/null\n@@ -1 +0,0 @@\n-x\n",
            "deletes 'src/a.py'",
        ),
        (
            b"diff --git a/src/a.py b/src/a.py\nold mode 100644\nnew mode 120000\n",
            "has mode 120000: not a regular file",
        ),
        (
            b"diff --git a/src/a.py b/src/a.py\nold mode 100644\nnew mode 100755\n",
            "changes the mode of 'src/a.py'",
        ),
        (
            b"diff --git a/src/a.py b/src/a.py\nindex 1..2 100644\nGIT binary patch\nliteral 1\n"
            b"IcmZ?d00001\n\n",
            "binary change to 'src/a.py' is not supported",
        ),
        (edit("src/a.py") + edit("src/a.py"), "appears twice"),
        (new_file("src/x/evil.py/conftest.sh"), "outside what 'format' may change"),
        (new_file("src/new.py"), "creates 'src/new.py'; format only edits existing files"),
        (b"this is not a patch\n", "not a patch git produces"),
    ],
)
def test_patches_touch_only_what_the_operation_may_change(
    tmp_path: Path, patch: bytes, message: str
) -> None:
    found = check(tmp_path, {"patch.diff": patch}, op="format")
    assert any(message in v for v in found), found


def test_pip_compile_writes_only_its_own_txt_files(tmp_path: Path) -> None:
    assert check(tmp_path, {"patch.diff": new_file("requirements.txt")}) == []
    found = check(tmp_path, {"patch.diff": new_file("requirements.txt/evil.pth")})
    assert any("touches 'requirements.txt/evil.pth', outside what" in v for v in found), found
    found = check(tmp_path, {"patch.diff": new_file("requirements.txt", "100755")})
    assert any("with mode 100755, not 100644" in v for v in found), found


def test_links_and_special_files_are_refused(tmp_path: Path) -> None:
    art = tmp_path / "art"
    write_artifact(
        art,
        {"patch.diff": edit("requirements.txt")},
        operation="pip-compile",
        id="d1",
        repository="o/r",
        base_sha=SHA,
    )
    (art / "sub").symlink_to(tmp_path)  # a directory link is not followed
    os.link(art / "patch.diff", tmp_path / "outside-link")  # patch.diff now has two names
    os.mkfifo(art / "fifo")
    found = verify_artifact(art, CONFIG, "pip-compile", REQUEST, base_sha=SHA).violations
    assert "'sub': is a symbolic link" in found
    assert "'patch.diff': is a hard link (2 links)" in found
    assert "'fifo': is not a regular file" in found
    assert "patch.diff: missing (a pip-compile artifact holds exactly patch.diff)" not in found


def test_the_artifact_directory_itself_may_not_be_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    write_artifact(
        real, {"patch.diff": b""}, operation="pip-compile", id="d1", repository="o/r", base_sha=SHA
    )
    (tmp_path / "art").symlink_to(real)
    found = verify_artifact(
        tmp_path / "art", CONFIG, "pip-compile", REQUEST, base_sha=SHA
    ).violations
    assert found == [f"{tmp_path / 'art'}: is not a directory (a link?)"]


def test_size_limits_per_file_and_in_total(tmp_path: Path) -> None:
    big = {"dist/demo-1.0.tar.gz": b"x" * 3001, "dist/demo-1.0-py3-none-any.whl": b"y" * 2900}
    found = check(tmp_path, big, op="release")
    assert any("the artifact holds" in v and "the limit is 5000" in v for v in found)
    assert any(
        v.startswith("dist/demo-1.0.tar.gz: 3001 bytes, over the per-file limit of 3000")
        for v in found
    )


def test_manifest_must_describe_this_dispatch(tmp_path: Path) -> None:
    found = check(tmp_path, {"patch.diff": b""}, repository="o/fork", head_sha="e" * 40)
    assert "manifest.json: repository is 'o/fork', expected 'o/r'" in found
    assert any("head_sha differs from base_sha, but the dispatch names no PR" in v for v in found)
    wrong_op = check(tmp_path, {"patch.diff": b""}, operation="format")
    assert "manifest.json: operation is 'format', expected 'pip-compile'" in wrong_op


def test_missing_directory_and_manifest(tmp_path: Path) -> None:
    found = verify_artifact(tmp_path / "nope", CONFIG, "pip-compile", REQUEST, base_sha=SHA)
    assert "cannot read the artifact directory" in found.violations[0]
    (tmp_path / "empty").mkdir()
    found = verify_artifact(tmp_path / "empty", CONFIG, "pip-compile", REQUEST, base_sha=SHA)
    assert found.violations == ["manifest.json: missing"]


def test_a_file_name_that_is_not_utf8_is_refused_not_a_crash(tmp_path: Path) -> None:
    # On disk the name is bytes; Python shows the stray byte as a surrogate escape.
    name = os.fsdecode(b"demo-1.0\xff.tar.gz")
    found = check(tmp_path, {f"dist/{name}": b"x"}, op="release")
    assert "manifest.json: path 'dist/demo-1.0\\udcff.tar.gz' is not valid UTF-8" in found
    assert "'dist/demo-1.0\\udcff.tar.gz': extra file, not in manifest.json" in found
