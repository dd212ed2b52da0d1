"""format: run formatters over the checkout and keep their edits to the allowed files.

The formatters come from a hash-pinned file of the trusted default branch, but they
run on the checkout's code and config (untrusted). The artifact is a patch that may
only edit files that exist; the result is a push onto the pull request's own branch
(or a new branch and pull request when the dispatch names none).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from repowarden.runtime.fields import OperationName, RepoPath, SafeStr, StrictModel

from .base import Kind, OperationJob


class Format(StrictModel):
    kind: Literal["format"]
    name: OperationName = "format"
    commands: list[list[SafeStr]] = Field(
        min_length=1,
        description="Formatter commands as argument lists, run without a shell, "
        "e.g. [[ruff, format, .]].",
    )
    paths: list[RepoPath] = Field(
        min_length=1, description="Glob patterns of the files the formatters may change."
    )
    requirements: RepoPath | None = Field(
        None, description="A hash-pinned requirements file that installs the formatters."
    )

    @field_validator("commands")
    @classmethod
    def _non_empty(cls, value: list[list[str]]) -> list[list[str]]:
        if any(not argv for argv in value):
            raise ValueError("a command is an empty list; give the program and its arguments")
        return value

    @property
    def allowed_paths(self) -> list[str]:
        return list(self.paths)


def run(op: Format, job: OperationJob) -> None:
    from repowarden.runtime.dispatch.operations import OperationFailed

    if op.requirements:
        requirements = job.workspace / op.requirements
        if not requirements.is_file():
            raise OperationFailed(f"format: {op.requirements} not found in {job.workspace}")
        job.add_to_path(job.install_tools("repowarden-format-venv", requirements, "format"))
    for argv in op.commands:
        job.run(argv, f"format: {' '.join(argv)}")
    job.write_patch(op.allowed_paths, creates_files=KIND.creates_files)


KIND = Kind(
    name="format",
    model=Format,
    artifact="patch",
    result="push",
    creates_files=False,
    takes_pr=True,
    run=run,
)
