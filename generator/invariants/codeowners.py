"""`codeowners-own-github`: CODEOWNERS gives `.github/` and the config to the admins.

The pull_request_target workflows are safe only while the base branch's workflows,
config and vendored runtime change under admin review; the last matching pattern
wins, so the admins' lines come last and nothing after them may re-own those paths.
"""

from __future__ import annotations

from collections.abc import Mapping

from repowarden.runtime.config import CONFIG_PATH

from .base import CODEOWNERS_PATH, ParsedFile, Violation

ID = "codeowners-own-github"
TITLE = "CODEOWNERS: /.github/ and the config owned by the admins, last"

REQUIRED = ("/.github/", f"/{CONFIG_PATH}")


def rules(text: str) -> list[tuple[str, list[str]]]:
    parsed = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        # Escaped spaces belong to the pattern; owners follow the first bare space.
        pattern, _, owners = line.replace("\\ ", "\0").partition(" ")
        parsed.append((pattern.replace("\0", "\\ "), owners.split()))
    return parsed


def check(files: Mapping[str, ParsedFile]) -> list[Violation]:
    file = files.get(CODEOWNERS_PATH)
    if file is None:
        if any(f.kind == "workflow" for f in files.values()):
            return [Violation(CODEOWNERS_PATH, "missing: .github/ must be code-owned", ID)]
        return []
    parsed = rules(file.text)
    tail = [pattern for pattern, _ in parsed[-len(REQUIRED) :]]
    found = []
    if tail != list(REQUIRED):
        found.append(Violation(file.path, f"the last rules must be {', '.join(REQUIRED)}", ID))
    for pattern, owners in parsed[-len(REQUIRED) :]:
        if not owners or not all(o.startswith("@") for o in owners):
            found.append(Violation(file.path, f"{pattern} needs the admins as owners", ID))
    return found
