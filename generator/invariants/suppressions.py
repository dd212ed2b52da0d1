"""`only-dangerous-triggers-suppressed`: zizmor silenced only there, inline, with reason.

zizmor must report nothing. The one finding we accept is `dangerous-triggers` on a
workflow triggered by pull_request_target or workflow_run (both run the default
branch's workflow with a write token), silenced inline on that trigger's line with
the reason, which other invariants back (no PR checkout, no expansion of PR data,
default-branch config and runtime, CODEOWNERS on .github/, the PR re-read through
the API).

With `local_action: checkout` (GitHub Enterprise Server has no `$/`), zizmor's
`self-repository` finding on `uses: ./.github/actions/repowarden` is accepted too,
inline on that line with its reason; the checkout invariant proves the action comes
from the job's own commit, as `$/` would.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .base import CHECKED_OUT_ACTION, ParsedFile, Violation, triggers

ID = "only-dangerous-triggers-suppressed"
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
_CHECKED_OUT_RE = re.compile(
    rf"^\s+uses: {re.escape(CHECKED_OUT_ACTION)}\s+# zizmor: ignore\[self-repository\] "
    r"(?P<reason>\S.{19,})$"
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
            if file.kind == "workflow" and _CHECKED_OUT_RE.match(line):
                continue
            found.append(
                Violation(
                    file.path,
                    f"line {number}: only `pull_request_target:` or `workflow_run:` "
                    "`# zizmor: ignore[dangerous-triggers] <reason>` may silence zizmor",
                    ID,
                )
            )
        for trigger in dangerous:
            if trigger not in suppressed:
                found.append(
                    Violation(
                        file.path,
                        f"{trigger} needs its inline dangerous-triggers reason",
                        ID,
                    )
                )
    return found
