"""`manifest.json`: what the unprivileged job claims its artifact contains.

The manifest is written by the unprivileged side, so on the privileged side it is
untrusted input like every other file of the artifact: `parse_manifest` accepts
exactly the schema below and nothing else, and artifact.py then checks the files
against it.

    {"operation": str, "id": str, "repository": "owner/name",
     "base_sha": 40-hex, "head_sha": 40-hex,
     "files": [{"path": "relative/posix/path", "size": int, "sha256": 64-hex}, ...]}
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from repowarden.runtime.dispatch.payload import show

MANIFEST = "manifest.json"
PATCH = "patch.diff"
DIST = "dist"
MAX_MANIFEST_BYTES = 1_000_000
MAX_FILES = 1000
_SHA1 = re.compile(r"^[0-9a-f]{40}\Z")
_SHA256 = re.compile(r"^[0-9a-f]{64}\Z")
_KEYS = frozenset({"operation", "id", "repository", "base_sha", "head_sha", "files"})
_FILE_KEYS = frozenset({"path", "size", "sha256"})


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    operation: str
    id: str
    repository: str
    base_sha: str
    head_sha: str
    files: tuple[FileEntry, ...]

    def to_json(self) -> str:
        return (
            json.dumps(
                {
                    "operation": self.operation,
                    "id": self.id,
                    "repository": self.repository,
                    "base_sha": self.base_sha,
                    "head_sha": self.head_sha,
                    "files": [
                        {"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files
                    ],
                },
                indent=2,
                sort_keys=True,
            )
            + "\n"
        )


class ManifestError(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(
    directory: Path,
    *,
    operation: str,
    id: str,
    repository: str,
    base_sha: str,
    head_sha: str,
) -> Manifest:
    """List every regular file under `directory` (except the manifest) and write it."""
    entries = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file() and not p.is_symlink()):
        rel = path.relative_to(directory).as_posix()
        if rel == MANIFEST:
            continue
        entries.append(FileEntry(rel, path.stat().st_size, sha256_of(path)))
    manifest = Manifest(operation, id, repository, base_sha, head_sha, tuple(entries))
    (directory / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def parse_manifest(data: bytes) -> Manifest:
    """The manifest, or ManifestError listing every way it deviates from the schema."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestError([f"{MANIFEST} is larger than {MAX_MANIFEST_BYTES} bytes"])
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestError([f"{MANIFEST} is not JSON: {exc}"]) from None
    except RecursionError:
        raise ManifestError([f"{MANIFEST} is nested too deeply to be a manifest"]) from None
    if not isinstance(obj, dict):
        raise ManifestError([f"{MANIFEST} is not a JSON object"])
    problems: list[str] = []
    extra, missing = set(obj) - _KEYS, _KEYS - set(obj)
    if extra:
        problems.append(f"{MANIFEST} has unexpected keys: {show(sorted(map(str, extra)))}")
    if missing:
        problems.append(f"{MANIFEST} lacks keys: {', '.join(sorted(missing))}")
    for key in ("operation", "id", "repository"):
        if key in obj and not isinstance(obj[key], str):
            problems.append(f"{MANIFEST}: {key} is not a string")
    for key in ("base_sha", "head_sha"):
        if key in obj and not (isinstance(obj[key], str) and _SHA1.match(obj[key])):
            problems.append(f"{MANIFEST}: {key} {show(obj[key])} is not a 40-hex commit SHA")
    files: list[FileEntry] = []
    raw_files = obj.get("files")
    if "files" in obj and not isinstance(raw_files, list):
        problems.append(f"{MANIFEST}: files is not a list")
    elif isinstance(raw_files, list):
        if len(raw_files) > MAX_FILES:
            problems.append(f"{MANIFEST} lists {len(raw_files)} files; at most {MAX_FILES}")
            raw_files = []
        seen: set[str] = set()
        for index, item in enumerate(raw_files):
            where = f"{MANIFEST}: files[{index}]"
            if not isinstance(item, dict) or set(item) != _FILE_KEYS:
                problems.append(f"{where} must have exactly the keys path, size, sha256")
                continue
            path, size, digest = item["path"], item["size"], item["sha256"]
            if not isinstance(path, str) or not path:
                problems.append(f"{where}.path is not a non-empty string")
                continue
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                problems.append(f"{where}.size {show(size)} is not a non-negative integer")
                continue
            if not isinstance(digest, str) or not _SHA256.match(digest):
                problems.append(f"{where}.sha256 {show(digest)} is not 64 lowercase hex digits")
                continue
            if path in seen:
                problems.append(f"{where}.path {show(path)} is listed twice")
                continue
            seen.add(path)
            files.append(FileEntry(path, size, digest))
    if problems:
        raise ManifestError(problems)
    return Manifest(
        operation=obj["operation"],
        id=obj["id"],
        repository=obj["repository"],
        base_sha=obj["base_sha"],
        head_sha=obj["head_sha"],
        files=tuple(files),
    )
