"""Exit codes shared by every runtime command, and the error that carries bad input."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    FAILED = 1  # the command ran and the answer is no (check not approved, artifact rejected)
    BAD_INPUT = 2  # config, event, payload or arguments are invalid; nothing was done
    GITHUB = 3  # GitHub could not be reached or refused a call; failed closed


class BadInput(Exception):
    """Input the command refuses before doing anything; exits with Exit.BAD_INPUT."""
