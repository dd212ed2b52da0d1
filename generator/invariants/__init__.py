"""The security invariants of docs/design.md, one module each, checked on every rendered file.

Each module is an `Invariant` (base.py): a stable string `ID`, a `TITLE`, and
`check(files: Mapping[str, ParsedFile]) -> list[Violation]`. `check_all` runs them
all on parsed files; `repowarden.generator.render.check_invariants` parses text first.
A new invariant is a module here, an entry in `MODULES`, a row in docs/design.md's
table and a test module in tests/generator/invariants/.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import (
    artifacts,
    checkout,
    codeowners,
    dispatch_gate,
    gate_writers,
    no_caches,
    no_expressions_in_run,
    permissions,
    pinned_uses,
    suppressions,
    timeouts_concurrency,
    trusted_publishing,
    unprivileged,
    workflow_shape,
)
from .base import Invariant, ParsedFile, Violation, parse

# In the order of docs/design.md's table.
MODULES: tuple[Invariant, ...] = (
    permissions,
    pinned_uses,
    no_expressions_in_run,
    checkout,
    no_caches,
    unprivileged,
    dispatch_gate,
    artifacts,
    trusted_publishing,
    timeouts_concurrency,
    suppressions,
    codeowners,
    workflow_shape,
    gate_writers,
)


def check_all(files: Mapping[str, ParsedFile]) -> list[Violation]:
    return [violation for module in MODULES for violation in module.check(files)]


__all__ = ["MODULES", "Invariant", "ParsedFile", "Violation", "check_all", "parse"]
