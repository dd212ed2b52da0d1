"""`artifacts-are-data` (the workflow half): the artifact is data, verified before use.

One artifact per dispatch, named by the payload id, uploaded only by the
unprivileged job; privileged jobs download exactly that name (no patterns, no other
run or repository) into `runner.temp`, never the workspace, and the very next step
is the runtime's `verify`, which checks it against its manifest (the runtime half
of `artifacts-are-data`). zizmor has no audit for artifact poisoning, so this one is ours.
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import LOCAL_ACTIONS, ParsedFile, Violation, job_steps, jobs, workflows
from .unprivileged import is_unprivileged

ID = "artifacts-are-data"
TITLE = "one artifact named by the dispatch id, downloaded into runner.temp, verified first"

ARTIFACT_NAME = "${{ steps.event.outputs.dispatch-id }}"
_TEMP = "${{ runner.temp }}/"
_DOWNLOAD_ALLOWED = {"name", "path", "digest-mismatch"}


def verifies_artifact(inputs: Mapping[str, object]) -> bool:
    """`verify` (not just the event) or `apply`, which verifies before it applies."""
    if inputs.get("command") == "apply":
        return True
    return inputs.get("command") == "verify" and "--event-only" not in str(inputs.get("args", ""))


def check(files: Mapping[str, ParsedFile]) -> list[Violation]:
    found: list[Violation] = []

    def bad(path: str, message: str) -> None:
        found.append(Violation(path, message, ID))

    for wf in workflows(files):
        uploads = 0
        for job_id, job in jobs(wf):
            steps = job_steps(wf, job_id, job)
            unprivileged = is_unprivileged(job_id, job)
            for position, step in enumerate(steps):
                if step.action == "actions/upload-artifact":
                    uploads += 1
                    if not unprivileged:
                        bad(wf.path, f"{step.where}: only the unprivileged job uploads")
                    if str(step.with_.get("name")) != ARTIFACT_NAME:
                        bad(wf.path, f"{step.where}: the artifact is named {ARTIFACT_NAME}")
                    if not str(step.with_.get("path", "")).startswith(_TEMP):
                        bad(wf.path, f"{step.where}: upload from under runner.temp only")
                if step.action != "actions/download-artifact":
                    continue
                inputs = step.with_
                if unprivileged:
                    bad(wf.path, f"{step.where}: the unprivileged job downloads nothing")
                if str(inputs.get("name")) != ARTIFACT_NAME:
                    bad(wf.path, f"{step.where}: download exactly the artifact {ARTIFACT_NAME}")
                extra = sorted(set(inputs) - _DOWNLOAD_ALLOWED)
                if extra:
                    bad(wf.path, f"{step.where}: download inputs {extra} widen what is taken")
                if str(inputs.get("digest-mismatch", "error")) != "error":
                    bad(wf.path, f"{step.where}: a digest mismatch must fail the download")
                if not str(inputs.get("path", "")).startswith(_TEMP):
                    bad(wf.path, f"{step.where}: download into runner.temp, not the workspace")
                following = steps[position + 1] if position + 1 < len(steps) else None
                if not (
                    following is not None
                    and following.uses in LOCAL_ACTIONS
                    and verifies_artifact(following.with_)
                ):
                    bad(wf.path, f"{step.where}: the next step must verify the artifact")
        if uploads > 1:
            bad(wf.path, "more than one artifact upload; the pipeline passes exactly one")
    return found
