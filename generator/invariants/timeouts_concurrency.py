"""`bounded-jobs`: every job is bounded in time and serialised by a concurrency group.

A hung job holds a token (and a runner) for six hours by default; two runs of the
same job for the same pull request or dispatch race on the same GitHub state.
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import ParsedFile, Violation, jobs, workflows

ID = "bounded-jobs"
TITLE = "timeout-minutes and a concurrency group on every job"


def check(files: Mapping[str, ParsedFile]) -> list[Violation]:
    found: list[Violation] = []
    for wf in workflows(files):
        for job_id, job in jobs(wf):
            timeout = job.get("timeout-minutes")
            if not (
                isinstance(timeout, int) and not isinstance(timeout, bool) and 0 < timeout <= 60
            ):
                found.append(
                    Violation(wf.path, f"job {job_id}: timeout-minutes 1..60 required", ID)
                )
            concurrency = job.get("concurrency")
            group = concurrency.get("group") if isinstance(concurrency, dict) else None
            if not isinstance(group, str) or not group.strip():
                found.append(
                    Violation(wf.path, f"job {job_id}: a concurrency group is required", ID)
                )
    return found
