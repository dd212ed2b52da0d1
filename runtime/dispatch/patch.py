"""Read `git diff --binary` output, and apply its hunks in Python, exactly.

The privileged side never runs `git apply` against untrusted state: it parses the
file headers itself to decide which paths a patch touches (artifact.py), and turns
hunks into new file contents here. A hunk applies only at the line its header
names, with every context and removed line byte-for-byte equal: no offsets, no
fuzz, no whitespace leniency. Anything this parser does not understand is an
error, never skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_MODE = re.compile(r"^[0-7]{6}\Z")
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}
MAX_LINE_NUMBER = 10_000_000


class PatchError(Exception):
    """The patch is malformed, or does not apply exactly to the files it names."""


@dataclass
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    # (' ' | '-' | '+', line bytes including its newline unless it had none)
    lines: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class FilePatch:
    old_path: str | None  # None for a new file
    new_path: str | None  # None for a deleted file
    header_paths: tuple[str, ...] = ()
    old_mode: str | None = None
    new_mode: str | None = None
    new_file: bool = False
    deleted: bool = False
    renamed: bool = False
    copied: bool = False
    binary: bool = False
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def paths(self) -> set[str]:
        """Every path this section names anywhere: the header, ---/+++, rename lines."""
        found = {p for p in (self.old_path, self.new_path) if p is not None}
        return found | set(self.header_paths)

    @property
    def path(self) -> str:
        # parse_patch refuses a section without a path, so one of the two is set.
        return self.new_path or self.old_path or ""


def unquote(text: str) -> str:
    """Undo git's C-style quoting of a path (core.quotePath)."""
    if not (len(text) >= 2 and text[0] == '"' and text[-1] == '"'):
        return text
    body, out, i = text[1:-1], bytearray(), 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out += ch.encode("utf-8")
            i += 1
            continue
        if i + 1 >= len(body):
            raise PatchError(f"bad quoted path {text!r}")
        nxt = body[i + 1]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif re.match(r"[0-3][0-7]{2}", body[i + 1 : i + 4]):
            out.append(int(body[i + 1 : i + 4], 8))
            i += 4
        else:
            raise PatchError(f"bad escape in quoted path {text!r}")
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise PatchError(f"quoted path {text!r} is not UTF-8") from None


def _strip_prefix(path: str, prefix: str) -> str:
    if not path.startswith(prefix):
        raise PatchError(f"path {path!r} does not start with {prefix!r}")
    return path[len(prefix) :]


def _header_paths(rest: str) -> tuple[str, ...]:
    """The two paths of `diff --git a/X b/Y`, which git quotes only when it must."""
    if rest.startswith('"'):
        match = re.match(r'^("(?:[^"\\]|\\.)*")\s(.+)$', rest)
        if not match:
            raise PatchError(f"cannot read the paths of 'diff --git {rest}'")
        first, second = unquote(match.group(1)), unquote(match.group(2))
        return (_strip_prefix(first, "a/"), _strip_prefix(second, "b/"))
    if rest.endswith('"'):
        match = re.match(r'^(.+?)\s("(?:[^"\\]|\\.)*")$', rest)
        if not match:
            raise PatchError(f"cannot read the paths of 'diff --git {rest}'")
        return (_strip_prefix(match.group(1), "a/"), _strip_prefix(unquote(match.group(2)), "b/"))
    # Unquoted: the names may contain spaces, so only the symmetric form is unambiguous.
    if (len(rest) - 1) % 2 == 0:
        half = (len(rest) - 1) // 2
        first, sep, second = rest[:half], rest[half], rest[half + 1 :]
        symmetric = first.startswith("a/") and second.startswith("b/") and first[2:] == second[2:]
        if sep == " " and symmetric:
            return (first[2:], second[2:])
    # A rename or copy: unambiguous when " b/" occurs exactly once.
    if rest.startswith("a/") and rest.count(" b/") == 1:
        first, second = rest.split(" b/")
        return (first[2:], second)
    raise PatchError(f"ambiguous paths in 'diff --git {rest}' (a rename?)")


def _file_name(line: str, marker: str) -> str | None:
    name = line[len(marker) :]
    # git appends a tab after names that contain a space.
    name = name[:-1] if name.endswith("\t") else name
    if name == "/dev/null":
        return None
    name = unquote(name)
    return name


