"""Loading rendered workflows and composite actions, and matching their triggers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML


class WorkflowError(Exception):
    """A workflow uses something this runner does not support, or is malformed."""


# GitHub's default activity types when `types:` is absent (docs: "Events that
# trigger workflows"): pull_request and pull_request_target run only on these three.
DEFAULT_TYPES: dict[str, frozenset[str] | None] = {
    "pull_request": frozenset({"opened", "synchronize", "reopened"}),
    "pull_request_target": frozenset({"opened", "synchronize", "reopened"}),
}
# Event filters the runner understands; anything else under an event is an error.
_EVENT_KEYS = {
    "pull_request": {"types", "branches", "branches-ignore"},
    "pull_request_target": {"types", "branches", "branches-ignore"},
    "pull_request_review": {"types"},
    "merge_group": {"types", "branches"},
    "repository_dispatch": {"types"},
    "workflow_dispatch": {"inputs"},
    "schedule": set(),
    "push": {"branches", "branches-ignore"},
}
_JOB_KEYS = {
    "name",
    "needs",
    "if",
    "runs-on",
    "permissions",
    "environment",
    "env",
    "defaults",
    "steps",
    "outputs",
    "timeout-minutes",
    "concurrency",
    "continue-on-error",
}
_STEP_KEYS = {
    "id",
    "name",
    "if",
    "uses",
    "with",
    "run",
    "shell",
    "env",
    "working-directory",
    "continue-on-error",
    "timeout-minutes",
}
PIN_RE = re.compile(r"^(?P<action>[A-Za-z0-9-]+/[A-Za-z0-9._-]+)@(?P<sha>[0-9a-f]{40})$")
_PIN_LINE_RE = re.compile(
    r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)(?:\s+#\s*(?P<tag>\S+))?\s*$", re.MULTILINE
)
_TAG_RE = re.compile(r"^v\d+(?:\.\d+){0,2}$")


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    return yaml


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def check_pins(text: str, source: str) -> None:
    """Every remote `uses:` must be `owner/repo@<40-hex sha> # vX.Y.Z` (`pinned-uses`)."""
    for match in _PIN_LINE_RE.finditer(text):
        ref = match.group("ref").strip("'\"")
        if ref.startswith(("./", "$/", "docker://")):
            continue
        if not PIN_RE.match(ref):
            raise WorkflowError(f"{source}: `uses: {ref}` is not pinned to a 40-hex commit sha")
        tag = match.group("tag")
        if tag is None or not _TAG_RE.match(tag):
            raise WorkflowError(f"{source}: `uses: {ref}` lacks its `# vX.Y.Z` tag comment")


@dataclass(frozen=True)
class Step:
    data: dict[str, Any]
    index: int

    @property
    def id(self) -> str | None:
        return self.data.get("id")

    @property
    def label(self) -> str:
        if "name" in self.data:
            return str(self.data["name"])
        if "uses" in self.data:
            return f"Run {self.data['uses']}"
        lines = str(self.data.get("run", "")).strip().splitlines()
        return f"Run {lines[0] if lines else ''}"


def _steps(raw: Any, source: str) -> list[Step]:
    if not isinstance(raw, list) or not raw:
        raise WorkflowError(f"{source}: `steps:` must be a non-empty list")
    steps = []
    for i, data in enumerate(raw):
        unknown = set(data) - _STEP_KEYS
        if unknown:
            raise WorkflowError(f"{source}: step {i} has unsupported keys {sorted(unknown)}")
        if ("run" in data) == ("uses" in data):
            raise WorkflowError(f"{source}: step {i} needs exactly one of `run:` or `uses:`")
        steps.append(Step(data, i))
    return steps


@dataclass(frozen=True)
class Job:
    id: str
    data: dict[str, Any]
    steps: list[Step]

    @property
    def needs(self) -> list[str]:
        needs = self.data.get("needs", [])
        return [needs] if isinstance(needs, str) else list(needs)


@dataclass(frozen=True)
class Workflow:
    path: str  # repository-relative, e.g. .github/workflows/repowarden-check.yml
    data: dict[str, Any]
    on: dict[str, Any]
    jobs: dict[str, Job]
    text: str = field(repr=False)

    @property
    def name(self) -> str:
        return str(self.data.get("name", self.path))

    def matches(self, event_name: str, payload: dict[str, Any]) -> bool:
        return event_name in self.on and trigger_matches(event_name, self.on[event_name], payload)


def _normalise_on(raw: Any, source: str) -> dict[str, Any]:
    if isinstance(raw, str):
        raw = {raw: None}
    elif isinstance(raw, list):
        raw = dict.fromkeys(raw)
    if not isinstance(raw, dict) or not raw:
        raise WorkflowError(f"{source}: `on:` names no events")
    for event, spec in raw.items():
        if event not in _EVENT_KEYS:
            raise WorkflowError(f"{source}: trigger {event!r} is not supported by this runner")
        if event == "schedule":
            if not isinstance(spec, list) or not all("cron" in s for s in spec):
                raise WorkflowError(f"{source}: `schedule:` must be a list of `cron:` entries")
            continue
        unknown = set(spec or {}) - _EVENT_KEYS[event]
        if unknown:
            raise WorkflowError(f"{source}: `{event}:` filter {sorted(unknown)} is not supported")
    return raw


def load_workflow(path: Path, relative: str) -> Workflow:
    text = path.read_text(encoding="utf-8")
    check_pins(text, relative)
    data = _plain(_yaml().load(text))
    if not isinstance(data, dict):
        raise WorkflowError(f"{relative}: not a mapping")
    unknown = set(data) - {
        "name",
        "run-name",
        "on",
        "permissions",
        "env",
        "defaults",
        "jobs",
        "concurrency",
    }
    if unknown:
        raise WorkflowError(f"{relative}: unsupported top-level keys {sorted(unknown)}")
    on = _normalise_on(data.get("on"), relative)
    raw_jobs = data.get("jobs")
    if not isinstance(raw_jobs, dict) or not raw_jobs:
        raise WorkflowError(f"{relative}: no jobs")
    jobs = {}
    for job_id, job in raw_jobs.items():
        unknown = set(job) - _JOB_KEYS
        if unknown:
            raise WorkflowError(
                f"{relative}: job {job_id!r} has unsupported keys {sorted(unknown)}"
            )
        jobs[job_id] = Job(job_id, job, _steps(job.get("steps"), f"{relative} job {job_id}"))
    for job in jobs.values():
        for need in job.needs:
            if need not in jobs:
                raise WorkflowError(f"{relative}: job {job.id!r} needs unknown job {need!r}")
    return Workflow(relative, data, on, jobs, text)


def load_workflows(root: Path) -> list[Workflow]:
    """Every workflow under `root/.github/workflows`, in file-name order."""
    folder = root / ".github" / "workflows"
    files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
    return [load_workflow(p, p.relative_to(root).as_posix()) for p in files]


@dataclass(frozen=True)
class Action:
    """A composite action's metadata (action.yml)."""

    path: Path
    data: dict[str, Any]
    steps: list[Step]

    @property
    def inputs(self) -> dict[str, Any]:
        return dict(self.data.get("inputs") or {})


