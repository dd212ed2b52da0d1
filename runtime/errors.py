"""Exit codes shared by every runtime command, and the errors that carry bad input.

Standard library only: `python -m repowarden.runtime` reports these without
importing pydantic or the HTTP stack (tests/runtime/test_main.py checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    FAILED = 1  # the command ran and the answer is no (check not approved, artifact rejected)
    BAD_INPUT = 2  # config, event, payload or arguments are invalid; nothing was done
    GITHUB = 3  # GitHub could not be reached or refused a call; failed closed


class BadInput(Exception):
    """Input the command refuses before doing anything; exits with Exit.BAD_INPUT."""


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class ConfigError(Exception):
    """The config could not be read or is invalid; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))
