"""build-and-publish: build the default branch's sdist and wheels; publish them from PyPI's
trusted publisher, in the operation's environment.

The build backend runs the checkout's code (untrusted). The artifact is the
distributions, checked to be one release of the configured project; the result is
published by the publish job, never applied to the repository.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from repowarden.runtime.fields import OperationName, SafeStr, StrictModel

from .base import Kind, OperationJob


class BuildAndPublish(StrictModel):
    kind: Literal["build-and-publish"]
    name: OperationName = "release"
    project: Annotated[str, Field(pattern=r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")] = Field(
        description="The PyPI project name the distributions must carry."
    )
    environment: SafeStr = Field(
        "pypi", description="The deployment environment the publish job runs in."
    )
    repository_url: Annotated[str, Field(pattern=r"^https://[A-Za-z0-9./_-]+$")] | None = Field(
        None, description="Upload somewhere other than PyPI, e.g. TestPyPI's legacy URL."
    )
    allow_pth: bool = Field(
        False,
        description="Accept .pth files in the distributions. They run code at every start "
        "of the interpreter they are installed into, so they are refused unless set.",
    )

    @property
    def allowed_paths(self) -> list[str]:
        return []


def run(op: BuildAndPublish, job: OperationJob) -> None:
    job.write_dists(
        lambda outdir: [job.python, "-m", "build", "--sdist", "--wheel", "--outdir", outdir, "."]
    )


KIND = Kind(
    name="build-and-publish",
    model=BuildAndPublish,
    artifact="dists",
    result="publish",
    creates_files=False,
    takes_pr=False,
    run=run,
)
