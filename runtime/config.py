"""The config file `.github/repowarden.yml`: its model, and loading it with locations.

This module is the contract between the generator (which renders workflows from it)
and the runtime (which enforces the policy it describes). It lives in the runtime
because the runtime is vendored alone into target repositories and must read the
same file; the generator imports it from here.
"""

from __future__ import annotations

import difflib
import itertools
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from .dispatch.kinds import KIND_NAMES, Operation, OperationModel
from .errors import ConfigError, Problem
from .fields import (
    _PATH_PATTERN,
    SafeStr,
    _repo_path,
    _schema,
)
from .fields import StrictModel as _Model
from .generated import (
    CONFIG_PATH,
    PARSED_CONFIG_NAME,
    PARSED_CONFIG_PATH,
    VENDOR_ROOT,
    read_manifest,
    read_text,
    sha256,
    split_header,
)
from .review_rules import ADMINS, AssignmentOptions, GroupName, Rule

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


# GitHub's schedule syntax (docs.github.com, "Events that trigger workflows" ->
# schedule): POSIX cron, five fields, `*`, `,`, `-` and `/`; months may be JAN-DEC
# and days of the week SUN-SAT (0-6, 0 is Sunday); runs at most every 5 minutes.
# Where the docs are silent (`5/15`, `7` for Sunday, `@daily`) the stricter reading
# refuses it.
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of the month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day of the week", 0, 6, _DAYS),
)
MIN_SCHEDULE_MINUTES = 5


