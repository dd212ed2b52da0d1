"""What happened in a world: events, runs, jobs and the tokens they held."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Scopes whose write access lets a token change the gate or the code: a status, a check
# run, a review (pull-requests) or contents.
GATE_SCOPES = ("statuses", "checks", "pull-requests", "contents")


@dataclass
class Event:
    name: str
    action: str | None
    at: float  # simulated epoch seconds
    sender: str
    cause: str  # "person" | "app" | "github-token" | "github" (GitHub itself: schedule, ...)
    payload: dict[str, Any] = field(repr=False)
    number: int | None = None  # the pull request it concerns, if any
    started: list[int] = field(default_factory=list)  # run ids
    why_nothing: str | None = None  # when a rule kept it from starting runs


@dataclass
class JobRecord:
    run_id: int
    workflow: str
    job: str
    started: float
    ends: float
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)  # token -> permissions
    executes_pr_code: bool = False
    result: str = "running"
    finished: float | None = None
    concurrency: Any = None

    def writes(self) -> set[str]:
        return {
            scope
            for permissions in self.tokens.values()
            for scope, level in permissions.items()
            if level == "write" and scope in GATE_SCOPES
        }


@dataclass
class RunRecord:
    id: int
    workflow: str  # path of the workflow file
    name: str
    event: Event
    trigger: str  # the event name the run was started as (pull_request_target, ...)
    sha: str
    ref: str
    depth: int  # workflow_run chain depth (0: started by something else)
    started: float
    source_is_pr: bool  # its workflow file and `$/` actions came from PR-controlled code
    jobs: dict[str, JobRecord] = field(default_factory=dict)
    finished: float | None = None
    conclusion: str | None = None

    @property
    def file(self) -> str:
        return self.workflow.rsplit("/", 1)[-1]


@dataclass
class WorldLog:
    events: list[Event] = field(default_factory=list)
    runs: dict[int, RunRecord] = field(default_factory=dict)

    def jobs(self) -> list[JobRecord]:
        return [j for r in self.runs.values() for j in r.jobs.values()]

    def runs_of(self, workflow_file: str, event: str | None = None) -> list[RunRecord]:
        return [
            r
            for r in self.runs.values()
            if r.file == workflow_file and (event is None or r.trigger == event)
        ]

    def pr_code_with_write_tokens(self) -> list[str]:
        """Jobs that executed PR-controlled code while holding a token that can write a
        status, a check run, a review or contents (should be none)."""
        return [
            f"{j.workflow} {j.job} (run {j.run_id}): {sorted(j.writes())}"
            for j in self.jobs()
            if j.executes_pr_code and j.writes()
        ]

    def describe(self) -> str:
        lines = []
        for event in self.events:
            note = f" -> runs {event.started}" if event.started else ""
            note += f" (no run: {event.why_nothing})" if event.why_nothing else ""
            lines.append(
                f"{event.at:.0f} {event.name}.{event.action} by {event.sender} "
                f"({event.cause}){note}"
            )
        for run in self.runs.values():
            jobs = ", ".join(f"{j.job}={j.result}" for j in run.jobs.values())
            lines.append(
                f"run {run.id} {run.file} on {run.trigger} at {run.sha[:7]} "
                f"{run.started:.0f}-{run.finished}: {run.conclusion} [{jobs}]"
            )
        return "\n".join(lines)
