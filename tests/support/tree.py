"""Fingerprints of a directory tree, to prove a command left it byte-for-byte unchanged."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path


def tree_digest(root: Path) -> dict[str, str]:
    """Relative path -> what is there: file content hash and mode, link target, or dir.

    Empty folders and permission bits count, so a run that creates a folder and
    leaves it empty, or changes a mode, is caught too.
    """
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                found[rel] = f"link -> {os.readlink(path)}"
            elif stat.S_ISDIR(info.st_mode):
                found[rel] = f"dir {stat.S_IMODE(info.st_mode):o}"
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found[rel] = f"file {stat.S_IMODE(info.st_mode):o} {digest}"
    return dict(sorted(found.items()))
