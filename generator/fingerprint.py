"""Which build of the generator wrote a file: its version plus a source fingerprint.

The version string alone does not change between commits of this project. Headers
therefore name `<version>+<fingerprint of the packaged sources>`: the same config and
the same fingerprint render the same bytes, which lets `generate --check` trust an
unchanged tree from the headers alone (generator/fast_check.py) instead of
re-rendering it. Library versions stay out of it on purpose: the output must be
byte-identical on every machine with the same repowarden, whatever pydantic or Jinja
patch release is installed beside it (the one file a library could change, the JSON
Schema, is then caught by a full `--check` rather than the fast path).
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path

PACKAGES = ("repowarden.generator", "repowarden.runtime", "repowarden.templates")
# What the wheel ships of each package; a stray file in a checkout must not count.
_SOURCES = {".py", ".j2", ".jinja", ".json", ".txt", ".in", ".yml", ".yaml"}


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "none"


def _sources(root: Path) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        found += [Path(dirpath, name) for name in filenames if Path(name).suffix in _SOURCES]
    return sorted(found)


@cache
def fingerprint() -> str:
    digest = hashlib.sha256()
    for package in PACKAGES:
        root = Path(str(files(package)))
        for path in _sources(root):
            digest.update(f"{package}:{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


@cache
def generator_version() -> str:
    """`<version>+<fingerprint>` (a PEP 440 local version), as every header names it."""
    base = _version("repowarden")
    if base == "none":  # running from a checkout that was never installed
        base = "0"
    return f"{base}{'.' if '+' in base else '+'}{fingerprint()}"
