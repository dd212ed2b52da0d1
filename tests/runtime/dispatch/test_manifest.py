"""manifest.json: written from a directory, read back strictly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from repowarden.runtime.dispatch.manifest import ManifestError, parse_manifest, write_manifest

SHA = "c" * 40


def test_written_manifest_lists_every_file_and_reads_back(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "a.whl").write_bytes(b"wheel")
    (tmp_path / "patch.diff").write_bytes(b"")
    written = write_manifest(
        tmp_path, operation="op", id="i", repository="o/r", base_sha=SHA, head_sha=SHA
    )
    read = parse_manifest((tmp_path / "manifest.json").read_bytes())
    assert read == written
    assert [(f.path, f.size) for f in read.files] == [("dist/a.whl", 5), ("patch.diff", 0)]
    assert (
        read.files[1].sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def good() -> dict[str, Any]:
    return {
        "operation": "op",
        "id": "i",
        "repository": "o/r",
        "base_sha": SHA,
        "head_sha": SHA,
        "files": [{"path": "patch.diff", "size": 0, "sha256": "0" * 64}],
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"extra": 1}, "unexpected keys"),
        ({"files": {}}, "files is not a list"),
        ({"base_sha": "main"}, "base_sha 'main' is not a 40-hex commit SHA"),
        ({"id": 5}, "id is not a string"),
        ({"files": [{"path": "a", "size": -1, "sha256": "0" * 64}]}, "size -1 is not"),
        ({"files": [{"path": "a", "size": True, "sha256": "0" * 64}]}, "size True is not"),
        ({"files": [{"path": "a", "size": 1, "sha256": "ZZ"}]}, "is not 64 lowercase hex"),
        ({"files": [{"path": "a", "size": 1}]}, "exactly the keys path, size, sha256"),
        ({"files": [{"path": "a", "size": 0, "sha256": "0" * 64}] * 2}, "listed twice"),
    ],
)
def test_anything_off_schema_is_refused(change: dict[str, Any], message: str) -> None:
    data = {**good(), **change}
    with pytest.raises(ManifestError) as info:
        parse_manifest(json.dumps(data).encode())
    assert any(message in p for p in info.value.problems), info.value.problems


def test_not_json_and_oversize_are_refused() -> None:
    with pytest.raises(ManifestError, match="not JSON"):
        parse_manifest(b"\xff")
    with pytest.raises(ManifestError, match="larger than"):
        parse_manifest(b" " * 1_000_001)


def test_deep_nesting_is_a_refusal_not_a_recursion_error() -> None:
    with pytest.raises(ManifestError, match="nested too deeply"):
        parse_manifest(b"[" * 100_000 + b"]" * 100_000)
