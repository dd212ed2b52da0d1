"""A real bare git repository behind each fake repository, driven by git plumbing.

SHAs handed out by the fake are real object names, so tests (and the workflow
runner's checkout stand-in) can `git clone` / `git fetch` from `git_dir()`.
"""

from __future__ import annotations

import os
import subprocess
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
        self._git("config", "uploadpack.allowAnySHA1InWant", "true")

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

    def write_blob(self, content: bytes) -> str:
        return self._git("hash-object", "-w", "--stdin", input=content).decode().strip()

    def read_blob(self, sha: str) -> bytes:
        if self.object_type(sha) != "blob":
            raise GitError(f"{sha} is not a blob")
        return self._git("cat-file", "blob", sha)

    def object_type(self, sha: str) -> str | None:
        try:
            return self._git("cat-file", "-t", sha).decode().strip()
        except GitError:
            return None

    def exists(self, sha: str) -> bool:
        return self.object_type(sha) is not None

    def mktree(self, entries: list[TreeEntry]) -> str:
        lines = "".join(f"{e.mode} {e.type} {e.sha}\t{e.path}\n" for e in entries)
        return self._git("mktree", input=lines.encode()).decode().strip()

    def ls_tree(self, tree: str, *, recursive: bool = False) -> list[TreeEntry]:
        args = ["ls-tree", "-l", "-z"] + (["-r", "-t"] if recursive else []) + [tree]
        out = self._git(*args).decode()
        entries = []
        for record in filter(None, out.split("\0")):
            meta, path = record.split("\t", 1)
            mode, kind, sha, size = meta.split()
            entries.append(TreeEntry(mode, kind, sha, path, None if size == "-" else int(size)))
        return entries

    def tree_of(self, commit: str) -> str:
        return self._git("rev-parse", f"{commit}^{{tree}}").decode().strip()

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
        return self._git(*args, input=message.encode(), env=env).decode().strip()

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

    def diff(self, base: str, head: str) -> list[tuple[str, str, int, int, str]]:
        """(status, path, additions, deletions, patch) per changed file, base..head."""
        status_out = self._git("diff", "--name-status", "-z", "--no-renames", base, head).decode()
        parts = [p for p in status_out.split("\0") if p]
        statuses = dict(zip(parts[1::2], parts[0::2], strict=True))
        numstat = self._git("diff", "--numstat", "-z", "--no-renames", base, head).decode()
        result = []
        for record in filter(None, numstat.split("\0")):
            added, deleted, path = record.split("\t", 2)
            patch = self._git("diff", "--no-renames", base, head, "--", path).decode(
                errors="replace"
            )
            hunk_start = patch.find("\n@@")
            patch = patch[hunk_start + 1 :].rstrip("\n") if hunk_start >= 0 else ""
            result.append(
                (
                    {"A": "added", "D": "removed", "M": "modified"}.get(
                        statuses.get(path, "M")[0], "modified"
                    ),
                    path,
                    int(added) if added != "-" else 0,
                    int(deleted) if deleted != "-" else 0,
                    patch,
                )
            )
        return result

    # -- refs --------------------------------------------------------------------

    def resolve(self, ref: str) -> str | None:
        """A full ref name, a short branch/tag name or a SHA → commit SHA, or None."""
        for candidate in (ref, f"refs/heads/{ref}", f"refs/tags/{ref}"):
            try:
                return (
                    self._git("rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}")
                    .decode()
                    .strip()
                )
            except GitError:
                continue
        return None

    def ref_target(self, full_ref: str) -> str | None:
        try:
            return self._git("rev-parse", "--verify", "--quiet", full_ref).decode().strip()
        except GitError:
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
