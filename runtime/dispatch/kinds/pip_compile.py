"""pip-compile: re-resolve `.in` files into hash-pinned `.txt` files beside them.

Runs pip-tools on the checkout (its build backends run too: untrusted). The artifact
is a patch that may touch only the `.txt` files, and may create one that is missing;
the result is a pull request (into the PR's branch when the dispatch names one).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from repowarden.runtime.fields import OperationName, RequirementsIn, StrictModel

from .base import Kind, OperationJob


class PipCompile(StrictModel):
    kind: Literal["pip-compile"]
    name: OperationName = "pip-compile"
    requirements: list[RequirementsIn] = Field(
        min_length=1, description="The .in files; each compiles to the .txt beside it."
    )

    upgrade: bool = Field(
        False,
        description="Pass --upgrade: move every pin to the newest release the .in allows. "
        "Without it, existing pins stay and only what the .in gained is resolved.",
    )

    @field_validator("requirements")
    @classmethod
    def _in_files(cls, value: list[str]) -> list[str]:
        bad = [p for p in value if not p.endswith(".in")]
        if bad:
            raise ValueError(f"requirement inputs must end in '.in': {', '.join(bad)}")
        return value

    @property
    def allowed_paths(self) -> list[str]:
        return [p.removesuffix(".in") + ".txt" for p in self.requirements]


def run(op: PipCompile, job: OperationJob) -> None:
    from repowarden.runtime.dispatch.operations import OperationFailed

    for source in op.requirements:
        target = source.removesuffix(".in") + ".txt"
        if not (job.worktree / source).is_file():
            raise OperationFailed(f"pip-compile: {source} does not exist in the checkout")
        job.run(
            [
                job.python,
                "-m",
                "piptools",
                "compile",
                "--quiet",
                "--generate-hashes",
                "--strip-extras",
                # The runner's own index settings do not belong in the repository's file.
                "--no-emit-index-url",
                "--no-emit-find-links",
                *(["--upgrade"] if op.upgrade else []),
                "--output-file",
                target,
                source,
            ],
            f"pip-compile {source}",
        )
    job.write_patch(op.allowed_paths, creates_files=KIND.creates_files)


KIND = Kind(
    name="pip-compile",
    model=PipCompile,
    artifact="patch",
    result="pull-request",
    creates_files=True,
    takes_pr=True,
    run=run,
)
