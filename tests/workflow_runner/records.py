"""What a workflow run leaves behind, for tests to assert on."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Result = Literal["success", "failure", "skipped", "cancelled"]


class StepFailed(Exception):
    """A step (or a stand-in action) failed; the message goes into the job log."""


class JobCancelled(Exception):
    """Raised by a job hook: the job is cancelled before its steps (a concurrency group)."""


class RunnerError(Exception):
    """The runner was asked to do something it does not support: a test bug, not a job failure."""


@dataclass
class StepResult:
    label: str
    id: str | None
    outcome: Result
    conclusion: Result
    outputs: dict[str, str] = field(default_factory=dict)
    log: str = ""
    uses: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class JobResult:
    id: str
    name: str
    result: Result
    permissions: dict[str, str] = field(default_factory=dict)  # as the workflow declares
    granted: dict[str, str] = field(default_factory=dict)  # what its token holds
    token: str | None = None
    environment: Any = None
    concurrency: Any = None
    outputs: dict[str, str] = field(default_factory=dict)
    steps: list[StepResult] = field(default_factory=list)
    summary: str = ""
    skipped_because: str | None = None

    @property
    def id_token(self) -> bool:
        return self.permissions.get("id-token") == "write"

    @property
    def log(self) -> str:
        return "\n".join(
            f"--- {s.label} [{s.outcome}, {s.seconds:.1f} s]\n{s.log}" for s in self.steps
        )

    def step(self, label_or_id: str) -> StepResult:
        for step in self.steps:
            if label_or_id in (step.id, step.label):
                return step
        raise KeyError(
            f"job {self.id} has no step {label_or_id!r}: {[s.label for s in self.steps]}"
        )

    def uses(self, action: str) -> list[StepResult]:
        """Steps (also inside composite actions) that ran `owner/repo` stand-ins."""
        return [s for s in self.steps if s.uses is not None and s.uses.split("@")[0] == action]


@dataclass
class Upload:
    name: str
    job: str
    files: dict[str, bytes]


@dataclass
class Publish:
    job: str
    environment: Any
    repository_url: str | None
    files: dict[str, bytes]
    permissions: dict[str, str]


@dataclass
class WorkflowRun:
    workflow: str  # path of the workflow file
    name: str
    event_name: str
    run_id: int
    run_attempt: int
    sha: str
    ref: str
    jobs: dict[str, JobResult] = field(default_factory=dict)
    artifacts: dict[str, Upload] = field(default_factory=dict)
    published: list[Publish] = field(default_factory=list)
    root: Path | None = None

    @property
    def conclusion(self) -> Result:
        results = [j.result for j in self.jobs.values()]
        if "failure" in results:
            return "failure"
        if "cancelled" in results:
            return "cancelled"
        if all(r == "skipped" for r in results):
            return "skipped"
        return "success"

    def job(self, job_id: str) -> JobResult:
        try:
            return self.jobs[job_id]
        except KeyError:
            raise KeyError(f"{self.workflow} has no job {job_id!r}: {sorted(self.jobs)}") from None

    def tokens(self) -> dict[str, str]:
        """token -> job id, to attribute the fake GitHub's recorded calls to jobs."""
        return {j.token: j.id for j in self.jobs.values() if j.token}

    def describe(self) -> str:
        """Every job's steps and logs, for assertion messages."""
        parts = [f"== {self.workflow} ({self.event_name}) run {self.run_id}: {self.conclusion}"]
        for job in self.jobs.values():
            why = f" ({job.skipped_because})" if job.skipped_because else ""
            parts.append(f"=== job {job.id} {job.name!r}: {job.result}{why}\n{job.log}")
        return "\n".join(parts)
