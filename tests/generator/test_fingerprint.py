"""The build fingerprint every header names: what it covers, and its form."""

from __future__ import annotations

import os
from pathlib import Path

from repowarden.generator import fingerprint


def test_the_fingerprint_covers_every_file_the_packages_ship() -> None:
    # A template or data file the fingerprint skipped could change the output while
    # headers still claimed the old build; so nothing in the packages may be skipped.
    for package in fingerprint.PACKAGES:
        root = Path(str(fingerprint.files(package)))
        everything = sorted(
            Path(dirpath, name)
            for dirpath, dirnames, names in os.walk(root)
            if "__pycache__" not in Path(dirpath).parts
            for name in names
            if name != "py.typed"
        )
        assert fingerprint._sources(root) == everything, package


def test_headers_name_the_build_as_a_local_version() -> None:
    version = fingerprint.generator_version()
    base, _, local = version.partition("+")
    assert local.endswith(fingerprint.fingerprint())
    assert len(fingerprint.fingerprint()) == 12
    assert base