def _cron_number(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> int:
    if text.upper() in names:
        return names.index(text.upper()) + low
    if not text.isdigit():
        spelled = f" or {names[0]}-{names[-1]}" if names else ""
        raise ValueError(f"{name} {text!r} is not a number {low}-{high}{spelled}")
    if not low <= int(text) <= high:
        raise ValueError(f"{name} {text} is out of range {low}-{high}")
    return int(text)


def _cron_values(field: str, name: str, low: int, high: int, names: tuple[str, ...]) -> set[int]:
    values: set[int] = set()
    for part in field.split(","):
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ValueError(f"{name} step {step_text!r} is not a positive number")
            if base != "*" and "-" not in base:
                raise ValueError(
                    f"{name} {part!r}: a step goes with '*' or a range, e.g. '*/{step_text}'"
                )
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start = _cron_number(first, name, low, high, names)
            end = _cron_number(last, name, low, high, names)
            if start > end:
                raise ValueError(f"{name} range {base!r} runs backwards")
        else:
            start = end = _cron_number(base, name, low, high, names)
        values.update(range(start, end + 1, step))
    return values


def _shortest_gap(minutes: set[int], hours: set[int]) -> int:
    ordered = sorted(minutes)
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    if any((h + 1) % 24 in hours for h in hours):  # consecutive hours: the gap wraps
        gaps.append(60 - ordered[-1] + ordered[0])
    return min(gaps, default=60)


def _cron(value: str) -> str:
    fields = value.split()
    if len(fields) != 5:
        raise ValueError(
            f"{value!r} is not a cron schedule of five fields "
            "(minute hour day-of-month month day-of-week), e.g. '0,30 * * * *'"
        )
    found = [_cron_values(field, *spec) for field, spec in zip(fields, _CRON_FIELDS, strict=True)]
    gap = _shortest_gap(found[0], found[1])
    if gap < MIN_SCHEDULE_MINUTES:
        raise ValueError(
            f"{value!r} runs every {gap} minute(s); GitHub runs a schedule at most every "
            f"{MIN_SCHEDULE_MINUTES} minutes, e.g. '*/5 * * * *'"
        )
    return " ".join(fields)


# The generated composite action is bash that runs `.venv/bin/python`: Linux only.
# GitHub-hosted labels: windows-latest, windows-2022, macos-14, macos-latest-xlarge...
_NOT_LINUX = re.compile(r"^(windows|macos)(-|$)", re.IGNORECASE)


def _linux_runner(value: str) -> str:
    if _NOT_LINUX.match(value.strip()):
        raise ValueError(
            f"{value!r} is not a Linux runner: the generated action runs bash and a Linux "
            "virtualenv; use a label such as 'ubuntu-24.04' (or your Linux self-hosted label)"
        )
    return value


_LOGIN_PATTERN = LOGIN_RE.pattern.replace("\\Z", "$")
_CRON_PATTERN = r"^\s*[0-9A-Za-z*,/-]+(\s+[0-9A-Za-z*,/-]+){4}\s*$"

Login = Annotated[str, AfterValidator(_login), _schema(_LOGIN_PATTERN)]
Cron = Annotated[str, AfterValidator(_cron), _schema(_CRON_PATTERN)]
OwnerRepo = Annotated[
    str, AfterValidator(_owner_repo), _schema(OWNER_REPO_RE.pattern.replace("\\Z", "$"))
]
CodeOwner = Annotated[
    str,
    AfterValidator(_code_owner),
    _schema(rf"^@(?:{_LOGIN}(?:\[bot\])?|{_LOGIN}/[A-Za-z0-9._-]{{1,100}})$"),
]
Runner = Annotated[
    SafeStr,
    AfterValidator(_linux_runner),
    Field(
        json_schema_extra={
            "not": {"pattern": "^([Ww][Ii][Nn][Dd][Oo][Ww][Ss]|[Mm][Aa][Cc][Oo][Ss])(-|$)"}
        }
    ),
]


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
    keep_approvals_on_update_merge: bool = Field(
        False,
        description="An approval on an older commit still counts when the diff from that "
        "commit to the head changes no file of the pull request (a merge of the base "
        "branch, e.g. 'Update branch'); checked with the compare API.",
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
        "it names the reviewers of everyone not in the map (external contributors).",
        json_schema_extra={
            "required": [EXTERNAL],
            "propertyNames": {"pattern": rf"^(\*|{_LOGIN})$"},
            "additionalProperties": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "pattern": _LOGIN_PATTERN},
            },
        },
    )
    admins: list[Login] = Field(min_length=1, description="Own .github/ and the config.")
    required: Literal["all"] | Annotated[StrictInt, Field(ge=1, le=15)] = Field(
        "all",
        description="For internal authors: 'all' listed reviewers must approve (the RFD), "
        "or any N of them.",
    )
    pick: Annotated[StrictInt, Field(ge=1, le=15)] | None = Field(
        None,
        description="Request only N of the map's candidates, chosen by a seeded random draw "
        "(with rules, each rule's request.pick instead).",
    )
    external: ExternalPolicy = ExternalPolicy()
    bots: BotPolicy = BotPolicy()
    blocking_label: SafeStr = Field("do-not-merge", description="This label fails the check.")
    status_context: SafeStr = Field(
        "repowarden/review", description="The commit status branch protection should require."
    )
    groups: dict[GroupName, Annotated[list[Login], Field(min_length=1)]] = Field(
        default_factory=dict,
        description="Named reviewer pools for the rules; a login may be in several. "
        "'admins' is built in (review.admins).",
    )
    rules: list[Rule] = Field(
        default_factory=list,
        description="Rules on the change (paths, branches, labels, size, author) and what "
        "each requires; see the README's review rules.",
    )
    assign: AssignmentOptions = AssignmentOptions()

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
        seen: dict[str, str] = {}
        for author in value:
            first = seen.setdefault(author.casefold(), author)
            if first != author:
                problems.append(
                    f"{first!r} and {author!r} are the same author (logins compare "
                    "case-insensitively); merge their reviewers into one entry"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("groups")
    @classmethod
    def _check_groups(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if ADMINS in value:
            raise ValueError(f"'{ADMINS}' is built in (review.admins); give the group another name")
        return value

    @field_validator("rules")
    @classmethod
    def _check_rules(cls, value: list[Rule], info: ValidationInfo) -> list[Rule]:
        if "groups" not in info.data or "admins" not in info.data:
            return value  # the groups or admins are invalid: reported there
        groups = {name: casefold_set(members) for name, members in info.data["groups"].items()}
        groups[ADMINS] = casefold_set(info.data["admins"])
        problems = [
            ((index, *where), f"rule {rule.name!r}: {text}")
            for index, rule in enumerate(value)
            for where, text in rule_problems(rule, groups)
        ]
        seen: set[str] = set()
        for index, rule in enumerate(value):
            if rule.name.casefold() in seen:
                problems.append(
                    ((index, "name"), f"a second rule named {rule.name!r}; names identify rules")
                )
            seen.add(rule.name.casefold())
        if problems:
            # One error per problem, each located at the key it is about.
            raise ValidationError.from_exception_data(
                "rules",
                [
                    InitErrorDetails(
                        type=PydanticCustomError("review_rule", "{text}", {"text": text}),
                        loc=where,
                        input=value,
                    )
                    for where, text in problems
                ],
            )
        return value

    @field_validator("assign")
    @classmethod
    def _check_assign(cls, value: AssignmentOptions) -> AssignmentOptions:
        logins = [*value.preferred, *value.preferred_only, *value.omit]
        bad = [login for login in logins if not LOGIN_RE.match(login)]
        if bad:
            raise ValueError(f"not GitHub logins: {', '.join(bad)}")
        return value

    @model_validator(mode="after")
    def _check_counts(self) -> ReviewPolicy:
        external = len(casefold_set(self.reviewers[EXTERNAL]))
        if self.external.approvals > external:
            raise ValueError(
                f"external.approvals is {self.external.approvals} but the '*' entry lists "
                f"only {external} reviewer(s)"
            )
        return self

    @property
    def has_rules(self) -> bool:
        """Whether the rules model is in use; without it the map alone decides, as always."""
        return bool(self.rules or self.groups)

    def group(self, name: str) -> list[str]:
        return list(self.admins) if name == ADMINS else list(self.groups[name])

    def groups_of(self, login: str) -> list[str]:
        key = login.casefold()
        return [name for name, members in self.groups.items() if key in casefold_set(members)]

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


Where = tuple[int | str, ...]  # a location inside one rule, e.g. ("require", "from")


def rule_problems(rule: Rule, groups: dict[str, frozenset[str]]) -> list[tuple[Where, str]]:
    """What makes `rule` refer to nothing or ask for the impossible, and where."""
    req = rule.require
    author = rule.if_.author
    named: list[tuple[Where, list[str]]] = [(("require", "from"), list(req.from_))]
    if req.at_least_one_from:
        named.append((("require", "at_least_one_from"), [req.at_least_one_from]))
    if author is not None:
        named += [(("if", "author", "in"), author.in_), (("if", "author", "not_in"), author.not_in)]
    problems: list[tuple[Where, str]] = []
    for where, names in named:
        unknown = sorted({name for name in names if name not in groups})
        if unknown:
            problems.append(
                (where, f"unknown group(s) {', '.join(unknown)}; define them under review.groups")
            )
    if problems:
        return problems
    pool = frozenset().union(*(groups[name] for name in req.from_))
    if isinstance(req.approvals, int) and req.approvals > len(pool):
        problems.append(
            (
                ("require", "approvals"),
                f"needs {req.approvals} approvals but its pool ({', '.join(req.from_)}) has "
                f"only {len(pool)} member(s)",
            )
        )
    if req.at_least_one_from is not None:
        if req.approvals == "all":
            problems.append(
                (
                    ("require", "at_least_one_from"),
                    "'approvals: all' and 'at_least_one_from' contradict each other",
                )
            )
        elif not groups[req.at_least_one_from] & pool:
            problems.append(
                (
                    ("require", "at_least_one_from"),
                    f"{req.at_least_one_from!r} shares no member with the pool "
                    f"({', '.join(req.from_)}), so it can never be met",
                )
            )
    both = sorted(set(author.in_) & set(author.not_in)) if author is not None else []
    if both:
        problems.append(
            (("if", "author", "not_in"), f"author.in and author.not_in both name {', '.join(both)}")
        )
    return problems


class DismissSchedule(_Model):
    schedule: Cron = Field(
        "17 * * * *",
        description="When the backstop sweep settles the gate of open pull requests; "
        "keep it off :00 and :30, when GitHub delays and drops scheduled runs most, and "
        "mind its cost: about 2 API calls per open pull request.",
    )
    delete_runs: bool = Field(
        False,
        description="Also delete superseded runs of the check workflow of open pull "
        "requests (their logs are the audit trail: off by default).",
    )


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


def _codeowners_pattern(value: str) -> str:
    # A leading '/' anchors a CODEOWNERS pattern at the repository root (GitHub's
    # "About code owners"); the rest is a repository path like any other.
    _repo_path(value.removeprefix("/") or "*")
    return value


CodeownersPattern = Annotated[
    str,
    Field(min_length=1, max_length=300),
    AfterValidator(_codeowners_pattern),
    _schema(r"^/?" + _PATH_PATTERN.removeprefix("^(?!/)")),
]


class CodeownersRule(_Model):
    pattern: CodeownersPattern = Field(
        description="A CODEOWNERS pattern, e.g. '*', 'docs/' or '/src/**' (anchored at the root)."
    )
    owners: list[CodeOwner] = Field(min_length=1, description="'@login' or '@org/team'.")


class Config(_Model):
    repository: OwnerRepo = Field(description="owner/name of the governed repository.")
    default_branch: SafeStr = "main"
    runner: Runner = Field(
        "ubuntu-24.04",
        description="The runs-on label of every job: a Linux runner (the generated action "
        "is bash), GitHub-hosted such as 'ubuntu-24.04' or a self-hosted Linux label.",
    )
    python_version: Annotated[str, Field(pattern=r"^3\.[0-9]{1,2}$")] = "3.12"
    local_action: Literal["self", "checkout"] = Field(
        "self",
        description="How the workflows call the generated composite action: 'self' as "
        "`uses: $/.github/actions/repowarden` (the workflow's own commit; runner 2.336.0+, "
        "not on GitHub Enterprise Server), 'checkout' as `uses: ./.github/actions/"
        "repowarden` from the commit each job has already checked out (GHES, older runners).",
    )
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


def _models_by_path() -> dict[tuple[str, ...], list[type[BaseModel]]]:
    """Each mapping of the config (by its key path, list indexes left out) -> its models."""
    found: dict[tuple[str, ...], list[type[BaseModel]]] = {}

    def models_in(annotation: Any) -> list[type[BaseModel]]:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return [annotation]
        return [m for arg in get_args(annotation) for m in models_in(arg)]

    def walk(path: tuple[str, ...], model: type[BaseModel]) -> None:
        if model in found.setdefault(path, []):
            return
        found[path].append(model)
        for name, info in model.model_fields.items():
            for inner in models_in(info.annotation):
                walk((*path, name), inner)

    walk((), Config)
    return found


def _did_you_mean(loc: tuple[int | str, ...]) -> str:
    """', did you mean …' for a mistyped key, from the keys valid at that place."""
    *parent, key = loc
    path = tuple(p for p in parent if isinstance(p, str))
    valid = sorted({f for m in _models_by_path().get(path, []) for f in m.model_fields})
    close = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean {close[0]!r}? (valid here: {', '.join(valid)})"
    if valid:
        return f"unknown key; valid here: {', '.join(valid)}"
    return "unknown key; see `repowarden schema` for the keys that are valid here"


def _message(error: dict[str, Any]) -> str:
    """`key.path: why` for one pydantic error whose `loc` parse_config already cleaned."""
    where = ".".join(map(str, error["loc"]))
    msg = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        msg = _did_you_mean(error["loc"])
    elif error["type"] == "union_tag_invalid":
        msg = f"unknown operation kind; valid kinds: {', '.join(KIND_NAMES)}"
    return f"{where}: {msg}" if where else msg


def _where(message: str) -> str:
    return message.partition(": ")[0] + ": "


def _what(message: str) -> str:
    return message.partition(": ")[2]


_UNQUOTED_STAR = re.compile(r"^\s*\*\s*:", re.MULTILINE)


def _yaml_problem(problem: str | None, text: str) -> str:
    problem = problem or "unreadable"
    if "undefined alias" in problem or _UNQUOTED_STAR.search(text):
        # `*: [a]` unquoted: YAML reads `*` as an alias (a reference to an anchor),
        # which ruamel reports as an undefined alias or a missing ':'.
        return (
            f"not valid YAML: {problem}; the '*' entry must be quoted, as YAML reads an "
            'unquoted * as an alias: write "*": [alice, bob]'
        )
    return f"not valid YAML: {problem}"


def yaml_data(text: str, source: str = CONFIG_PATH) -> Any:
    """The config text's YAML data (a mapping); every problem with file:line:column."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        data = YAML(typ="rt", pure=True).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ConfigError([Problem(source, line, col, _yaml_problem(exc.problem, text))]) from None
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
    return data


def parse_config(text: str, source: str = CONFIG_PATH) -> Config:
    """Validate config text; every problem is reported with file:line:column."""
    data = yaml_data(text, source)
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
            message = _message({**error, "loc": loc})
            earlier = next((p for p in problems if p.message.startswith(_where(message))), None)
            if earlier is not None and (earlier.line, earlier.column) == (line, col):
                # A value that fits none of a union's members (`required: any`): one
                # line naming every way it could be right.
                merged = f"{earlier.message} or {_what(message)[0].lower()}{_what(message)[1:]}"
                problems[problems.index(earlier)] = Problem(source, line, col, merged)
                continue
            problems.append(Problem(source, line, col, message))
        problems.sort(key=lambda p: (p.line, p.column))
        raise ConfigError(problems) from None


def read_config_text(path: str | Path) -> str:
    """The config file's exact text (bytes decoded, newlines kept: its hash is recorded)."""
    path = Path(path)
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        message = "no such file; create it with `repowarden init` or pass --config"
    except UnicodeDecodeError as exc:
        message = f"cannot read the config: not UTF-8 text ({exc.reason} at byte {exc.start})"
    except OSError as exc:
        message = f"cannot read the config: {exc.strerror or exc}"
    raise ConfigError([Problem(str(path), 1, 1, message)])


_PARSED_NOTE = (
    "# The config's data as JSON (JSON is YAML), which the vendored runtime reads instead\n"
    "# of parsing the YAML, while generated.txt records the config's current hash.\n"
)


def parsed_config_body(text: str, source: str = CONFIG_PATH) -> str:
    """The body of PARSED_CONFIG_NAME for config `text`: its YAML data as JSON.

    Only the data, not the text's hash: a comment-only edit of the config changes the
    manifest alone (runtime/generated.py), and the manifest is what says whether this
    data is current.
    """
    data = json.dumps(yaml_data(text, source), indent=2, ensure_ascii=False)
    return _PARSED_NOTE + data + "\n"


def _parsed_beside_runtime(text: str) -> Any:
    """The data `generate` recorded for exactly this config text, or None.

    Read from beside the vendored runtime (`.github/repowarden/`): it saves the job
    importing and running ruamel.yaml's pure-Python parser (0.1 s on a runner's first
    run, bench/README.md benchmark 7). Used only when the manifest there records this
    text's hash and lists the file, and the file's content hash verifies; anything
    else (no such file, a hand edit, a config changed without `generate`) falls back
    to parsing the YAML, which stays the source of truth and the one place errors are
    located in.
    """
    # .github/repowarden/repowarden/runtime/config.py when vendored; installed (a wheel,
    # a checkout of repowarden) there is no such folder around it, and nothing is read.
    vendored = Path(__file__).resolve().parent.parent.parent
    if Path(vendored.parent.name, vendored.name).as_posix() != VENDOR_ROOT:
        return None
    manifest = read_manifest(vendored.parent.parent)
    if manifest is None or manifest.config_hash != sha256(text):
        return None
    if PARSED_CONFIG_PATH not in manifest.files:
        return None
    raw = read_text(vendored / PARSED_CONFIG_NAME)
    header, body = split_header(raw) if raw is not None else (None, "")
    if header is None or header.content_hash != sha256(body):
        return None
    try:
        return json.loads(body.removeprefix(_PARSED_NOTE))
    except ValueError:
        return None


def load_config(path: str | Path) -> Config:
    """The config at `path`, validated: what the runtime's commands read."""
    text = read_config_text(path)
    data = _parsed_beside_runtime(text)
    if isinstance(data, dict):
        try:
            return Config.model_validate(data)
        except ValidationError:
            pass  # the YAML's own parse reports the problems with their lines
    return parse_config(text, str(path))
