"""`safe-checkout`: checkouts keep no credentials, never PR code under pull_request_target.

`persist-credentials: false` everywhere (the token would otherwise sit in .git/config
for any later step to read); under pull_request_target no `ref:`/`repository:`, so
the base branch's config and runtime run, never the pull request's.

A composite action called from the checkout (`uses: ./…`, config `local_action:
checkout`) must come after a checkout of the job's own commit at the workspace root
(no `ref:`, `repository:` or `path:`), so it is the same action `$/…` would run.
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import CHECKED_OUT_ACTION, ParsedFile, Violation, job_steps, jobs, steps, triggers

ID = "safe-checkout"
TITLE = "actions/checkout: persist-credentials false; base only under pull_request_target"


def check(files: Mapping[str, ParsedFile]) -> list[Violation]:
    found: list[Violation] = []
    for step in steps(files):
        if step.action != "actions/checkout":
            continue
        path = step.file.path
        inputs = step.with_
        if str(inputs.get("persist-credentials", "true")).lower() != "false":
            found.append(Violation(path, f"{step.where}: needs persist-credentials: false", ID))
        if str(inputs.get("allow-unsafe-pr-checkout", "false")).lower() != "false":
            found.append(Violation(path, f"{step.where}: allow-unsafe-pr-checkout", ID))
        if step.file.kind == "workflow" and "pull_request_target" in triggers(step.file):
            for key in ("ref", "repository"):
                if key in inputs:
                    found.append(
                        Violation(
                            path,
                            f"{step.where}: `{key}:` under pull_request_target; "
                            "check out the base branch only",
                            ID,
                        )
                    )
    return found + _checked_out_action(files)


def _own_commit_at_root(inputs: Mapping[str, object]) -> bool | None:
    """For a checkout: whether it puts the job's own commit at the root; None if elsewhere."""
    if str(inputs.get("path", "") or "").strip("./"):
        return None
    return "ref" not in inputs and "repository" not in inputs


def _checked_out_action(files: Mapping[str, ParsedFile]) -> list[Violation]:
    found: list[Violation] = []
    for file in files.values():
        if file.kind != "workflow":
            continue
        for job_id, job in jobs(file):
            own_commit = False
            for step in job_steps(file, job_id, job):
                if step.action == "actions/checkout":
                    at_root = _own_commit_at_root(step.with_)
                    own_commit = own_commit if at_root is None else at_root
                elif step.uses == CHECKED_OUT_ACTION and not own_commit:
                    found.append(
                        Violation(
                            file.path,
                            f"{step.where}: {CHECKED_OUT_ACTION} runs whatever the workspace "
                            "holds; check out the job's own commit at the root first",
                            ID,
                        )
                    )
    return found
