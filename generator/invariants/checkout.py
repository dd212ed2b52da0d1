"""`safe-checkout`: checkouts keep no credentials, never PR code under pull_request_target.

`persist-credentials: false` everywhere (the token would otherwise sit in .git/config
for any later step to read); under pull_request_target no `ref:`/`repository:`, so
the base branch's config and runtime run, never the pull request's.
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import ParsedFile, Violation, steps, triggers

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
    return found
