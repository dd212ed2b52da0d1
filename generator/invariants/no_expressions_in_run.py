"""`no-expressions-in-run`: no `${{ … }}` inside `run:`.

An expression in a script is expanded before the shell parses it, so data in it can
become code. Values reach scripts through `env:`; event data is read by the runtime
from `$GITHUB_EVENT_PATH`.
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import EXPRESSION_RE, ParsedFile, Violation, steps

ID = "no-expressions-in-run"
TITLE = "no ${{ }} inside run:; values reach scripts through env:"


def check(files: Mapping[str, ParsedFile]) -> list[Violation]:
    return [
        Violation(step.file.path, f"{step.where}: `${{{{` inside run:; pass it via env:", ID)
        for step in steps(files)
        if step.run is not None and EXPRESSION_RE.search(step.run)
    ]