def parse_patch(data: bytes) -> list[FilePatch]:
    """Every file section of a `git diff --binary` output; PatchError if malformed."""
    if not data:
        return []
    if not data.endswith(b"\n"):
        raise PatchError("the patch does not end with a newline (truncated?)")
    lines = data.split(b"\n")[:-1]
    patches: list[FilePatch] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith(b"diff --git "):
            raise PatchError(f"line {i + 1}: expected 'diff --git', got {line[:60]!r}")
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise PatchError(f"line {i + 1}: the file header is not UTF-8") from None
        current = FilePatch(old_path=None, new_path=None)
        current.header_paths = _header_paths(text[len("diff --git ") :])
        current.old_path, current.new_path = current.header_paths
        patches.append(current)
        i += 1
        # Extended header lines, up to the first hunk, binary patch or next file.
        while i < len(lines) and not lines[i].startswith((b"diff --git ", b"@@ ")):
            try:
                text = lines[i].decode("utf-8")
            except UnicodeDecodeError:
                raise PatchError(f"line {i + 1}: a header line is not UTF-8") from None
            i += 1
            if text.startswith("old mode "):
                current.old_mode = text[9:]
            elif text.startswith("new mode "):
                current.new_mode = text[9:]
            elif text.startswith("new file mode "):
                current.new_file, current.new_mode = True, text[14:]
            elif text.startswith("deleted file mode "):
                current.deleted, current.old_mode = True, text[18:]
            elif text.startswith("index "):
                parts = text[6:].split(" ")
                if len(parts) == 2:
                    current.old_mode = current.old_mode or parts[1]
                    current.new_mode = current.new_mode or parts[1]
            elif text.startswith(("similarity index ", "dissimilarity index ")):
                continue  # informational only; the rename lines carry the paths
            elif text.startswith(("rename from ", "rename to ", "copy from ", "copy to ")):
                kind, direction, raw_name = text.split(" ", 2)
                name = unquote(raw_name)
                current.renamed |= kind == "rename"
                current.copied |= kind == "copy"
                current.header_paths = (*current.header_paths, name)
                if direction == "from":
                    current.old_path = name
                else:
                    current.new_path = name
            elif text.startswith("--- "):
                current.old_path = _file_name(text, "--- ")
                if current.old_path is not None:
                    current.old_path = _strip_prefix(current.old_path, "a/")
            elif text.startswith("+++ "):
                current.new_path = _file_name(text, "+++ ")
                if current.new_path is not None:
                    current.new_path = _strip_prefix(current.new_path, "b/")
            elif text == "GIT binary patch" or text.startswith("Binary files "):
                current.binary = True
                # Skip the base85 payload: it ends at the next file header.
                while i < len(lines) and not lines[i].startswith(b"diff --git "):
                    i += 1
            else:
                raise PatchError(f"line {i}: unexpected header line {text[:60]!r}")
        if current.new_file and current.deleted:
            raise PatchError(f"line {i}: a section both creates and deletes a file")
        if current.new_file:
            current.old_path = None
        if current.deleted:
            current.new_path = None
        if current.old_path is None and current.new_path is None:
            raise PatchError(f"line {i}: a section names /dev/null on both sides")
        if current.new_file != (current.old_path is None):
            raise PatchError(f"line {i}: '--- /dev/null' and 'new file mode' disagree")
        if current.deleted != (current.new_path is None):
            raise PatchError(f"line {i}: '+++ /dev/null' and 'deleted file mode' disagree")
        for mode in (current.old_mode, current.new_mode):
            if mode is not None and not _MODE.match(mode):
                raise PatchError(f"line {i}: bad file mode {mode[:20]!r}")
        while i < len(lines) and lines[i].startswith(b"@@ "):
            i = _read_hunk(lines, i, current)
    return patches


def _read_hunk(lines: list[bytes], i: int, current: FilePatch) -> int:
    match = _HUNK.match(lines[i])
    if not match:
        raise PatchError(f"line {i + 1}: bad hunk header {lines[i][:60]!r}")
    old_start, new_start = int(match.group(1)), int(match.group(3))
    old_len = int(match.group(2)) if match.group(2) is not None else 1
    new_len = int(match.group(4)) if match.group(4) is not None else 1
    if max(old_start, new_start, old_len, new_len) > MAX_LINE_NUMBER:
        raise PatchError(f"line {i + 1}: hunk header numbers are too large")
    hunk = Hunk(old_start, old_len, new_start, new_len)
    current.hunks.append(hunk)
    i += 1
    old_seen = new_seen = 0
    while old_seen < old_len or new_seen < new_len:
        if i >= len(lines):
            raise PatchError("the patch ends inside a hunk")
        line = lines[i]
        tag = line[:1].decode("latin-1")
        if tag == " ":
            old_seen, new_seen = old_seen + 1, new_seen + 1
        elif tag == "-":
            old_seen += 1
        elif tag == "+":
            new_seen += 1
        elif tag == "\\" and hunk.lines:
            _no_newline(hunk)
            i += 1
            continue
        else:
            raise PatchError(f"line {i + 1}: unexpected line inside a hunk {line[:60]!r}")
        if old_seen > old_len or new_seen > new_len:
            raise PatchError(f"line {i + 1}: hunk longer than its header says")
        hunk.lines.append((tag, line[1:] + b"\n"))
        i += 1
    if i < len(lines) and lines[i].startswith(b"\\") and hunk.lines:
        _no_newline(hunk)
        i += 1
    return i


def _no_newline(hunk: Hunk) -> None:
    tag, content = hunk.lines[-1]
    hunk.lines[-1] = (tag, content[:-1])


def apply_hunks(original: bytes, patch: FilePatch) -> bytes:
    """The new contents of one file, or PatchError if any hunk does not match exactly."""
    if patch.binary:
        raise PatchError(f"{patch.path}: binary changes are not applied")
    # git splits lines on \n only (bytes.splitlines would also split on \r).
    old = _split_lf(original)
    out: list[bytes] = []
    pos = 0  # index into `old` of the next unconsumed line
    for number, hunk in enumerate(patch.hunks, 1):
        start = hunk.old_start - 1 if hunk.old_len else hunk.old_start
        if start < pos:
            raise PatchError(f"{patch.path}: hunk {number} overlaps the previous one")
        expected = [content for tag, content in hunk.lines if tag in " -"]
        actual = old[start : start + len(expected)]
        if actual != expected:
            raise PatchError(
                f"{patch.path}: hunk {number} does not match the current file at line "
                f"{hunk.old_start} (the file changed since the patch was made)"
            )
        out.extend(old[pos:start])
        out.extend(content for tag, content in hunk.lines if tag in " +")
        pos = start + len(expected)
    out.extend(old[pos:])
    return b"".join(out)


def _split_lf(data: bytes) -> list[bytes]:
    if not data:
        return []
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines
