"""Exit codes shared by the generator and every runtime command, and the errors that carry them.

One hierarchy: every failure a user can cause or meet is a `RepowardenError` whose
`exit_code` says how the process ends, so a front end (the `repowarden` CLI, the
runtime's `python -m repowarden.runtime`) maps an error to its code in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar


class Exit(IntEnum):
    OK = 0
    # The command ran and the answer is no: a check not approved, an artifact rejected,
    # `generate --check` found drift, a dispatch's jobs failed.
    FAILED = 1
    DRIFT = 1
    BAD_INPUT = 2  # config, event, payload, arguments or a path are invalid; nothing was done
    GITHUB = 3  # GitHub could not be reached or refused a call; failed closed
    INVARIANT = 4  # the rendered files break a security invariant; nothing was written
    WRITE_FAILED = 5  # the filesystem refused a write; the tree holds what it held before
    CONFLICT = 6  # a generated path holds a file repowarden did not write; nothing written


class RepowardenError(Exception):
    """A failure with a message for people and the exit code it ends the process with."""

    exit_code: ClassVar[Exit] = Exit.FAILED


class BadInput(RepowardenError):
    """Input the command refuses before doing anything; exits with Exit.BAD_INPUT."""

    exit_code = Exit.BAD_INPUT


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class ConfigError(BadInput):
    """The config could not be read or is invalid; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))
