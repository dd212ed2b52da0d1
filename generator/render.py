"""Rendering the target's workflows, CODEOWNERS and composite action from a Config.

Jinja templates from the `repowarden.templates` package, with StrictUndefined (a
missing value is an error, not an empty string) and no autoescape (this is YAML,
not HTML). Every value that comes from the config reaches YAML through one filter,
`q`, which writes a JSON-style double-quoted scalar (valid YAML, cannot break out).
What the config does not decide is computed here, in one place: which jobs exist,
the permissions of each (the union of its runtime commands' declarations), the
sender gate of the dispatch jobs. The rendered text is parsed back with ruamel.yaml
and checked against every invariant before it is returned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, FunctionLoader, StrictUndefined, Undefined
from repowarden.generator.invariants import Violation, check_all, parse
from repowarden.generator.invariants.base import CHECKED_OUT_ACTION, LOCAL_ACTION
from repowarden.generator.invariants.permissions import option_permissions, required, union
from repowarden.generator.pins import pin, tool_version
from repowarden.generator.vendor import REQUIREMENT_SETS
from repowarden.runtime import commands
from repowarden.runtime import generated as layout
from repowarden.runtime.commands import COMPARE_COMMITS, REMOVE_REQUESTS, Permission
from repowarden.runtime.config import Config
from repowarden.runtime.dispatch.kinds import BuildAndPublish, kind_of

ASSIGN = f"{layout.WORKFLOWS_DIR}/{layout.ASSIGN_WORKFLOW}"
CHECK = f"{layout.WORKFLOWS_DIR}/{layout.CHECK_WORKFLOW}"
DISMISS = f"{layout.WORKFLOWS_DIR}/{layout.DISMISS_WORKFLOW}"
DISPATCH = f"{layout.WORKFLOWS_DIR}/{layout.DISPATCH_WORKFLOW}"
REVIEW = f"{layout.WORKFLOWS_DIR}/{layout.REVIEW_WORKFLOW}"
GATE = f"{layout.WORKFLOWS_DIR}/{layout.GATE_WORKFLOW}"
# The permission-less workflow whose completion starts the gate (workflow_run matches
# workflows by this name).
REVIEW_WORKFLOW_NAME = "repowarden: review recorded"
LINT = f"{layout.WORKFLOWS_DIR}/{layout.LINT_WORKFLOW}"
CODEOWNERS = layout.CODEOWNERS_PATH
ACTION = f"{layout.ACTION_DIR}/action.yml"
ACTIONLINT = f"{layout.VENDOR_ROOT}/actionlint.yaml"

# Output path -> template name inside repowarden.templates.
TEMPLATES: dict[str, str] = {
    ASSIGN: "workflows/repowarden-assign.yml.j2",
    CHECK: "workflows/repowarden-check.yml.j2",
    REVIEW: "workflows/repowarden-review.yml.j2",
    GATE: "workflows/repowarden-gate.yml.j2",
    DISMISS: "workflows/repowarden-dismiss.yml.j2",
    DISPATCH: "workflows/repowarden-dispatch.yml.j2",
    LINT: "workflows/repowarden-lint.yml.j2",
    CODEOWNERS: "CODEOWNERS.j2",
    ACTION: "action.yml.j2",
    ACTIONLINT: "actionlint.yaml.j2",
}


# `local_action: checkout`: the templates call the action as `$/…`; for GitHub
# Enterprise Server and runners before 2.336.0 every such line becomes the same action
# from the job's checkout of its own commit (the checkout invariant proves there is
# one), with the reason zizmor's self-repository audit is silenced there.
_SELF_USES = f"uses: {LOCAL_ACTION}\n"
_CHECKED_OUT_USES = (
    f"uses: {CHECKED_OUT_ACTION}  # zizmor: ignore[self-repository] no $/ on GHES or "
    "runners before 2.336.0; the job checked out its own commit\n"
)


class UnsafeRenderError(Exception):
    """The rendered files break a security invariant: a generator bug, never written."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        super().__init__("\n".join(str(v) for v in violations))


# ------------------------------------------------------------------ filters


def q(value: str | int | Sequence[str]) -> str:
    """The one YAML-safe quoting filter: a JSON string (or list of strings) is valid YAML.

    ASCII-only output, every quote, backslash and control character escaped, so a value
    can never end its scalar, open a new key, or start a comment.
    """
    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises UndefinedError naming the missing variable
    if isinstance(value, bool) or not isinstance(value, str | int | list | tuple):
        raise TypeError(f"q: cannot quote {type(value).__name__}")
    if isinstance(value, list | tuple):
        if not all(isinstance(item, str) for item in value):
            raise TypeError("q: only lists of strings")
        return json.dumps(list(value), ensure_ascii=True)
    return json.dumps(value if isinstance(value, int) else str(value), ensure_ascii=True)


