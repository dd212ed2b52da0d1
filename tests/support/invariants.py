"""What the invariant tests (tests/generator/invariants/) share.

The types of their fixtures (`parsed`, `mutate`, defined in that folder's conftest),
the paths of the rendered files they change, and a minimal workflow to build
snippets from. The paths are written out, not imported from the generator: a test
states what the target repository must contain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from repowarden.generator.invariants import ParsedFile, parse

Parse = Callable[[Mapping[str, str]], dict[str, ParsedFile]]
Mutate = Callable[..., dict[str, str]]

ASSIGN = ".github/workflows/repowarden-assign.yml"
CHECK = ".github/workflows/repowarden-check.yml"
DISPATCH = ".github/workflows/repowarden-dispatch.yml"
LINT = ".github/workflows/repowarden-lint.yml"
ACTION = ".github/actions/repowarden/action.yml"
CODEOWNERS = ".github/CODEOWNERS"
SNIPPET = ".github/workflows/snippet.yml"

CHECKOUT_SHA = "3d3c42e5aac5ba805825da76410c181273ba90b1"
CHECKOUT_STEP = (
    "      - name: checkout\n"
    f"        uses: actions/checkout@{CHECKOUT_SHA} # v7.0.1\n"
    "        with:\n"
    "          persist-credentials: false\n"
)


def parse_clean(files: Mapping[str, str]) -> dict[str, ParsedFile]:
    """Parse files that must parse: a snippet that is not YAML is a broken test."""
    parsed, problems = parse(files)
    assert problems == []
    return parsed


def snippet_workflow(jobs: str, on: str = "on:\n  workflow_dispatch:\n") -> str:
    """A named workflow granting nothing at the top, with `jobs` (YAML, indented 2)."""
    return f"name: snippet\n{on}permissions: {{}}\njobs:\n{jobs}"
