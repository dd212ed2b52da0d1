"""The constrained values the config is made of, shared by its model and the operation kinds.

Every string that reaches a rendered workflow, a shell word or a GitHub expression
is one of these; the rendering quotes it as well, so each is a second line of defence.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# An operation name travels as one word: the payload's `operation`, a job's `if:`
# literal and the `--operation NAME` argument the generator writes.
OPERATION_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}\Z")
# Characters that could leave a YAML scalar, a shell word or a GitHub expression.
_UNSAFE = re.compile(r"""["'`$\\\x00-\x1f\x7f]|\{\{|\}\}|\{%""")
_PATH = re.compile(r"^[A-Za-z0-9._/*@+-][A-Za-z0-9._/*@+ -]*\Z")


class StrictModel(BaseModel):
    """Unknown keys are errors; a parsed config never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


def _safe(value: str) -> str:
    if _UNSAFE.search(value):
        raise ValueError(
            "must not contain quotes, backticks, '$', backslashes, template braces "
            "('{{', '}}', '{%') or control characters such as newlines"
        )
    return value


def _repo_path(value: str) -> str:
    _safe(value)
    if not _PATH.match(value) or value.startswith("/") or ".." in value.split("/"):
        raise ValueError(
            f"{value!r} is not a repository-relative path: letters, digits, '._/*@+-' "
            "and spaces, not absolute, no '..'"
        )
    return value


def _operation_name(value: str) -> str:
    if not OPERATION_NAME_RE.match(value):
        raise ValueError(
            f"{value!r} is not an operation name: one word of letters, digits and '._-', "
            "at most 40 characters, e.g. 'release' or 'pip-compile'"
        )
    return value


def _schema(pattern: str, **more: Any) -> Any:
    """The loader's rule as the JSON Schema states it, so an editor says what `generate` will."""
    return Field(json_schema_extra={"pattern": pattern, **more})


_SAFE_PATTERN = r"""^(?!.*(\{\{|\}\}|\{%))[^"'`$\\\x00-\x1f\x7f]*$"""
_PATH_PATTERN = r"^(?!/)(?!(.*/)?\.\.(/|$))[A-Za-z0-9._/*@+-][A-Za-z0-9._/*@+ -]*$"

SafeStr = Annotated[
    str, Field(min_length=1, max_length=200), AfterValidator(_safe), _schema(_SAFE_PATTERN)
]
RepoPath = Annotated[
    str, Field(min_length=1, max_length=300), AfterValidator(_repo_path), _schema(_PATH_PATTERN)
]
RequirementsIn = Annotated[RepoPath, _schema(_PATH_PATTERN.removesuffix("$") + r"\.in$")]
OperationName = Annotated[
    str, AfterValidator(_operation_name), _schema(OPERATION_NAME_RE.pattern.replace("\\Z", "$"))
]
