"""`only-dangerous-triggers-suppressed`: zizmor silenced only there, inline, with reason.

zizmor must report nothing. The one finding we accept is `dangerous-triggers` on a
workflow triggered by pull_request_target, silenced inline on that trigger's line
with the reason, which other invariants back (no PR checkout, no expansion of PR
data, base-branch config and runtime, CODEOWNERS on .github/).

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
TITLE = "zizmor: only dangerous-triggers suppressed, inline on pull_request_target, with reason"

_ANY_RE = re.compile(r"zizmor\s*:", re.IGNORECASE)
_ALLOWED_RE = re.compile(
    r"^\s+pull_request_target:\s+# zizmor: ignore\[dangerous-triggers\] (?P<reason>\S.{19,})$"
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
        target = file.kind == "workflow" and "pull_request_target" in triggers(file)
        suppressed = False
        for number, line in enumerate(file.lines, start=1):
            if not _ANY_RE.search(line):
                continue
            if target and _ALLOWED_RE.match(line):
                suppressed = True
                continue
            if file.kind == "workflow" and _CHECKED_OUT_RE.match(line):
                continue
            found.append(
                Violation(
                    file.path,
                    f"line {number}: only `pull_request_target:  # zizmor: "
                    "ignore[dangerous-triggers] <reason>` may silence zizmor",
                    ID,
                )
            )
        if target and not suppressed:
            found.append(
                Violation(
                    file.path,
                    "pull_request_target needs its inline dangerous-triggers reason",
                    ID,
                )
            )
    return found
