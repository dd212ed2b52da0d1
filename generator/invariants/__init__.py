"""Security invariants of DESIGN.md, one module each, checked on every rendered file.

Each module has `INVARIANT` (its number in DESIGN.md), `TITLE`, and
`check(files: Mapping[str, ParsedFile]) -> list[Violation]`. `check_all` runs them
all on parsed files; `repowarden.generator.render.check_invariants` parses text first.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType

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
from .base import ParsedFile, Violation, parse

# In DESIGN.md order.
MODULES: tuple[ModuleType, ...] = (
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


__all__ = ["MODULES", "ParsedFile", "Violation", "check_all", "parse"]
