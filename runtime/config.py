"""The config file `.github/repowarden.yml`: its model, and loading it with locations.

This module is the contract between the generator (which renders workflows from it)
and the runtime (which enforces the policy it describes). It lives in the runtime
because the runtime is vendored alone into target repositories and must read the
same file; the generator imports it from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .dispatch.kinds import (
    KIND_NAMES,
    Operation,
    OperationModel,
)
from .fields import RepoPath, SafeStr
from .fields import StrictModel as _Model
from .generated import CONFIG_PATH

EXTERNAL = "*"

# GitHub logins: alphanumerics and single inner hyphens, at most 39 characters;
# app bots are spelled `name[bot]`.
_LOGIN = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}"
# `\Z`, not `$`: in Python's `re`, `$` also matches before a final newline, so
# "d1\n" would pass and later break a GITHUB_OUTPUT line or a comment marker.
LOGIN_RE = re.compile(rf"^{_LOGIN}(?:\[bot\])?\Z")
OWNER_REPO_RE = re.compile(rf"^{_LOGIN}/[A-Za-z0-9._-]{{1,100}}\Z")
TEAM_RE = re.compile(rf"^@{_LOGIN}/[A-Za-z0-9._-]{{1,100}}\Z")
# One pattern for dispatch ids everywhere: the workflow's job names, the runtime's
# payload check, the dispatcher client and the artifact name all use it.
DISPATCH_ID = r"[A-Za-z0-9_-]{1,64}"
DISPATCH_ID_RE = re.compile(rf"^{DISPATCH_ID}\Z")
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*,/-]+$")


def _login(value: str) -> str:
    if not LOGIN_RE.match(value):
        raise ValueError(
            f"{value!r} is not a GitHub login: letters, digits and single inner "
            "hyphens, at most 39 characters, optionally followed by '[bot]'"
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


def _cron(value: str) -> str:
    fields = value.split()
    if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
        raise ValueError(
            f"{value!r} is not a cron schedule of five fields "
            "(minute hour day-of-month month day-of-week), e.g. '0,30 * * * *'"
        )
    return " ".join(fields)


Login = Annotated[str, AfterValidator(_login)]
Cron = Annotated[str, AfterValidator(_cron)]
OwnerRepo = Annotated[str, AfterValidator(_owner_repo)]
CodeOwner = Annotated[str, AfterValidator(_code_owner)]


# The GitHub-hosted Linux virtual machines (docs.github.com, "GitHub-hosted runners
# reference"): fresh for each job and gone after it. The dispatch workflow runs its
# untrusted code only there; Linux, because the operation runs as a user of its own.
GITHUB_HOSTED_LINUX = frozenset(
    {
        "ubuntu-latest",
        "ubuntu-22.04",
        "ubuntu-24.04",
        "ubuntu-26.04",
        "ubuntu-22.04-arm",
        "ubuntu-24.04-arm",
        "ubuntu-26.04-arm",
    }
)


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


class Dispatch(_Model):
    event_type: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")] = Field(
        "repowarden", description="The repository_dispatch event_type the workflow listens to."
    )
    senders: list[Sender] = Field(min_length=1)
    operations: list[Operation] = Field(min_length=1)
    max_artifact_bytes: StrictInt = Field(50_000_000, ge=1, le=2_000_000_000)
    max_file_bytes: StrictInt = Field(20_000_000, ge=1, le=2_000_000_000)
    custom_runner_is_github_hosted: bool = Field(
        False,
        description="Set only when `runner:` is the custom label of a GitHub-hosted larger "
        "runner. The dispatch workflow runs untrusted code, so any other label is refused: "
        "a self-hosted runner can carry any label, and what untrusted code leaves on it "
        "survives into later jobs.",
    )

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

    def operation(self, name: str) -> OperationModel | None:
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
        runner = str(info.data.get("runner", "")).strip()
        if value is None or runner in GITHUB_HOSTED_LINUX:
            return value
        if runner.casefold() == "self-hosted":
            raise ValueError(
                "the dispatch workflow runs untrusted code, which must not run on a "
                "self-hosted runner; set `runner:` to a GitHub-hosted label such as "
                "'ubuntu-24.04'"
            )
        if not value.custom_runner_is_github_hosted:
            raise ValueError(
                f"`runner: {runner}` is not a GitHub-hosted Linux image "
                f"({', '.join(sorted(GITHUB_HOSTED_LINUX))}), and the dispatch workflow runs "
                "untrusted code; for a GitHub-hosted larger runner's own label set "
                "dispatch.custom_runner_is_github_hosted: true (never for a self-hosted one)"
            )
        return value

    @property
    def owner(self) -> str:
        return self.repository.split("/")[0]

    @property
    def name(self) -> str:
        return self.repository.split("/")[1]


# ---------------------------------------------------------------- loading


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class ConfigError(Exception):
    """The config could not be read or is invalid; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


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
        msg = f"unknown operation kind; valid kinds: {', '.join(KIND_NAMES)}"
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
                and p not in KIND_NAMES
                and p
                not in (
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
