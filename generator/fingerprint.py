"""Which build of the generator wrote a file: its version plus a source fingerprint.

The version string alone does not change between commits of this project, and the
output also depends on the libraries that render it. Headers therefore name
`<version>+<fingerprint>`: the same config and the same fingerprint always render
the same bytes, which lets `generate --check` trust an unchanged tree from the
headers alone (generator/fast_check.py) instead of re-rendering it.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path

PACKAGES = ("repowarden.generator", "repowarden.runtime", "repowarden.templates")
# Libraries whose version can change what is rendered (the schema, the YAML checks).
LIBRARIES = ("jinja2", "pydantic", "pydantic-core", "ruamel.yaml")
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
    for distribution in LIBRARIES:
        digest.update(f"{distribution}=={_version(distribution)}\0".encode())
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
