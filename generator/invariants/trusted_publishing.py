"""`trusted-publishing`: publishing by trusted publishing (OIDC) only.

pypi-publish gets no `password`/`user` (no long-lived token), runs in a job with an
`environment:` (protection rules, and the PyPI publisher is bound to it) and
`id-token: write`; no other job can mint an OIDC token.
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import ParsedFile, Violation, job_steps, jobs, workflows

ID = "trusted-publishing"
TITLE = "pypi-publish via OIDC only: environment + id-token: write on that job alone"

PUBLISH_ACTION = "pypa/gh-action-pypi-publish"
WRITE, NONE = "write", "none"


def check(files: Mapping[str, ParsedFile]) -> list[Violation]:
    found: list[Violation] = []

    def bad(path: str, message: str) -> None:
        found.append(Violation(path, message, ID))

    for wf in workflows(files):
        for job_id, job in jobs(wf):
            steps = job_steps(wf, job_id, job)
            publishes = [s for s in steps if s.action == PUBLISH_ACTION]
            perms = job.get("permissions")
            granted = perms.get("id-token") if isinstance(perms, dict) else None
            oidc = None if granted is None else str(granted)
            if not publishes:
                if oidc is not None and oidc != NONE:
                    bad(wf.path, f"job {job_id}: id-token only on the job that publishes")
                continue
            if oidc != WRITE:
                bad(wf.path, f"job {job_id}: trusted publishing needs id-token: write")
            if not job.get("environment"):
                bad(wf.path, f"job {job_id}: publishing runs in an `environment:`")
            for step in publishes:
                for key in ("password", "user"):
                    if key in step.with_:
                        bad(wf.path, f"{step.where}: `{key}:` is a long-lived token; use OIDC")
    return found
