"""The review rules of the config: groups, conditions on the change, requirements.

`review.rules` is the superset of the author -> reviewers map: named reviewer pools
(`review.groups`), rules that apply when their conditions on the change hold
(changed paths, target branch, labels, size, author), and what each requires. A
config without `groups` and `rules` is the map alone and behaves as it always did.

Only the models and their own validation live here; `ReviewPolicy` (config.py)
checks what needs the whole review section (unknown groups, contradictions), and
runtime/rules.py evaluates them.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, model_validator

ADMINS = "admins"  # the built-in group: review.admins
AUTHOR_KINDS = ("internal", "member", "bot", "external")

_GROUP_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_BRANCH = re.compile(r"^!?[A-Za-z0-9._/*?\[\]-]{1,250}$")
_REPO_PATH_CHARS = re.compile(r"^!?[A-Za-z0-9._/*?@+ \[\]-]+$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


def _group_name(value: str) -> str:
    if not _GROUP_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a group name: lower-case letters, digits, '-' and '_', "
            "at most 40 characters"
        )
    return value


def _path_pattern(value: str) -> str:
    """A gitignore-style pattern that can match a path GitHub reports."""
    body = value[1:] if value.startswith("!") else value
    if not body.strip() or body.startswith("#"):
        raise ValueError(f"{value!r} can never match: it is empty or a gitignore comment")
    if not _REPO_PATH_CHARS.match(value):
        raise ValueError(
            f"{value!r} is not a path pattern: letters, digits, '._/*?@+-', '[...]' and "
            "spaces, with '!' in front for an exclusion"
        )
    if "\\" in body or any(part in (".", "..") for part in body.strip("/").split("/")):
        raise ValueError(
            f"{value!r} can never match: GitHub reports paths relative to the repository "
            "root, with '/' and without '.' or '..' segments"
        )
    import pathspec  # lazy: only a config with path patterns pays for it

    try:
        pathspec.GitIgnoreSpec.from_lines([value])
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{value!r} is not a gitignore-style pattern: {exc}") from None
    return value


def _branch_pattern(value: str) -> str:
    if not _BRANCH.match(value):
        raise ValueError(
            f"{value!r} is not a branch pattern: letters, digits, '._/-' and the "
            "wildcards '*', '?', '[...]', with '!' in front for an exclusion"
        )
    return value


GroupName = Annotated[str, AfterValidator(_group_name)]
PathPattern = Annotated[str, Field(max_length=300), AfterValidator(_path_pattern)]
BranchPattern = Annotated[str, AfterValidator(_branch_pattern)]
Count = Annotated[StrictInt, Field(ge=1, le=15)]


def _patterns_can_match(patterns: list[str], key: str) -> list[str]:
    if patterns and all(p.startswith("!") for p in patterns):
        raise ValueError(
            f"{key} has only exclusions ('!'), so it can never match; list what it "
            "includes first, e.g. ['docs/', '!docs/generated/']"
        )
    return patterns


class SizeCondition(_Model):
    """Teleport's size check: net changed lines (additions minus deletions)."""

    at_least: StrictInt = Field(
        ge=1, description="Holds when additions minus deletions reach this (Teleport xl: 1500)."
    )
    ignore: list[PathPattern] = Field(
        default_factory=list,
        description="Generated or vendored files whose lines do not count (gitignore-style).",
    )