def comment(value: str) -> str:
    """Text for a YAML `# comment`: one line, so nothing after it becomes YAML."""
    if any(c in value for c in "\r\n\x85\u2028\u2029") or not value.strip():
        raise ValueError(f"a comment must be one non-empty line: {value!r}")
    return value


def codeowners_pattern(value: str) -> str:
    """A CODEOWNERS pattern: spaces escaped; the config already forbids `#`, quotes, `!`."""
    if "#" in value or any(c in value for c in "\r\n\t"):
        raise ValueError(f"not a CODEOWNERS pattern: {value!r}")
    return value.replace(" ", "\\ ")


def expression(text: str) -> str:
    """`${{ text }}` for GitHub; templates call gh(...) instead of wrapping {% raw %}."""
    return "${{ " + text + " }}"


_CODE_OWNER_RE = re.compile(r"^@[A-Za-z0-9][A-Za-z0-9-]*(?:\[bot\])?(?:/[A-Za-z0-9._-]+)?$")


def codeowner(value: str) -> str:
    """A CODEOWNERS owner, `@login` or `@org/team`; anything else would be skipped silently."""
    if not _CODE_OWNER_RE.match(value):
        raise ValueError(f"not a code owner: {value!r}")
    return value


# ------------------------------------------------------------------ environment


def _load_template(name: str) -> str:
    # Read through importlib.resources so a wheel (or zip) install works like a checkout.
    return files("repowarden.templates").joinpath(name).read_text(encoding="utf-8")


