"""Invariant 11 (what we suppress): only dangerous-triggers, on pull_request_target or
workflow_run.

zizmor must report nothing. The one finding we accept is `dangerous-triggers` on a
workflow triggered by pull_request_target or workflow_run (both run the default
branch's workflow with a write token), silenced inline on that trigger's line with
the reason, which other invariants back (no PR checkout, no expansion of PR data,
default-branch config and runtime, CODEOWNERS on .github/, the PR re-read through
the API).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .base import ParsedFile, Violation, triggers

INVARIANT = 11
TITLE = (
    "zizmor: only dangerous-triggers suppressed, inline on pull_request_target or "
    "workflow_run, with reason"
)
DANGEROUS = ("pull_request_target", "workflow_run")

_ANY_RE = re.compile(r"zizmor\s*:", re.IGNORECASE)
_ALLOWED_RE = re.compile(
    r"^\s+(?P<trigger>pull_request_target|workflow_run):\s+"
    r"# zizmor: ignore\[dangerous-triggers\] (?P<reason>\S.{19,})$"
)


def check(files: Mapping[str, ParsedFile]) -> list[Violation]:
    found: list[Violation] = []
    for file in files.values():
        if file.kind == "codeowners":
            continue
        on = triggers(file) if file.kind == "workflow" else {}
        dangerous = [t for t in DANGEROUS if t in on]
        suppressed: set[str] = set()
        for number, line in enumerate(file.lines, start=1):
            if not _ANY_RE.search(line):
                continue
            allowed = _ALLOWED_RE.match(line)
            if allowed and allowed["trigger"] in dangerous:
                suppressed.add(allowed["trigger"])
                continue
            found.append(
                Violation(
                    file.path,
                    f"line {number}: only `pull_request_target:` or `workflow_run:` "
                    "`# zizmor: ignore[dangerous-triggers] <reason>` may silence zizmor",
                    "suppressions",
                )
            )
        for trigger in dangerous:
            if trigger not in suppressed:
                found.append(
                    Violation(
                        file.path,
                        f"{trigger} needs its inline dangerous-triggers reason",
                        "suppressions",
                    )
                )
    return found