def load_action(folder: Path, source: str) -> Action:
    for name in ("action.yml", "action.yaml"):
        file = folder / name
        if file.is_file():
            break
    else:
        raise WorkflowError(f"{source}: no action.yml in {folder}")
    text = file.read_text(encoding="utf-8")
    check_pins(text, source)
    data = _plain(_yaml().load(text))
    runs = data.get("runs") or {}
    if runs.get("using") != "composite":
        raise WorkflowError(
            f"{source}: only composite actions run locally, not {runs.get('using')!r}"
        )
    steps = _steps(runs.get("steps"), source)
    for step in steps:
        if "run" in step.data and "shell" not in step.data:
            raise WorkflowError(f"{source}: composite `run:` steps must name their `shell:`")
    return Action(folder, data, steps)


# ---------------------------------------------------------------- triggers


def branch_matches(pattern: str, branch: str) -> bool:
    """GitHub filter patterns: `*` stops at `/`, `**` does not."""
    regex = re.escape(pattern).replace(r"\*\*", "\0").replace(r"\*", "[^/]*").replace("\0", ".*")
    regex = regex.replace(r"\?", ".")
    return re.fullmatch(regex, branch) is not None


def trigger_matches(event_name: str, spec: Any, payload: dict[str, Any]) -> bool:
    spec = spec or {}
    if event_name == "schedule":
        return payload.get("schedule") in {entry["cron"] for entry in spec}
    action = payload.get("action")
    types = spec.get("types") if isinstance(spec, dict) else None
    if isinstance(types, str):
        types = [types]
    allowed = frozenset(types) if types is not None else DEFAULT_TYPES.get(event_name)
    if allowed is not None and action not in allowed:
        return False
    branch = None
    if event_name in ("pull_request", "pull_request_target"):
        branch = payload["pull_request"]["base"]["ref"]
    elif event_name == "merge_group":
        branch = payload["merge_group"]["base_ref"].removeprefix("refs/heads/")
    elif event_name == "push":
        branch = payload["ref"].removeprefix("refs/heads/")
    if branch is not None and isinstance(spec, dict):
        if "branches" in spec and not any(branch_matches(p, branch) for p in spec["branches"]):
            return False
        if any(branch_matches(p, branch) for p in spec.get("branches-ignore", [])):
            return False
    return True
