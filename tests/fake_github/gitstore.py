"""A real bare git repository behind each fake repository, driven by git plumbing.

SHAs handed out by the fake are real object names, so tests (and the workflow
runner's checkout stand-in) can `git clone` / `git fetch` from `git_dir()`.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

# Fixed identity and dates: the same files always give the same commit SHA.
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Fake GitHub",
    "GIT_AUTHOR_EMAIL": "fake@github.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_NAME": "Fake GitHub",
    "GIT_COMMITTER_EMAIL": "fake@github.invalid",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
}

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_SHA = re.compile(r"[0-9a-f]{40}")


class GitError(Exception):
    """A plumbing command failed (unknown object, bad ref, ...)."""


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    type: str  # blob | tree | commit
    sha: str
    path: str
    size: int | None = None


@dataclass(frozen=True)
class DiffEntry:
    status: str  # added | removed | modified
    path: str
    sha: str  # blob in head ("0" * 40 when removed)
    additions: int
    deletions: int
    patch: str


@dataclass(frozen=True)
class Identity:
    name: str
    email: str
    date: str  # ISO 8601, as GitHub prints it


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    tree: str
    parents: list[str]
    author: Identity
    committer: Identity
    message: str


class GitStore:
    """One bare repository on disk."""

    def __init__(self, path: Path, default_branch: str = "main") -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self._git("init", "--bare", "--quiet", f"--initial-branch={default_branch}")
        # Allow fetching any object by SHA (clients fetch PR heads by SHA).
        with (path / "config").open("a") as config:
            config.write("[uploadpack]\n\tallowAnySHA1InWant = true\n")
        # Caches of immutable facts (keyed by object names), to spare subprocesses.
        self._types: dict[str, str] = {}
        self._trees: dict[tuple[str, bool], list[TreeEntry]] = {}
        self._diffs: dict[tuple[str, str], list[DiffEntry]] = {}
        self._merge_bases: dict[tuple[str, str], str | None] = {}
        self._tree_of: dict[str, str] = {}

    # -- low level ------------------------------------------------------------

    def _git(
        self,
        *args: str,
        input: bytes | None = None,
        env: dict[str, str] | None = None,
    ) -> bytes:
        full_env = {**os.environ, **_GIT_ENV, **(env or {})}
        proc = subprocess.run(
            ["git", "--git-dir", str(self.path), *args],
            input=input,
            capture_output=True,
            env=full_env,
            check=False,
        )
        if proc.returncode != 0:
            raise GitError(proc.stderr.decode(errors="replace").strip() or f"git {args[0]} failed")
        return proc.stdout

    # -- objects ----------------------------------------------------------------

    def _write_object(self, kind: str, data: bytes) -> str:
        """Store a loose object the way git does (zlib of "<kind> <size>\\0<data>").

        In-process rather than `git hash-object`/`git mktree`: setting up a PR
        writes dozens of objects and a subprocess each dominated test time.
        test_git.py checks the result against git's own plumbing and fsck.
        """
        raw = f"{kind} {len(data)}\0".encode() + data
        sha = hashlib.sha1(raw, usedforsecurity=False).hexdigest()
        target = self.path / "objects" / sha[:2] / sha[2:]
        if not target.exists():
            target.parent.mkdir(exist_ok=True)
            tmp = target.with_name(f"tmp-{sha[2:]}-{threading.get_ident()}")
            tmp.write_bytes(zlib.compress(raw))
            os.replace(tmp, target)
        self._types[sha] = kind
        return sha

    def write_blob(self, content: bytes) -> str:
        return self._write_object("blob", content)

    def read_blob(self, sha: str) -> bytes:
        if self.object_type(sha) != "blob":
            raise GitError(f"{sha} is not a blob")
        return self._git("cat-file", "blob", sha)

    def object_type(self, sha: str) -> str | None:
        # Objects never change once written: remember what exists.
        known = self._types.get(sha)
        if known is not None:
            return known
        try:
            kind = self._git("cat-file", "-t", sha).decode().strip()
        except GitError:
            return None
        if _SHA.fullmatch(sha):
            self._types[sha] = kind
        return kind

    def exists(self, sha: str) -> bool:
        return self.object_type(sha) is not None

    def mktree(self, entries: list[TreeEntry]) -> str:
        """A tree of direct children (no slashes in names), like `git mktree`."""
        names = [e.path for e in entries]
        if len(set(names)) != len(names) or any(not n or "/" in n for n in names):
            raise GitError(f"invalid tree entries: {sorted(names)}")
        # Git orders entries by name, a tree's name compared as if it ended in "/".
        ordered = sorted(
            entries, key=lambda e: e.path.encode() + (b"/" if e.type == "tree" else b"")
        )
        body = b"".join(
            f"{e.mode.lstrip('0')} {e.path}".encode() + b"\0" + bytes.fromhex(e.sha)
            for e in ordered
        )
        return self._write_object("tree", body)

    def ls_tree(self, tree: str, *, recursive: bool = False) -> list[TreeEntry]:
        key = (tree, recursive)
        if key not in self._trees or not _SHA.fullmatch(tree):
            self._trees[key] = self._ls_tree(tree, recursive=recursive)
        return list(self._trees[key])

    def _ls_tree(self, tree: str, *, recursive: bool) -> list[TreeEntry]:
        args = ["ls-tree", "-l", "-z"] + (["-r", "-t"] if recursive else []) + [tree]
        out = self._git(*args).decode()
        entries = []
        for record in filter(None, out.split("\0")):
            meta, path = record.split("\t", 1)
            mode, kind, sha, size = meta.split()
            entries.append(TreeEntry(mode, kind, sha, path, None if size == "-" else int(size)))
        return entries

    def tree_of(self, commit: str) -> str:
        if commit not in self._tree_of:
            tree = self._git("rev-parse", f"{commit}^{{tree}}").decode().strip()
            if not _SHA.fullmatch(commit):
                return tree
            self._tree_of[commit] = tree
        return self._tree_of[commit]

    def commit_tree(
        self,
        tree: str,
        parents: list[str],
        message: str,
        *,
        author: Identity | None = None,
        committer: Identity | None = None,
    ) -> str:
        env: dict[str, str] = {}
        if author:
            env |= {
                "GIT_AUTHOR_NAME": author.name,
                "GIT_AUTHOR_EMAIL": author.email,
                "GIT_AUTHOR_DATE": author.date,
            }
        if committer:
            env |= {
                "GIT_COMMITTER_NAME": committer.name,
                "GIT_COMMITTER_EMAIL": committer.email,
                "GIT_COMMITTER_DATE": committer.date,
            }
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        sha = self._git(*args, input=message.encode(), env=env).decode().strip()
        self._types[sha] = "commit"
        self._tree_of[sha] = tree
        return sha

    def commit_info(self, sha: str) -> CommitInfo:
        if self.object_type(sha) != "commit":
            raise GitError(f"{sha} is not a commit")
        fmt = "%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"
        out = self._git("show", "-s", f"--format={fmt}", sha).decode()
        sha_, tree, parents, an, ae, ad, cn, ce, cd, message = out.split("\0", 9)
        return CommitInfo(
            sha=sha_,
            tree=tree,
            parents=parents.split(),
            author=Identity(an, ae, _iso_z(ad)),
            committer=Identity(cn, ce, _iso_z(cd)),
            message=message.rstrip("\n"),
        )

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        try:
            self._git("merge-base", "--is-ancestor", ancestor, descendant)
        except GitError:
            return False
        return True

    # -- high level: files ------------------------------------------------------

    def commit_files(
        self,
        files: dict[str, str | bytes | None],
        *,
        parent: str | None,
        message: str,
    ) -> str:
        """A commit on top of `parent` with `files` changed (None deletes a path)."""
        current: dict[str, TreeEntry] = {}
        if parent:
            for entry in self.ls_tree(self.tree_of(parent), recursive=True):
                if entry.type != "tree":
                    current[entry.path] = entry
        for path, content in files.items():
            path = path.strip("/")
            if content is None:
                current.pop(path, None)
                continue
            data = content.encode() if isinstance(content, str) else content
            current[path] = TreeEntry("100644", "blob", self.write_blob(data), path)
        tree = self.build_tree(list(current.values()))
        return self.commit_tree(tree, [parent] if parent else [], message)

    def build_tree(self, entries: list[TreeEntry]) -> str:
        """A (nested) tree from flat blob entries with slash-separated paths."""
        top: list[TreeEntry] = []
        subdirs: dict[str, list[TreeEntry]] = {}
        for entry in entries:
            head, sep, rest = entry.path.partition("/")
            if sep:
                subdirs.setdefault(head, []).append(
                    TreeEntry(entry.mode, entry.type, entry.sha, rest)
                )
            else:
                top.append(entry)
        for name, children in subdirs.items():
            top.append(TreeEntry("040000", "tree", self.build_tree(children), name))
        return self.mktree(top)

    def read_path(self, commit: str, path: str) -> TreeEntry | None:
        path = path.strip("/")
        try:
            out = self._git("ls-tree", "-l", "-z", commit, "--", path).decode()
        except GitError:
            return None
        for record in filter(None, out.split("\0")):
            meta, found = record.split("\t", 1)
            if found == path:
                mode, kind, sha, size = meta.split()
                return TreeEntry(mode, kind, sha, found, None if size == "-" else int(size))
        return None

    def files_at(self, commit: str) -> dict[str, bytes]:
        """Every blob in a commit, for assertions in tests."""
        return {
            e.path: self.read_blob(e.sha)
            for e in self.ls_tree(self.tree_of(commit), recursive=True)
            if e.type == "blob"
        }

    def merge_base(self, a: str, b: str) -> str | None:
        if (a, b) not in self._merge_bases:
            try:
                self._merge_bases[a, b] = self._git("merge-base", a, b).decode().strip()
            except GitError:
                self._merge_bases[a, b] = None
        return self._merge_bases[a, b]

    def merge(
        self, first: str, second: str, message: str, *, identity: Identity | None = None
    ) -> str | None:
        """A merge commit of `second` into `first` (parents in that order); None on a conflict."""
        proc = subprocess.run(
            ["git", "--git-dir", str(self.path), "merge-tree", "--write-tree", first, second],
            capture_output=True,
            env={**os.environ, **_GIT_ENV},
            check=False,
        )
        if proc.returncode == 1:
            return None  # conflicts
        if proc.returncode != 0:
            raise GitError(proc.stderr.decode(errors="replace").strip())
        tree = proc.stdout.decode().split()[0]
        return self.commit_tree(tree, [first, second], message, author=identity, committer=identity)

    def commits_between(self, base: str, head: str) -> list[str]:
        """The commits reachable from `head` and not from `base`, oldest first."""
        out = self._git("rev-list", "--reverse", "--date-order", f"{base}..{head}").decode()
        return out.split()

    def diff(self, base: str, head: str) -> list[DiffEntry]:
        """Per changed file base..head: status, blob SHA, line counts, unified patch."""
        if (base, head) in self._diffs:
            return list(self._diffs[base, head])
        args = ("--no-renames", "--no-color", "--no-ext-diff", base, head)
        raw = self._git("diff", "--raw", "--no-abbrev", "--numstat", "-z", *args).decode(
            errors="replace"
        )
        fields = raw.split("\0")
        entries: list[tuple[str, str, str]] = []  # (status letter, new sha, path)
        counts: dict[str, tuple[int, int]] = {}
        i = 0
        while i < len(fields) and fields[i]:
            field = fields[i]
            if field.startswith(":"):
                _, _, _, new_sha, letter = field[1:].split(" ", 4)
                entries.append((letter[0], new_sha, fields[i + 1]))
                i += 2
            else:
                added, deleted, path = field.split("\t", 2)
                counts[path] = (
                    int(added) if added != "-" else 0,
                    int(deleted) if deleted != "-" else 0,
                )
                i += 1
        # One patch run for all files; sections come in the --raw order.
        patch_text = self._git("diff", *args).decode(errors="replace")
        sections = re.split(r"^diff --git ", patch_text, flags=re.MULTILINE)[1:]
        result = []
        for n, (letter, sha, path) in enumerate(entries):
            section = sections[n] if n < len(sections) else ""
            hunk = section.find("\n@@")
            added, deleted = counts.get(path, (0, 0))
            result.append(
                DiffEntry(
                    status={"A": "added", "D": "removed"}.get(letter, "modified"),
                    path=path,
                    sha=sha,
                    additions=added,
                    deletions=deleted,
                    patch=section[hunk + 1 :].rstrip("\n") if hunk >= 0 else "",
                )
            )
        self._diffs[base, head] = result
        return list(result)

    # -- refs --------------------------------------------------------------------

    def resolve(self, ref: str) -> str | None:
        """A full ref name, a short branch/tag name or a SHA → commit SHA, or None."""
        if _SHA.fullmatch(ref):
            return ref if self.object_type(ref) == "commit" else None
        if re.search(r"[~^:@]|\.\.", ref) or ref == "HEAD":
            return self._rev_parse(f"{ref}^{{commit}}")
        candidates = [ref] if ref.startswith("refs/") else []
        candidates += [f"refs/heads/{ref}", f"refs/tags/{ref}"]
        for candidate in candidates:
            sha = self.ref_target(candidate)
            if sha is None:
                continue
            kind = self.object_type(sha)
            if kind == "commit":
                return sha
            if kind == "tag":
                return self._rev_parse(f"{sha}^{{commit}}")
        return None

    def _rev_parse(self, spec: str) -> str | None:
        try:
            return self._git("rev-parse", "--verify", "--quiet", spec).decode().strip()
        except GitError:
            return None

    def ref_target(self, full_ref: str) -> str | None:
        """What a ref points at, read from disk (loose file, then packed-refs).

        Read in-process: refs change (API writes, pushes into the bare repo), so
        they are never cached, and a subprocess per lookup would dominate.
        """
        if not full_ref.startswith("refs/") or ".." in full_ref:
            return None
        loose = self.path / full_ref
        try:
            text = loose.read_text().strip()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            text = ""
        if text.startswith("ref: "):
            return self.ref_target(text[5:])
        if _SHA.fullmatch(text):
            return text
        try:
            packed = (self.path / "packed-refs").read_text()
        except FileNotFoundError:
            return None
        for line in packed.splitlines():
            if line.startswith(("#", "^")):
                continue
            sha, _, name = line.partition(" ")
            if name == full_ref:
                return sha
        return None

    def refs(self, prefix: str = "refs/") -> dict[str, str]:
        out = self._git("for-each-ref", "--format=%(refname) %(objectname)", prefix).decode()
        return dict(line.split(" ", 1) for line in out.splitlines() if line)

    def update_ref(self, full_ref: str, sha: str) -> None:
        self._git("update-ref", full_ref, sha)

    def delete_ref(self, full_ref: str) -> None:
        self._git("update-ref", "-d", full_ref)


def _iso_z(date: str) -> str:
    return date.replace("+00:00", "Z")
