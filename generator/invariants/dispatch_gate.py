"""`dispatch-sender-gate`: every repository_dispatch job is gated on the sender's numeric id.

`types:` filters the event type, and each job's `if:` is a conjunction one of whose
terms is `github.event.sender.id == <digits>` (or a parenthesised `||` of such
comparisons), or the whole condition is such an `||`: no other top-level `||` that
could bypass it, no login comparison (a login
can be renamed; zizmor's bot-conditions audit flags `github.actor`). Job names carry
the dispatch id (`unprivileged-<id>`, `privileged-<id>`) so check_run events match a
dispatch, but only as the output of the `verify` job, which checked it: no job name or
concurrency group expands a payload field itself (an id ending in a newline would
otherwise reach them unchecked). The runtime re-verifies the event and payload itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .base import ParsedFile, Violation, jobs, triggers, workflows

ID = "dispatch-sender-gate"
TITLE = "dispatch: types: filtered; every job if: gated on github.event.sender.id"

_SENDER = r"github\.event\.sender\.id == [1-9][0-9]*"
_SENDER_RE = re.compile(rf"^(?:{_SENDER}|\({_SENDER}(?: \|\| {_SENDER})*\))$")
_ONLY_SENDERS_RE = re.compile(rf"^{_SENDER}(?: \|\| {_SENDER})*$")
VERIFY_JOB, VERIFY_NAME = "verify", "verify-dispatch"
_ID = "${{ needs.verify.outputs.dispatch-id }}"
_NAME_RE = re.compile(
    r"^(unprivileged|privileged)-\$\{\{ needs\.verify\.outputs\.dispatch-id \}\}\Z"
)
_PAYLOAD = "github.event.client_payload"


def _top_level(expression: str, operator: str) -> list[str]:
    """Split on `operator` where it is outside parentheses and quotes."""
    parts, depth, quote, start, i = [], 0, False, 0, 0
    while i < len(expression):
        char = expression[i]
        if char == "'":
            quote = not quote
        elif not quote and char == "(":
            depth += 1
        elif not quote and char == ")":
            depth -= 1
        elif not quote and depth == 0 and expression.startswith(operator, i):
            parts.append(expression[start:i].strip())
            start = i + len(operator)
            i = start
            continue
        i += 1
    parts.append(expression[start:].strip())
    return parts


def gated(condition: str) -> bool:
    expression = condition.strip()
    if expression.startswith("${{") and expression.endswith("}}"):
        expression = expression[3:-2].strip()
    if _ONLY_SENDERS_RE.match(expression):
        return True
    if len(_top_level(expression, "||")) != 1:
        return False
    return any(_SENDER_RE.match(term) for term in _top_level(expression, "&&"))


def check(files: Mapping[str, ParsedFile]) -> list[Violation]:
    found: list[Violation] = []

    def bad(path: str, message: str) -> None:
        found.append(Violation(path, message, ID))

    for wf in workflows(files):
        on = triggers(wf)
        if "repository_dispatch" not in on:
            continue
        spec = on["repository_dispatch"]
        types = spec.get("types") if isinstance(spec, dict) else None
        if not (isinstance(types, list) and types and all(isinstance(t, str) for t in types)):
            bad(wf.path, "repository_dispatch needs a non-empty `types:` filter")
        if set(on) != {"repository_dispatch"}:
            bad(wf.path, "the dispatch workflow must have no trigger but repository_dispatch")
        for job_id, job in jobs(wf):
            condition = job.get("if")
            if not isinstance(condition, str) or not gated(condition):
                bad(wf.path, f"job {job_id}: `if:` must require github.event.sender.id == <id>")
            name = str(job.get("name", ""))
            concurrency = job.get("concurrency")
            group = str(concurrency.get("group", "")) if isinstance(concurrency, dict) else ""
            if _PAYLOAD in name or _PAYLOAD in group:
                bad(wf.path, f"job {job_id}: an unverified payload field in its name or group")
            if job_id == VERIFY_JOB:
                if name != VERIFY_NAME or "needs" in job:
                    bad(wf.path, f"job {job_id}: the first job, named {VERIFY_NAME}")
                continue
            needs = job.get("needs")
            needs = [needs] if isinstance(needs, str) else list(needs or [])
            if VERIFY_JOB not in needs:
                bad(wf.path, f"job {job_id}: needs the {VERIFY_JOB} job that checks the id")
            if not _NAME_RE.match(name):
                bad(wf.path, f"job {job_id}: name must be unprivileged-{_ID} or privileged-{_ID}")
    return found
