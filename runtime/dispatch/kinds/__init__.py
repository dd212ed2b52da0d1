"""Every dispatch operation kind: one module each, and this table.

Adding a kind: write its module (model, `run`, and its `KIND`), add it to `KINDS`
and to `OperationModel` below, and test it. The config's discriminated union and its
"valid kinds" message come from here; code that treats kinds differently asks the
kind's declarations (`artifact`, `result`, ...) and matches them exhaustively.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import Kind
from .build_and_publish import KIND as BUILD_AND_PUBLISH
from .build_and_publish import BuildAndPublish
from .format import KIND as FORMAT
from .format import Format
from .pip_compile import KIND as PIP_COMPILE
from .pip_compile import PipCompile

KINDS: tuple[Kind, ...] = (PIP_COMPILE, FORMAT, BUILD_AND_PUBLISH)
OperationModel = PipCompile | Format | BuildAndPublish
Operation = Annotated[OperationModel, Field(discriminator="kind")]
KIND_NAMES: tuple[str, ...] = tuple(kind.name for kind in KINDS)
_BY_NAME = {kind.name: kind for kind in KINDS}


def kind_of(op: OperationModel) -> Kind:
    """The table entry of a configured operation."""
    return _BY_NAME[op.kind]


__all__ = [
    "KINDS",
    "KIND_NAMES",
    "BuildAndPublish",
    "Format",
    "Kind",
    "Operation",
    "OperationModel",
    "PipCompile",
    "kind_of",
]
