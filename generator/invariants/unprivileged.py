"""`token-isolation`: tokens only through `env:`/token inputs; the unprivileged job holds none.

A token on a command line shows up in process listings and logs; the job that runs
untrusted code (`unprivileged`, named `unprivileged-<id>`) gets no secret, no token
for the runtime, no `id-token`, no environment, and at most `contents: read`; and it
never runs on a `self-hosted` runner, where what it leaves behind survives the job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .base import LOCAL_ACTIONS, ParsedFile, Violation, job_steps, jobs, steps, strings, workflows

ID = "token-isolation"
TITLE = "tokens via env:, never on a command line; nothing secret in the unprivileged job"

_SECRET_RE = re.compile(r"\b(secrets\.|github\.token\b|inputs\.token\b)")
_TOKEN_IN_RUN_RE = re.compile(r"\$\{?[A-Z_]*TOKEN\b")
_TOKEN_INPUTS = {"token", "github-token"}
# Inputs made to take a secret: the App's private key, from which the action mints a
# short-lived, scoped installation token.
_KEY_INPUTS = {"actions/create-github-app-token": {"private-key"}}


def is_unprivileged(job_id: str, job: Mapping[str, object]) -> bool:
    return job_id == "unprivileged" or str(job.get("name", "")).startswith("unprivileged")


def check(files: Mapping[str, ParsedFile]) -> list[Violation]:
    found: list[Violation] = []

    def bad(path: str, message: str) -> None:
        found.append(Violation(path, message, ID))

    for step in steps(files):
        if step.run is not None and _TOKEN_IN_RUN_RE.search(step.run):
            bad(step.file.path, f"{step.where}: a token on a command line; the program reads env")
        inputs = _TOKEN_INPUTS | _KEY_INPUTS.get(step.action or "", set())
        for key, value in step.with_.items():
            if key not in inputs and _SECRET_RE.search(str(value)):
                bad(step.file.path, f"{step.where}: a token in `with: {key}`")

    for wf in workflows(files):
        for job_id, job in jobs(wf):
            if not is_unprivileged(job_id, job):
                continue
            perms = job.get("permissions")
            granted = {str(k): str(v) for k, v in perms.items()} if isinstance(perms, dict) else {}
            if not isinstance(perms, dict) or not set(granted.items()) <= {("contents", "read")}:
                bad(wf.path, f"job {job_id}: unprivileged permissions must be ⊆ contents: read")
            labels = job.get("runs-on")
            labels = [labels] if isinstance(labels, str) else list(labels or [])
            # GitHub matches labels case-insensitively: `Self-Hosted` is self-hosted too.
            if "self-hosted" in {str(label).casefold() for label in labels}:
                bad(
                    wf.path,
                    f"job {job_id}: untrusted code on a self-hosted runner can outlive the job "
                    "and reach the privileged ones; use a GitHub-hosted runner",
                )
            if "environment" in job:
                bad(wf.path, f"job {job_id}: an environment gives the unprivileged job secrets")
            if any(_SECRET_RE.search(text) for text in strings(job)):
                bad(wf.path, f"job {job_id}: a secret or token reaches the unprivileged job")
            for step in job_steps(wf, job_id, job):
                if step.uses in LOCAL_ACTIONS and "token" in step.with_:
                    bad(wf.path, f"{step.where}: the unprivileged runtime gets no token")
    return found