@cache
def environment() -> Environment:
    env = Environment(
        loader=FunctionLoader(_load_template),
        undefined=StrictUndefined,
        autoescape=False,  # noqa: S701 - YAML and CODEOWNERS, not HTML; values go through q
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["q"] = q
    env.filters["comment"] = comment
    env.filters["codeowners_pattern"] = codeowners_pattern
    env.filters["codeowner"] = codeowner
    env.globals["uses"] = lambda action: pin(action).uses
    env.globals["gh"] = expression
    env.globals["requirement_sets"] = REQUIREMENT_SETS
    env.globals["artifacts_dir"] = layout.ARTIFACTS_DIR
    env.globals["uv_version"] = tool_version("uv")
    return env


# ------------------------------------------------------------------ render context


@dataclass(frozen=True)
class Job:
    permissions: list[Permission]
    # The `args` input of the job's runtime step: the options the config turns on.
    args: str = ""


# Which config setting turns each command option on (runtime/commands `Option`): the
# generator passes the flag, and grants its scopes, only then.
OPTIONS_WANTED: dict[str, Callable[[Config], bool]] = {
    COMPARE_COMMITS.flag: lambda config: config.review.external.keep_approvals_on_update_merge,
    REMOVE_REQUESTS.flag: lambda config: config.review.assign.remove_requests,
}


def flags_for(config: Config, command: str) -> list[str]:
    """The option flags `command` gets under `config`."""
    return [o.flag for o in commands.load(command).options if OPTIONS_WANTED[o.flag](config)]


def _job(
    config: Config,
    names: Sequence[str],
    *,
    checkout: bool = True,
    publish: bool = False,
    app: bool = False,
) -> Job:
    flags = {name: flags_for(config, name) for name in names}
    with_flags = [name for name in names if flags[name]]
    # `args` belongs to one step: a job whose options could reach two steps would
    # need per-step args, which no job has.
    assert len(with_flags) <= 1, f"options for more than one command: {with_flags}"
    permissions = required(names, checkout=checkout, publish=publish, app=app, flags=flags)
    return Job(permissions, " ".join(flags[with_flags[0]]) if with_flags else "")


def sender_gate(config: Config) -> str:
    """`github.event.sender.id == N || …`: numeric ids only (logins can be renamed)."""
    assert config.dispatch is not None
    ids = sorted({int(sender.id) for sender in config.dispatch.senders})
    return " || ".join(f"github.event.sender.id == {i}" for i in ids)


def literal(value: str) -> str:
    """A GitHub expression string literal: single quotes, a quote inside doubled."""
    return "'" + value.replace("'", "''") + "'"


def _dispatch_context(config: Config) -> dict[str, Any] | None:
    dispatch = config.dispatch
    if dispatch is None:
        return None
    gate = sender_gate(config)
    # In a conjunction the gate needs parentheses: `a || b && c` is `a || (b && c)`.
    gate_term = f"({gate})" if " || " in gate else gate
    # Which privileged job takes each operation's artifact is the kind's to say.
    builds = [
        op
        for op in dispatch.operations
        if kind_of(op).result == "publish" and isinstance(op, BuildAndPublish)
    ]
    patches = [op for op in dispatch.operations if kind_of(op).result != "publish"]
    operation = "github.event.client_payload.operation"
    context: dict[str, Any] = {
        "event_type": dispatch.event_type,
        "gate": gate,
        "verify": _job(config, ["verify"]),
        "unprivileged": _job(config, ["verify", "operate"]),
        "announce": _job(config, ["announce"]) if patches else None,
        "apply": None,
        # One publish job per build-and-publish operation: each has its own environment.
        "publishes": [
            {
                "id": "publish" if len(builds) == 1 else f"publish-{index}",
                "job": _job(config, ["verify"], publish=True),
                "if": f"{gate_term} && {operation} == {literal(build.name)}",
                "name": build.name,
                "environment": build.environment,
                "repository_url": build.repository_url,
            }
            for index, build in enumerate(builds, start=1)
        ],
    }
    if patches:
        # The operation name is only compared, never interpolated into a script.
        condition = " && ".join(
            [f"!cancelled() && needs.verify.result == 'success' && ({gate})"]
            + [f"{operation} != {literal(build.name)}" for build in builds]
        )
        context["apply"] = {
            "job": _job(config, ["verify", "apply"], app=config.app is not None),
            "if": f"${{{{ {condition} }}}}",
            "app_permissions": app_permissions(config, "apply"),
        }
    return context


def app_permissions(config: Config, command: str) -> list[Permission]:
    """What the App token of a job running `command` must hold: the command's App
    declaration and its options' where the config turns them on, without
    `members: read` unless org membership decides anything."""
    wanted = (
        *commands.load(command).app_permissions,
        *option_permissions(command, flags_for(config, command), app=True),
    )
    if config.review.external.org is None:
        wanted = tuple(p for p in wanted if p.scope != "members")
    return union(wanted)


def _gate_context(config: Config) -> dict[str, Any]:
    """The gate writers' jobs: with an App, the job's own token only checks out."""
    writers = {"check": "check", "gate": "check", "sweep": "sweep"}
    app = config.app is not None
    return {
        "app": config.app,
        "jobs": {job: _job(config, [command], app=app) for job, command in writers.items()},
        "app_permissions": {
            command: app_permissions(config, command) for command in set(writers.values())
        },
    }


def _sorted_owners(owners: Iterable[str]) -> list[str]:
    # Case-insensitive order, ties broken by the exact text: a set's iteration order
    # depends on the hash seed, so a casefold-only key would vary between processes.
    return sorted(set(owners), key=lambda owner: (owner.casefold(), owner))


def context(config: Config) -> dict[str, Any]:
    review = config.review
    return {
        "config": config,
        "assign": _job(config, ["assign"]),
        "gate": _gate_context(config),
        "review_workflow_name": REVIEW_WORKFLOW_NAME,
        "dismiss_approvals": _job(config, ["dismiss-approvals"])
        if review.external.dismiss_on_push
        else None,
        "dismiss_runs": _job(config, ["dismiss-runs"]) if config.dismiss.delete_runs else None,
        "lint": _job(config, ["verify-generated"]),
        "dispatch": _dispatch_context(config),
        "codeowners": [(rule.pattern, _sorted_owners(rule.owners)) for rule in config.codeowners],
        "admins": _sorted_owners(f"@{a}" for a in review.admins),
    }


# ------------------------------------------------------------------ public API


def render_templates(config: Config) -> dict[str, str]:
    """Repo-relative path -> body (without the repowarden header) of each rendered file.

    The dispatch workflow exists only when the config has a `dispatch:` section.
    Raises UnsafeRenderError if the result breaks a security invariant.
    """
    env = environment()
    values = context(config)
    rendered: dict[str, str] = {}
    for path, template in TEMPLATES.items():
        if path == DISPATCH and values["dispatch"] is None:
            continue
        rendered[path] = env.get_template(template).render(values)
        if config.local_action == "checkout" and path.startswith(f"{layout.WORKFLOWS_DIR}/"):
            rendered[path] = rendered[path].replace(_SELF_USES, _CHECKED_OUT_USES)
    violations = check_invariants(rendered)
    if violations:
        raise UnsafeRenderError(violations)
    return dict(sorted(rendered.items()))


def check_invariants(files: Mapping[str, str]) -> list[Violation]:
    """Parse each workflow, action and CODEOWNERS among `files` and run every invariant.

    Other paths (the vendored runtime, requirements) are not governed here and skipped.
    """
    parsed, problems = parse(files)
    return problems + check_all(parsed)
