"""What an operation kind declares, and what it may ask of the job that runs it.

A kind's module holds its config model, how it runs (against `OperationJob`, so it
needs nothing from the pipeline's internals), what its artifact is, which paths it may
touch and how its result is applied. The table in `__init__.py` lists every kind; the
config's union, its error messages and every exhaustive match derive from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

# What the unprivileged job hands over: git's own diff, or built distributions.
Artifact = Literal["patch", "dists"]
# How a verified artifact takes effect: a pull request from a new branch, a push onto
# the pull request's own branch (a new branch and PR without one), or trusted publishing.
Result = Literal["pull-request", "push", "publish"]


class OperationJob(Protocol):
    """The unprivileged job as a kind sees it: where to work and how to run programs."""

    worktree: Path  # the checkout the operation changes
    workspace: Path  # the trusted default-branch checkout (config, pinned files)

    @property
    def python(self) -> str:
        """The interpreter (with pip-tools and build) the untrusted programs may run."""
        ...

    def run(self, argv: Sequence[str], what: str) -> None:
        """An untrusted program, in the worktree; OperationFailed if it fails."""

    def install_tools(self, name: str, requirements: Path, what: str) -> Path:
        """A venv `name` of hash-pinned tools from a trusted file, runnable by `run`; its bin/.

        Failures say `what` (the operation) needed them.
        """
        ...

    def add_to_path(self, directory: Path) -> None: ...

    def write_patch(self, allowed: list[str], *, creates_files: bool) -> None:
        """git's diff of the changes to `allowed` files (new ones too if `creates_files`)."""

    def write_dists(self, argv_for_outdir: Callable[[str], Sequence[str]]) -> None:
        """Run the build with an output folder; its regular files become the artifact."""


@dataclass(frozen=True)
class Kind:
    name: str  # the config's `kind:`
    model: type[Any]  # its pydantic model; `kind: Literal[name]` is the discriminator
    artifact: Artifact
    result: Result
    creates_files: bool  # whether its patch may add a file (edits are always allowed)
    takes_pr: bool  # whether a dispatch may name a pull request to work on
    run: Callable[[Any, OperationJob], None]
