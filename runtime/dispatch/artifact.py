"""Verify an unprivileged job's artifact on the privileged side (`artifacts-are-data`).

Whatever the unprivileged job left is untrusted data: the untrusted code it ran
could have written any file, link or manifest. `verify_artifact` reads the
directory without following links, checks it against the manifest exactly, and
then checks what the operation is allowed to produce: a patch that touches only
the operation's paths (never `.github/`), or distributions of the configured
project. Nothing here executes, installs or applies anything; archives are only
listed and their metadata file read, within size bounds.
"""

from __future__ import annotations

import os
import re
import stat
import tarfile
import zipfile
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from hashlib import sha256
from pathlib import Path, PurePosixPath
from typing import assert_never

from repowarden.runtime.config import Config
from repowarden.runtime.dispatch.kinds import BuildAndPublish, Kind, OperationModel, kind_of
from repowarden.runtime.dispatch.manifest import (
    DIST,
    MANIFEST,
    MAX_MANIFEST_BYTES,
    PATCH,
    FileEntry,
    Manifest,
    ManifestError,
    parse_manifest,
    sha256_of,
)
from repowarden.runtime.dispatch.patch import FilePatch, PatchError, parse_patch
from repowarden.runtime.dispatch.payload import DispatchRequest, show

MAX_ARCHIVE_MEMBERS = 50_000
MAX_METADATA_BYTES = 1_000_000
REGULAR_MODES = frozenset({"100644", "100755"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


@dataclass
class Verification:
    violations: list[str] = field(default_factory=list)
    manifest: Manifest | None = None
    patches: list[FilePatch] = field(default_factory=list)
    patch_bytes: bytes = b""  # the exact bytes that were hashed and parsed

    @property
    def ok(self) -> bool:
        return not self.violations


def normalize_project(name: str) -> str:
    """PEP 503 normalisation: how PyPI compares project names."""
    return re.sub(r"[-_.]+", "-", name).lower()


def unsafe_path(path: str) -> str | None:
    """Why a relative artifact/patch path is unsafe, or None."""
    if not path:
        return "is empty"
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:  # a name that was not UTF-8 on disk (surrogate escapes)
        return "is not valid UTF-8"
    if _CONTROL.search(path):
        return "contains a backslash or a control character"
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return "is absolute"
    parts = path.split("/")
    if ".." in parts:
        return "contains '..'"
    if any(part in ("", ".") for part in parts):
        return "has an empty or '.' component"
    return None


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A root-anchored glob: `*` stays inside one directory, `**` crosses directories."""
    pattern = pattern.rstrip("/") + ("/**" if pattern.endswith("/") else "")
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("^" + "".join(out) + r"\Z")


def path_allowed(path: str, patterns: list[str]) -> bool:
    """True if the file's own path matches one of `patterns`.

    A pattern names files. Matching a directory above the file would let
    `src/**/*.py` accept `src/x/evil.py/conftest.sh`; write `src/**` for a tree.
    """
    return any(glob_regex(p).match(path) for p in patterns)


def touches_github_dir(path: str) -> bool:
    # Case-insensitive: checkouts on case-insensitive file systems fold names.
    parts = [p.casefold() for p in path.split("/")]
    return parts[0] == ".github" or ".git" in parts


def _scan(directory: Path, violations: list[str]) -> dict[str, os.stat_result]:
    """Regular files under `directory` (relative posix path -> lstat), links refused."""
    found: dict[str, os.stat_result] = {}
    stack = [directory]
    while stack:
        current = stack.pop()
        with os.scandir(current) as entries:
            for entry in entries:
                full = Path(entry.path)
                rel = full.relative_to(directory).as_posix()
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISLNK(info.st_mode):
                    violations.append(f"{show(rel, 200)}: is a symbolic link")
                elif stat.S_ISDIR(info.st_mode):
                    stack.append(full)
                elif not stat.S_ISREG(info.st_mode):
                    violations.append(f"{show(rel, 200)}: is not a regular file")
                elif info.st_nlink > 1:
                    violations.append(f"{show(rel, 200)}: is a hard link ({info.st_nlink} links)")
                else:
                    found[rel] = info
    return found


def verify_artifact(
    directory: Path,
    config: Config,
    operation: str,
    request: DispatchRequest | None = None,
    base_sha: str | None = None,
) -> Verification:
    """Check `directory` against its manifest and `artifacts-are-data`; see module docstring."""
    result = Verification()
    violations = result.violations
    dispatch = config.dispatch
    op = dispatch.operation(operation) if dispatch else None
    if dispatch is None or op is None:
        violations.append(f"operation {show(operation)} is not configured")
        return result
    if request is not None and request.operation != operation:
        violations.append(
            f"--operation {show(operation)} differs from the dispatched operation "
            f"{request.operation!r}"
        )
    try:
        info = directory.lstat()
    except OSError as exc:
        violations.append(f"{directory}: cannot read the artifact directory: {exc.strerror}")
        return result
    if not stat.S_ISDIR(info.st_mode):
        violations.append(f"{directory}: is not a directory (a link?)")
        return result
    on_disk = _scan(directory, violations)

    manifest_info = on_disk.pop(MANIFEST, None)
    if manifest_info is None:
        violations.append(f"{MANIFEST}: missing")
        return result
    total = manifest_info.st_size + sum(i.st_size for i in on_disk.values())
    if total > dispatch.max_artifact_bytes:
        violations.append(
            f"the artifact holds {total} bytes; the limit is {dispatch.max_artifact_bytes} "
            "(dispatch.max_artifact_bytes)"
        )
    try:
        with (directory / MANIFEST).open("rb") as fh:
            manifest = parse_manifest(fh.read(MAX_MANIFEST_BYTES + 1))
    except ManifestError as exc:
        violations.extend(exc.problems)
        return result
    result.manifest = manifest

    expected = {
        "operation": operation,
        "id": request.id if request else None,
        "repository": request.repo if request else None,
        "base_sha": base_sha,
    }
    for key, want in expected.items():
        got = getattr(manifest, key)
        if want is not None and got != want:
            violations.append(f"{MANIFEST}: {key} is {show(got)}, expected {want!r}")
    if request is not None and request.pr is None and manifest.head_sha != manifest.base_sha:
        violations.append(
            f"{MANIFEST}: head_sha differs from base_sha, but the dispatch names no PR "
            "(the operation must run on the dispatched commit)"
        )

    listed: dict[str, FileEntry] = {}
    for entry in manifest.files:
        why = unsafe_path(entry.path)
        if why:
            violations.append(f"{MANIFEST}: path {show(entry.path, 200)} {why}")
        elif entry.path == MANIFEST:
            violations.append(f"{MANIFEST}: lists itself")
        else:
            listed[entry.path] = entry
    for path in sorted(set(on_disk) - set(listed)):
        violations.append(f"{show(path, 200)}: extra file, not in {MANIFEST}")
    for path in sorted(set(listed) - set(on_disk)):
        violations.append(f"{show(path, 200)}: listed in {MANIFEST} but missing")
    intact: list[str] = []
    for path in sorted(set(listed) & set(on_disk)):
        entry, size = listed[path], on_disk[path].st_size
        if size > dispatch.max_file_bytes:
            violations.append(
                f"{path}: {size} bytes, over the per-file limit of {dispatch.max_file_bytes} "
                "(dispatch.max_file_bytes)"
            )
        elif size != entry.size:
            violations.append(f"{path}: size is {size}, {MANIFEST} says {entry.size}")
        elif sha256_of(directory / path) != entry.sha256:
            violations.append(f"{path}: sha256 does not match {MANIFEST}")
        else:
            intact.append(path)

    kind = kind_of(op)
    match kind.artifact:
        case "patch":
            _check_patch(directory, listed, intact, op, kind, result)
        case "dists":
            if isinstance(op, BuildAndPublish):
                _check_dists(directory, listed, intact, op, violations)
            else:
                violations.append(f"{op.kind}: distributions of which project? (a bug)")
        case _:
            assert_never(kind.artifact)
    return result


def _check_patch(
    directory: Path,
    listed: dict[str, FileEntry],
    intact: list[str],
    op: OperationModel,
    kind: Kind,
    result: Verification,
) -> None:
    violations = result.violations
    for path in sorted(listed):
        if path != PATCH:
            violations.append(f"{show(path, 200)}: a {op.kind} artifact holds only {PATCH}")
    if PATCH not in listed:
        violations.append(f"{PATCH}: missing (a {op.kind} artifact holds exactly {PATCH})")
        return
    if PATCH not in intact:
        return  # already reported; never parse bytes that failed their hash
    data = (directory / PATCH).read_bytes()
    if sha256(data).hexdigest() != listed[PATCH].sha256:
        violations.append(f"{PATCH}: changed while it was being verified")
        return
    try:
        patches = parse_patch(data)
    except PatchError as exc:
        violations.append(f"{PATCH}: not a patch git produces: {exc}")
        return
    result.patch_bytes = data
    allowed = op.allowed_paths
    # A formatter edits the files it is given; only pip-compile may write a missing .txt.
    creates_files = kind.creates_files
    seen: set[str] = set()
    for fp in patches:
        for path in sorted(fp.paths):
            why = unsafe_path(path)
            if why:
                violations.append(f"{PATCH}: path {show(path, 200)} {why}")
            elif touches_github_dir(path):
                violations.append(f"{PATCH}: touches {show(path, 200)}; .github/ is never patched")
            elif not path_allowed(path, allowed):
                violations.append(
                    f"{PATCH}: touches {show(path, 200)}, outside what {op.name!r} may change "
                    f"({', '.join(allowed)})"
                )
        name = show(fp.path, 200)
        if fp.renamed or fp.copied or (fp.old_path != fp.new_path and not fp.new_file):
            violations.append(f"{PATCH}: {name} is renamed or copied; only edits are allowed")
        if fp.deleted:
            violations.append(f"{PATCH}: deletes {name}; only edits and new files are allowed")
        if fp.new_file and not creates_files:
            violations.append(f"{PATCH}: creates {name}; {op.kind} only edits existing files")
        if fp.new_file and fp.new_mode != "100644":
            violations.append(f"{PATCH}: creates {name} with mode {fp.new_mode}, not 100644")
        if fp.binary:
            violations.append(f"{PATCH}: binary change to {name} is not supported")
        for mode in (fp.old_mode, fp.new_mode):
            if mode is not None and mode not in REGULAR_MODES:
                violations.append(f"{PATCH}: {name} has mode {mode}: not a regular file")
        if fp.old_mode and fp.new_mode and fp.old_mode != fp.new_mode and not fp.new_file:
            violations.append(f"{PATCH}: changes the mode of {name}")
        if fp.path in seen:
            violations.append(f"{PATCH}: {name} appears twice")
        seen.add(fp.path)
    result.patches = patches


def _dist_name(filename: str, project: str) -> tuple[str, str, str] | None:
    """(kind, "name-version" prefix, version) if `filename` is a dist of `project`."""
    wanted = normalize_project(project)
    if filename.endswith(".tar.gz"):
        stem = filename[: -len(".tar.gz")]
        name, sep, version = stem.rpartition("-")
        if sep and version and normalize_project(name) == wanted:
            return "sdist", stem, version
    elif filename.endswith(".whl"):
        parts = filename[: -len(".whl")].split("-")
        if len(parts) in (5, 6) and normalize_project(parts[0]) == wanted:
            return "wheel", f"{parts[0]}-{parts[1]}", parts[1]
    return None


def _check_dists(
    directory: Path,
    listed: dict[str, FileEntry],
    intact: list[str],
    op: BuildAndPublish,
    violations: list[str],
) -> None:
    """One release of the configured project: one sdist, wheels, one version throughout."""
    found: dict[str, list[str]] = {"sdist": [], "wheel": []}
    versions: dict[str, str] = {}  # where a version was read -> the version
    for path in sorted(listed):
        pure = PurePosixPath(path)
        if len(pure.parts) != 2 or pure.parts[0] != DIST:
            violations.append(
                f"{show(path, 200)}: a build artifact holds only {DIST}/<sdist or wheel>"
            )
            continue
        parsed = _dist_name(pure.name, op.project)
        if parsed is None:
            violations.append(
                f"{show(path, 200)}: not a distribution of the project {op.project!r} "
                "(expected <project>-<version>.tar.gz or a <project>-... .whl)"
            )
            continue
        kind, prefix, version = parsed
        found[kind].append(path)
        versions[f"{path} (file name)"] = version
        if path not in intact:
            continue
        check = _check_sdist if kind == "sdist" else _check_wheel
        problem, metadata = check(directory / path, prefix, op)
        if problem:
            violations.append(f"{path}: {problem}")
            continue
        problem, meta_version = _metadata(metadata, op.project)
        if problem:
            violations.append(f"{path}: {problem}")
        else:
            versions[f"{path} (metadata)"] = meta_version
    if len(found["sdist"]) != 1:
        violations.append(
            f"{DIST}/: {len(found['sdist'])} sdists of {op.project!r}; a release has exactly one"
        )
    if not found["wheel"]:
        violations.append(f"{DIST}/: no wheel of {op.project!r}; a release has an sdist and wheels")
    if len(set(versions.values())) > 1:
        violations.append(
            f"{DIST}/: more than one version: "
            + ", ".join(f"{where} {show(v, 40)}" for where, v in sorted(versions.items()))
        )


def _metadata(metadata: bytes, project: str) -> tuple[str | None, str]:
    """(problem or None, version) from a PKG-INFO/METADATA file of `project`."""
    headers = BytesHeaderParser().parsebytes(metadata)
    name, version = headers.get("Name"), headers.get("Version")
    if not name:
        return "metadata has no Name", ""
    if normalize_project(str(name)) != normalize_project(project):
        return f"metadata names the project {show(str(name))}, expected {project!r}", ""
    if not version:
        return "metadata has no Version", ""
    return None, str(version)


def _member_problem(name: str) -> str | None:
    why = unsafe_path(name.rstrip("/"))
    return f"archive member {show(name, 120)} {why}" if why else None


def _pth_problem(name: str, op: BuildAndPublish) -> str | None:
    # A .pth file in site-packages runs its `import` lines at every interpreter start.
    if name.endswith(".pth") and not op.allow_pth:
        return (
            f"archive member {show(name, 120)} is a .pth file, which runs code at every "
            "interpreter start; set allow_pth: true on the operation if that is intended"
        )
    return None


Checked = tuple[str | None, bytes]


def _check_sdist(path: Path, prefix: str, op: BuildAndPublish) -> Checked:
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            pkg_info: bytes | None = None
            for count, member in enumerate(tar, 1):
                if count > MAX_ARCHIVE_MEMBERS:
                    return f"more than {MAX_ARCHIVE_MEMBERS} archive members", b""
                problem = _member_problem(member.name) or _pth_problem(member.name, op)
                if problem:
                    return problem, b""
                if not (member.isfile() or member.isdir()):
                    return f"archive member {show(member.name, 120)} is a link or special file", b""
                if member.name.split("/")[0] != prefix:
                    return f"archive member {show(member.name, 120)} is outside {prefix}/", b""
                if member.name == f"{prefix}/PKG-INFO" and member.isfile():
                    if member.size > MAX_METADATA_BYTES:
                        return "PKG-INFO is too large", b""
                    fh = tar.extractfile(member)
                    pkg_info = fh.read(MAX_METADATA_BYTES) if fh else None
    except (tarfile.TarError, OSError, EOFError, UnicodeError) as exc:
        return f"not a valid sdist (gzip-compressed tar): {exc}", b""
    if pkg_info is None:
        return f"not a valid sdist: {prefix}/PKG-INFO is missing", b""
    return None, pkg_info


def _check_wheel(path: Path, prefix: str, op: BuildAndPublish) -> Checked:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ARCHIVE_MEMBERS:
                return f"more than {MAX_ARCHIVE_MEMBERS} archive members", b""
            for info in infos:
                problem = _member_problem(info.filename) or _pth_problem(info.filename, op)
                if problem:
                    return problem, b""
                if stat.S_ISLNK(info.external_attr >> 16):
                    return f"archive member {show(info.filename, 120)} is a symbolic link", b""
            names = {info.filename for info in infos}
            dist_info = f"{prefix}.dist-info"
            metadata_name = f"{dist_info}/METADATA"
            if metadata_name not in names or f"{dist_info}/WHEEL" not in names:
                return f"not a valid wheel: {dist_info}/METADATA or WHEEL is missing", b""
            info = zf.getinfo(metadata_name)
            if info.file_size > MAX_METADATA_BYTES:
                return "METADATA is too large", b""
            with zf.open(info) as fh:
                return None, fh.read(MAX_METADATA_BYTES)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, UnicodeError) as exc:
        return f"not a valid wheel (zip): {exc}", b""
