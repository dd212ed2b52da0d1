"""The config file `.github/repowarden.yml`: its model, and loading it with locations.

This module is the contract between the generator (which renders workflows from it)
and the runtime (which enforces the policy it describes). It lives in the runtime
because the runtime is vendored alone into target repositories and must read the
same file; the generator imports it from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .errors import ConfigError, Problem
from .generated import CONFIG_PATH

EXTERNAL = "*"

# GitHub logins: alphanumerics and single inner hyphens, at most 39 characters;
# app bots are spelled `name[bot]`.
_LOGIN = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}"
LOGIN_RE = re.compile(rf"^{_LOGIN}(?:\[bot\])?$")
OWNER_REPO_RE = re.compile(rf"^{_LOGIN}/[A-Za-z0-9._-]{{1,100}}$")
TEAM_RE = re.compile(rf"^@{_LOGIN}/[A-Za-z0-9._-]{{1,100}}$")
# One pattern for dispatch ids everywhere: the workflow's job names, the runtime's
# payload check, the dispatcher client and the artifact name all use it.
DISPATCH_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# An operation name travels as one word: the payload's `operation`, a job's `if:`
# literal and the `--operation NAME` argument the generator writes.
OPERATION_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}\Z")
# Characters that could leave a YAML scalar, a shell word or a GitHub expression.
_UNSAFE = re.compile(r"""["'`$\\\x00-\x1f\x7f]|\{\{|\}\}|\{%""")
_PATH = re.compile(r"^[A-Za-z0-9._/*@+-][A-Za-z0-9._/*@+ -]*$")
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*,/-]+$")


def _safe(value: str) -> str:
    if _UNSAFE.search(value):
        raise ValueError(
            "must not contain quotes, backticks, '$', backslashes, template braces "
            "('{{', '}}', '{%') or control characters such as newlines"
        )
    return value


