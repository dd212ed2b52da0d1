"""The vendored copy of the runtime that generated workflows execute in the target repo.

Sources are read through `importlib.resources` from the installed
`repowarden.runtime`, so a wheel install vendors exactly what it ships (an editable
install reads the checkout). Files are returned in sorted order so the plan is
byte-identical run after run.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from repowarden.runtime.generated import VENDOR_ROOT

# `repowarden` stays a namespace package in the target (no __init__.py), as it is in
# this distribution, so `PYTHONPATH=.github/repowarden` finds `repowarden.runtime`.
RUNTIME_DIR = f"{VENDOR_ROOT}/repowarden/runtime"
# Hash-pinned requirement sets, by the name the composite action's `requirements`
# input selects -> file in runtime/ (vendored beside the runtime). Each job installs
# only its own: the dispatch operations' tools (pip-tools, build) are the
# unprivileged operate step's alone.
REQUIREMENT_SETS = {
    "review": "requirements.txt",
    "operations": "requirements-operations.txt",
}
REQUIREMENTS = f"{VENDOR_ROOT}/{REQUIREMENT_SETS['review']}"
LINT_REQUIREMENTS = f"{VENDOR_ROOT}/lint-requirements.txt"


def _python_sources(node: Traversable, prefix: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for child in node.iterdir():
        if child.name == "__pycache__" or child.name.startswith("."):
            continue
        path = f"{prefix}/{child.name}"
        if child.is_dir():
            found.update(_python_sources(child, path))
        elif child.name.endswith(".py"):
            found[path] = child.read_text(encoding="utf-8")
    return found


def runtime_files() -> dict[str, str]:
    """Target path -> text for every .py of the runtime package and its requirement sets."""
    runtime = files("repowarden.runtime")
    sources = _python_sources(runtime, RUNTIME_DIR)
    for name in REQUIREMENT_SETS.values():
        sources[f"{VENDOR_ROOT}/{name}"] = runtime.joinpath(name).read_text(encoding="utf-8")
    return dict(sorted(sources.items()))


def lint_requirements() -> dict[str, str]:
    """The hash-pinned linters (actionlint, zizmor, shellcheck) the lint workflow installs."""
    text = files("repowarden.generator").joinpath("lint-requirements.txt").read_text("utf-8")
    return {LINT_REQUIREMENTS: text}


@cache
def _vendored() -> tuple[tuple[str, str], ...]:
    # The installed package does not change under a running process; rendering a
    # fleet of configs in one process reads it once.
    return tuple(sorted({**runtime_files(), **lint_requirements()}.items()))


def vendored_files() -> dict[str, str]:
    return dict(_vendored())
