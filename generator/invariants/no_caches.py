"""`no-caches`: no caches, and no writes to GITHUB_ENV / GITHUB_PATH.

Untrusted code in a dispatch, schedule or push job can write default-branch cache
entries that privileged jobs would restore; and an environment file written from
data turns that data into the next step's environment or PATH.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .base import ParsedFile, Violation, steps

ID = "no-caches"
TITLE = "no caches anywhere; no GITHUB_ENV / GITHUB_PATH writes"

_CACHE_INPUTS = {"cache", "cache-dependency-path", "enable-cache", "cache-key"}
_ENV_FILES_RE = re.compile(r"GITHUB_(ENV|PATH)\b")


def check(files: Mapping[str, ParsedFile]) -> list[Violation]:
    found: list[Violation] = []
    for step in steps(files):
        path = step.file.path
        action = step.action or ""
        if action.endswith("/cache") or "/cache/" in (step.uses or ""):
            found.append(Violation(path, f"{step.where}: {step.uses} is a cache", ID))
        for key in sorted(set(step.with_) & _CACHE_INPUTS):
            found.append(Violation(path, f"{step.where}: `with: {key}` enables a cache", ID))
        if step.run is not None and _ENV_FILES_RE.search(step.run):
            found.append(Violation(path, f"{step.where}: run: touches GITHUB_ENV/GITHUB_PATH", ID))
    return found