def _login(value: str) -> str:
    if not LOGIN_RE.match(value):
        raise ValueError(
            f"{value!r} is not a GitHub login: letters, digits and single inner "
            "hyphens, at most 39 characters, optionally followed by '[bot]'"
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


def _owner_repo(value: str) -> str:
    if not OWNER_REPO_RE.match(value):
        raise ValueError(f"{value!r} is not 'owner/name' of a GitHub repository")
    return value


def _code_owner(value: str) -> str:
    if not (value.startswith("@") and (LOGIN_RE.match(value[1:]) or TEAM_RE.match(value))):
        raise ValueError(f"{value!r} is not a code owner: '@login' or '@org/team'")
    return value


def _secret_name(value: str) -> str:
    if value.startswith("GITHUB_"):
        raise ValueError(f"{value!r}: secret names must not start with 'GITHUB_'")
    return value


def _operation_name(value: str) -> str:
    if not OPERATION_NAME_RE.match(value):
        raise ValueError(
            f"{value!r} is not an operation name: one word of letters, digits and '._-', "
            "at most 40 characters, e.g. 'release' or 'pip-compile'"
        )
    return value


def _cron(value: str) -> str:
    fields = value.split()
    if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
        raise ValueError(
            f"{value!r} is not a cron schedule of five fields "
            "(minute hour day-of-month month day-of-week), e.g. '0,30 * * * *'"
        )
    return " ".join(fields)


SafeStr = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_safe)]
Login = Annotated[str, AfterValidator(_login)]
RepoPath = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_repo_path)]
Cron = Annotated[str, AfterValidator(_cron)]
OperationName = Annotated[str, AfterValidator(_operation_name)]
OwnerRepo = Annotated[str, AfterValidator(_owner_repo)]
CodeOwner = Annotated[str, AfterValidator(_code_owner)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


def casefold_set(logins: Iterable[str]) -> frozenset[str]:
    return frozenset(login.casefold() for login in logins)


class ExternalPolicy(_Model):
    """How pull requests from authors outside the reviewers map are reviewed."""

    approvals: StrictInt = Field(
        2, ge=1, le=15, description="Approvals needed from the '*' reviewers (Teleport: 2)."
    )
    dismiss_on_push: bool = Field(
        True,
        description="A push dismisses their approvals, re-requests and mentions the reviewers.",
    )
    org: Login | None = Field(
        None,
        description="Public members of this organisation count as internal authors; "
        "they still use the '*' reviewers when the map has no entry for them.",
    )


class BotPolicy(_Model):
    """Pull requests opened by bots (dependabot, renovate, the dispatcher app)."""

    logins: list[Login] = Field(
        default_factory=list,
        description="Bot accounts; any login ending in '[bot]' is a bot as well.",
    )
    treatment: Literal["admins", "external"] = Field(
        "admins",
        description="'admins': one approval from an admin suffices; "
        "'external': reviewed like an external contributor.",
    )


class ReviewPolicy(_Model):
    reviewers: dict[str, list[Login]] = Field(
        description="Author login -> required reviewers. The '*' entry is required: "
        "it names the reviewers of everyone not in the map (external contributors)."
    )
    admins: list[Login] = Field(min_length=1, description="Own .github/ and the config.")
    required: Literal["all"] | Annotated[StrictInt, Field(ge=1, le=15)] = Field(
        "all",
        description="For internal authors: 'all' listed reviewers must approve (the RFD), "
        "or any N of them.",
    )
    pick: Annotated[StrictInt, Field(ge=1, le=15)] | None = Field(
        None, description="Request only N of the candidates, chosen by a seeded random draw."
    )
    external: ExternalPolicy = ExternalPolicy()
    bots: BotPolicy = BotPolicy()
    blocking_label: SafeStr = Field("do-not-merge", description="This label fails the check.")
    status_context: SafeStr = Field(
        "repowarden/review", description="The commit status branch protection should require."
    )

    @field_validator("reviewers")
    @classmethod
    def _check_reviewers(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        problems = []
        for author, reviewers in value.items():
            if author != EXTERNAL and not LOGIN_RE.match(author):
                problems.append(f"author {author!r} is not a GitHub login (or '*')")
            if not reviewers:
                problems.append(f"{author!r} has no reviewers; list at least one")
            elif not [r for r in reviewers if r.casefold() != author.casefold()]:
                problems.append(
                    f"{author!r} lists only themselves; authors never review their own PRs"
                )
        if EXTERNAL not in value:
            problems.append(
                "the '*' entry is missing: it names who reviews external contributors, "
                "e.g. '\"*\": [admin1, admin2]'"
            )
        folded = [a.casefold() for a in value]
        if len(set(folded)) != len(folded):
            problems.append("an author is listed twice (logins compare case-insensitively)")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @model_validator(mode="after")
    def _check_counts(self) -> ReviewPolicy:
        external = [r for r in self.reviewers[EXTERNAL]]
        if self.external.approvals > len(casefold_set(external)):
            raise ValueError(
                f"external.approvals is {self.external.approvals} but the '*' entry lists "
                f"only {len(casefold_set(external))} reviewer(s)"
            )
        return self

    def is_bot(self, login: str, user_type: str | None = None) -> bool:
        return (
            user_type == "Bot"
            or login.casefold().endswith("[bot]")
            or login.casefold() in casefold_set(self.bots.logins)
        )

    def entry_for(self, author: str) -> list[str] | None:
        """The map entry of an internal author, or None for everyone else."""
        for key, reviewers in self.reviewers.items():
            if key != EXTERNAL and key.casefold() == author.casefold():
                return reviewers
        return None


class DismissSchedule(_Model):
    schedule: Cron = Field("0,30 * * * *", description="When stale check runs are deleted.")


class Sender(_Model):
    """An account allowed to send repository_dispatch; matched by numeric id."""

    login: Login
    id: StrictInt = Field(ge=1, description="Numeric user id (GET /users/{login} -> id).")
    type: Literal["Bot", "User"] = "Bot"


class PipCompile(_Model):
    kind: Literal["pip-compile"]
    name: OperationName = "pip-compile"
    requirements: list[RepoPath] = Field(
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


class Format(_Model):
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


class BuildAndPublish(_Model):
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

    @property
    def allowed_paths(self) -> list[str]:
        return []


Operation = Annotated[PipCompile | Format | BuildAndPublish, Field(discriminator="kind")]
PATCH_KINDS = ("pip-compile", "format")


class Dispatch(_Model):
    event_type: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")] = Field(
        "repowarden", description="The repository_dispatch event_type the workflow listens to."
    )
    senders: list[Sender] = Field(min_length=1)
    repositories: list[OwnerRepo] = Field(
        default_factory=list,
        description="Values the payload's 'repo' may take; empty means only this repository.",
    )
    operations: list[Operation] = Field(min_length=1)
    max_artifact_bytes: StrictInt = Field(50_000_000, ge=1, le=2_000_000_000)
    max_file_bytes: StrictInt = Field(20_000_000, ge=1, le=2_000_000_000)

    @field_validator("operations")
    @classmethod
    def _unique(cls, value: list[Any]) -> list[Any]:
        names = [op.name for op in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"operation names must be unique; duplicated: {', '.join(dupes)}")
        return value

    @field_validator("senders")
    @classmethod
    def _unique_senders(cls, value: list[Sender]) -> list[Sender]:
        ids = [s.id for s in value]
        if len(set(ids)) != len(ids):
            raise ValueError("a sender id is listed twice")
        return value

    def operation(self, name: str) -> PipCompile | Format | BuildAndPublish | None:
        return next((op for op in self.operations if op.name == name), None)


class App(_Model):
    """A GitHub App that writes the gate and pushes dispatch results.

    Its private key is a secret of one deployment environment whose branch policy
    allows only the default branch, so no branch workflow can mint its token; branch
    protection then names this App (by `id`) as the only accepted source of the gate.
    """

    id: StrictInt = Field(
        ge=1, description="The App's numeric id: branch protection's expected source."
    )
    client_id: Annotated[str, Field(pattern=r"^Iv[A-Za-z0-9.]{1,40}$")] = Field(
        description="The App's client id (Settings -> Developer settings -> the App), "
        "e.g. 'Iv23liAbCdEf0123'; actions/create-github-app-token mints tokens from it."
    )
    slug: Annotated[str, Field(max_length=34, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")] = Field(
        description="The App's slug: its comments and check runs are by '<slug>[bot]'."
    )
    environment: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,100}$")] = Field(
        "repowarden-app",
        description="The environment that holds the private key; its deployment "
        "branches must be the default branch only.",
    )
    private_key_secret: Annotated[
        str, Field(pattern=r"^[A-Z_][A-Z0-9_]{0,99}$"), AfterValidator(_secret_name)
    ] = Field(
        "REPOWARDEN_APP_PRIVATE_KEY",
        description="The name of the environment secret holding the App's private key.",
    )

    @property
    def bot_login(self) -> str:
        return f"{self.slug}[bot]"


class CodeownersRule(_Model):
    pattern: RepoPath | Literal["*"]
    owners: list[CodeOwner] = Field(min_length=1, description="'@login' or '@org/team'.")


class Config(_Model):
    repository: OwnerRepo = Field(description="owner/name of the governed repository.")
    default_branch: SafeStr = "main"
    runner: SafeStr = "ubuntu-24.04"
    python_version: Annotated[str, Field(pattern=r"^3\.[0-9]{1,2}$")] = "3.12"
    review: ReviewPolicy
    dismiss: DismissSchedule = DismissSchedule()
    dispatch: Dispatch | None = None
    codeowners: list[CodeownersRule] = Field(default_factory=list)
    app: App | None = Field(
        None,
        description="A GitHub App for an unforgeable gate (a check run branch protection "
        "expects from this App) and for dispatch results that trigger CI.",
    )

    @field_validator("dispatch")
    @classmethod
    def _untrusted_code_on_ephemeral_runners(
        cls, value: Dispatch | None, info: ValidationInfo
    ) -> Dispatch | None:
        # The unprivileged dispatch job runs untrusted code; on a self-hosted runner
        # whatever it leaves behind survives into later (privileged) jobs.
        if value is not None and info.data.get("runner", "").strip() == "self-hosted":
            raise ValueError(
                "the dispatch workflow runs untrusted code, which must not run on a "
                "self-hosted runner; set `runner:` to a GitHub-hosted label such as "
                "'ubuntu-24.04'"
            )
        return value

    @property
    def owner(self) -> str:
        return self.repository.split("/")[0]

    @property
    def name(self) -> str:
        return self.repository.split("/")[1]


# ---------------------------------------------------------------- loading


def _locate(node: Any, loc: tuple[int | str, ...]) -> tuple[int, int]:
    """1-based line and column of the deepest node on `loc` that ruamel knows."""
    line, col = 0, 0
    for key in loc:
        lc = getattr(node, "lc", None)
        try:
            if lc is not None and isinstance(key, str) and key in node:
                line, col = lc.key(key)
            elif lc is not None and isinstance(key, int) and 0 <= key < len(node):
                line, col = lc.item(key)
            node = node[key]
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line + 1, col + 1


def _message(error: dict[str, Any]) -> str:
    where = ".".join(str(p) for p in error["loc"] if not str(p).startswith(("function-", "list[")))
    msg = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        msg = "unknown key; see `repowarden schema` for the keys that are valid here"
    elif error["type"] == "union_tag_invalid":
        msg = "unknown operation kind; valid kinds: pip-compile, format, build-and-publish"
    return f"{where}: {msg}" if where else msg


def parse_config(text: str, source: str = CONFIG_PATH) -> Config:
    """Validate config text; every problem is reported with file:line:column."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        data = YAML(typ="rt", pure=True).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ConfigError([Problem(source, line, col, f"not valid YAML: {exc.problem}")]) from None
    except YAMLError as exc:
        raise ConfigError([Problem(source, 1, 1, f"not valid YAML: {exc}")]) from None
    if data is None:
        raise ConfigError(
            [
                Problem(
                    source,
                    1,
                    1,
                    "the config is empty; it needs at least 'repository' and 'review.reviewers'",
                )
            ]
        )
    if not isinstance(data, dict):
        raise ConfigError([Problem(source, 1, 1, "the config must be a YAML mapping of keys")])
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            # Drop pydantic's union/validator markers so the location is the user's key path.
            loc = tuple(
                p
                for p in error["loc"]
                if not (isinstance(p, str) and p.startswith(("function-", "list[")))
                and p
                not in (
                    "pip-compile",
                    "format",
                    "build-and-publish",
                    "str",
                    "int",
                    "literal['all']",
                    "constrained-int",
                )
            )
            line, col = _locate(data, loc)
            problems.append(Problem(source, line, col, _message({**error, "loc": loc})))
        problems.sort(key=lambda p: (p.line, p.column))
        raise ConfigError(problems) from None


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [
                Problem(
                    str(path),
                    1,
                    1,
                    "no such file; create it with `repowarden init` or pass --config",
                )
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError([Problem(str(path), 1, 1, f"cannot read the config: {reason}")]) from None
    return parse_config(text, str(path))
