"""`well-formed-workflows` (what we see without the linters): named, typo-free.

actionlint and check-jsonschema prove the rest in tests/generator/test_linters.py;
this catches at render time what they would: a misspelt trigger filter such as
`pull_request_review: type:` (it must be `types:`, or the filter is ignored),
anonymous workflows, jobs, steps and actions (zizmor's anonymous-definition), a
step that is neither `uses:` nor `run:`, a composite `run:` without `shell:`.
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import ParsedFile, Violation, jobs, steps, triggers, workflows

ID = "well-formed-workflows"
TITLE = "named workflows, jobs, steps; known trigger filters; uses: xor run:"

_FILTERS = {
    "pull_request_target": {"types", "branches", "branches-ignore", "paths", "paths-ignore"},
    "pull_request": {"types", "branches", "branches-ignore", "paths", "paths-ignore"},
    "pull_request_review": {"types"},
    "push": {"branches", "branches-ignore", "tags", "tags-ignore", "paths", "paths-ignore"},
    "merge_group": {"types"},
    "workflow_run": {"workflows", "types", "branches", "branches-ignore"},
    "repository_dispatch": {"types"},
    "workflow_dispatch": {"inputs"},
    "schedule": set(),
}


def check(files: Mapping[str, ParsedFile]) -> list[Violation]:
    found: list[Violation] = []

    def bad(path: str, message: str) -> None:
        found.append(Violation(path, message, ID))

    for wf in workflows(files):
        if not wf.data.get("name"):
            bad(wf.path, "the workflow needs a `name:`")
        on = triggers(wf)
        if not on:
            bad(wf.path, "the workflow has no `on:` triggers")
        for event, spec in on.items():
            if event not in _FILTERS:
                bad(wf.path, f"trigger {event} is not one repowarden renders")
            elif event == "schedule":
                if not (
                    isinstance(spec, list)
                    and all(isinstance(s, dict) and set(s) == {"cron"} for s in spec)
                ):
                    bad(wf.path, "schedule must be a list of {cron: ...}")
            elif isinstance(spec, dict):
                for key in spec:
                    if key not in _FILTERS[event]:
                        bad(
                            wf.path,
                            f"{event}: unknown filter {key!r} (valid: {sorted(_FILTERS[event])})",
                        )
            elif spec is not None:
                bad(wf.path, f"{event}: its filters must be a mapping")
        if not dict(jobs(wf)):
            bad(wf.path, "the workflow has no jobs")
        for job_id, job in jobs(wf):
            if not job.get("name"):
                bad(wf.path, f"job {job_id}: needs a `name:`")
            if not job.get("runs-on"):
                bad(wf.path, f"job {job_id}: needs `runs-on:`")
            if not job.get("steps"):
                bad(wf.path, f"job {job_id}: has no steps")
    for file in files.values():
        if file.kind == "action":
            if not file.data.get("name") or not file.data.get("description"):
                bad(file.path, "the action needs a name and a description")
            runs = file.data.get("runs")
            if not isinstance(runs, dict) or runs.get("using") != "composite":
                bad(file.path, "the action must be `runs: using: composite`")
    for step in steps(files):
        if not step.node.get("name"):
            bad(step.file.path, f"{step.where}: needs a `name:`")
        if (step.uses is None) == (step.run is None):
            bad(step.file.path, f"{step.where}: exactly one of uses: and run:")
        if step.file.kind == "action" and step.run is not None and not step.node.get("shell"):
            bad(step.file.path, f"{step.where}: a composite run: step needs `shell:`")
    return found
