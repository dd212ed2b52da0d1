"""`review-events-unprivileged`: review events carry no privilege; only default-branch
code writes the gate.

On `pull_request`, `pull_request_review` and `merge_group` GitHub runs the workflow
of the pull request's own merge ref (or merge-group commit): PR-controlled. Jobs of
such workflows hold only read permissions, no secret, no environment and no App
token. A job that can write the gate (`statuses: write`, or an App token with
`checks: write`) runs only in workflows whose every trigger runs the default
branch's workflow (pull_request_target, workflow_run, schedule, workflow_dispatch),
and is never cancelled half-way (`cancel-in-progress: false`). An App's private key
is read only by the token step, in a job with an `environment:` (whose deployment
branches `repowarden protect` limits to the default branch).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .base import (
    ParsedFile,
    Violation,
    job_steps,
    jobs,
    permissions_of,
    strings,
    triggers,
    workflows,
)
from .permissions import APP_TOKEN

ID = "review-events-unprivileged"
TITLE = "review events carry no privilege; the gate is written only by default-branch workflows"

PR_CODE = frozenset({"pull_request", "pull_request_review", "merge_group"})
DEFAULT_BRANCH = frozenset({"pull_request_target", "workflow_run", "schedule", "workflow_dispatch"})
_SECRET_RE = re.compile(r"\bsecrets\.")
_KEY_RE = re.compile(r"^\$\{\{ secrets\.[A-Z_][A-Z0-9_]* \}\}$")


def check(files: Mapping[str, ParsedFile]) -> list[Violation]:
    found: list[Violation] = []

    def bad(path: str, message: str) -> None:
        found.append(Violation(path, message, ID))

    for wf in workflows(files):
        on = set(triggers(wf))
        pr_code = sorted(on & PR_CODE)
        for job_id, job in jobs(wf):
            steps = job_steps(wf, job_id, job)
            app_steps = [s for s in steps if s.action == APP_TOKEN]
            perms = permissions_of(job) or {}
            if pr_code:
                where = f"job {job_id} (on {', '.join(pr_code)}, PR-controlled)"
                writes = sorted(scope for scope, level in perms.items() if level != "read")
                if writes:
                    bad(wf.path, f"{where}: holds write permissions {writes}")
                if job.get("environment") is not None:
                    bad(wf.path, f"{where}: must not enter an environment")
                if app_steps:
                    bad(wf.path, f"{where}: must not mint an App token")
                if any(_SECRET_RE.search(text) for text in strings(job)):
                    bad(wf.path, f"{where}: must not read a secret")
            app_writes = any(
                str((s.with_ or {}).get("permission-checks")) == "write" for s in app_steps
            )
            if perms.get("statuses") == "write" or perms.get("checks") == "write" or app_writes:
                others = sorted(on - DEFAULT_BRANCH)
                if others:
                    bad(
                        wf.path,
                        f"job {job_id} can write the gate but its workflow also runs on "
                        f"{', '.join(others)}",
                    )
                concurrency = job.get("concurrency")
                if not (
                    isinstance(concurrency, dict) and concurrency.get("cancel-in-progress") is False
                ):
                    bad(wf.path, f"job {job_id}: a gate writer needs cancel-in-progress: false")
            for step in app_steps:
                if job.get("environment") is None:
                    bad(wf.path, f"{step.where}: an App token only in a job with an environment")
                if not _KEY_RE.match(str(step.with_.get("private-key") or "")):
                    bad(wf.path, f"{step.where}: private-key must be one `secrets.NAME`")
            if app_steps:
                for step in steps:
                    reads_secret = any(_SECRET_RE.search(t) for t in strings(step.node))
                    if step.action != APP_TOKEN and reads_secret:
                        bad(wf.path, f"{step.where}: only the token step reads a secret")
    return found