class AuthorCondition(_Model):
    in_: list[GroupName] = Field(
        default_factory=list, alias="in", description="The author is in one of these groups."
    )
    not_in: list[GroupName] = Field(
        default_factory=list, description="The author is in none of these groups."
    )
    is_: list[Literal["internal", "member", "bot", "external"]] = Field(
        default_factory=list,
        alias="is",
        description="internal: has a map entry or is in a group; member: public member of "
        "review.external.org; bot: a bot account; external: none of these.",
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Conditions(_Model):
    """All given conditions must hold for the rule to apply; none given: always."""

    paths: list[PathPattern] = Field(
        default_factory=list,
        description="Some changed file matches (gitignore-style; '!' excludes).",
    )
    only_paths: list[PathPattern] = Field(
        default_factory=list, description="Every changed file matches (and there is one)."
    )
    no_paths: list[PathPattern] = Field(
        default_factory=list, description="No changed file matches."
    )
    includes_files: list[PathPattern] = Field(
        default_factory=list,
        description="Each of these exact paths is among the changed files (release PRs).",
    )
    branches: list[BranchPattern] = Field(
        default_factory=list,
        description="The target branch matches ('*' spans '/'; '!' excludes).",
    )
    head_branches: list[BranchPattern] = Field(
        default_factory=list, description="The pull request's own branch matches."
    )
    labels: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, description="The pull request has one of these labels."
    )
    size: SizeCondition | None = None
    empty: bool | None = Field(None, description="true: the PR changes no file; false: it does.")
    author: AuthorCondition | None = None

    @model_validator(mode="after")
    def _matchable(self) -> Conditions:
        for key in ("paths", "only_paths", "no_paths"):
            _patterns_can_match(getattr(self, key), key)
        bad = [p for p in self.includes_files if p.startswith("!") or any(c in p for c in "*?[")]
        if bad:
            raise ValueError(f"includes_files takes exact paths, not patterns: {', '.join(bad)}")
        for key in ("branches", "head_branches"):
            _patterns_can_match(getattr(self, key), key)
        if self.empty is True and (self.paths or self.only_paths or self.includes_files):
            raise ValueError(
                "empty: true contradicts paths/only_paths/includes_files: an empty "
                "changeset has no file to match"
            )
        return self

    @property
    def needs_files(self) -> bool:
        return bool(
            self.paths
            or self.only_paths
            or self.no_paths
            or self.includes_files
            or self.size
            or self.empty is not None
        )


class Requirement(_Model):
    approvals: Literal["all"] | Count = Field(
        1, description="How many approvals from the pool: N, or 'all' of its members."
    )
    from_: list[GroupName] = Field(
        alias="from",
        min_length=1,
        description="The pool: these groups' members (the author never counts).",
    )
    at_least_one_from: GroupName | None = Field(
        None,
        description="One of the approvals must come from this group (Teleport: an owner).",
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RequestSpec(_Model):
    """Whom `assign` requests for this rule, beyond the preferred reviewers by path."""

    pick: Count | None = Field(
        None,
        description="Request this many, drawn by a seeded random pick (the same PR always "
        "gets the same people); default: as many as the rule needs.",
    )


class Rule(_Model):
    name: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9 ._/()+-]+$")]
    description: Annotated[str, Field(max_length=300)] | None = None
    if_: Conditions = Field(
        default_factory=Conditions, alias="if", description="When the rule applies."
    )
    require: Requirement
    effect: Literal["require", "bypass", "override"] = Field(
        "require",
        description="require: must be met when it applies; bypass: when met, the PR is "
        "approved whatever else (Teleport's admin approval); override: when it applies, "
        "the 'require' rules are set aside and it must be met instead (release PRs).",
    )
    request: RequestSpec = RequestSpec()

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Backports(_Model):
    """A backport gets the original pull request's reviewers (Teleport's convention)."""

    branches: list[BranchPattern] = Field(
        default_factory=list, description="Target branches of backports, e.g. 'branch/v*'."
    )
    titles: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list,
        description="Title patterns of backports (fnmatch), "
        "e.g. '[[]v[0-9]*[]] *' for '[v17] ...'.",
    )

    @model_validator(mode="after")
    def _something(self) -> Backports:
        if not self.branches and not self.titles:
            raise ValueError("name the backports' target branches, titles, or both")
        return self


class AssignmentOptions(_Model):
    preferred: dict[str, list[PathPattern]] = Field(
        default_factory=dict,
        description="Reviewer login -> paths they are requested for ('!' excludes), "
        "Teleport's preferredReviewerFor.",
    )
    preferred_only: list[str] = Field(
        default_factory=list,
        description="Requested only for their preferred paths, never by the random pick.",
    )
    omit: list[str] = Field(
        default_factory=list,
        description="Never requested; their approvals still count (Teleport's omit lists).",
    )
    backports: Backports | None = None
    remove_requests: bool = Field(
        False,
        description="Once the pull request is approved, the job that writes the gate "
        "withdraws the review requests of people who have not reviewed (Teleport's "
        "dismissReviewers). Grants that job pull-requests: write; off, it only reads.",
    )
