"""`least-privilege-permissions`: least privilege, spelled out.

The workflow grants nothing at the top (`permissions: {}`); every job has an explicit
map that is exactly the union of what its runtime commands declare
(`repowarden.runtime.commands`), plus `contents: read` when it checks out and
`id-token: write` when it publishes, and every scope carries a `# why` comment.
A command's options (`Option`: a fixed flag the generator passes only when the
config asks for what it does) grant their scopes only to a step that passes the
flag in its `args`: a job holding an option's scope without the flag is refused
like any other excess.

A job that mints a GitHub App token (actions/create-github-app-token) runs its
commands with that token: its own map is then only what checkout needs, and the App
token's `permission-<scope>` inputs are the union of the commands' App declarations
(`members: read` may be left out where org membership decides nothing), each with
its `# why`; an App token without such inputs would hold all the App's permissions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from repowarden.runtime import commands
from repowarden.runtime.commands import Permission

from .base import ParsedFile, Step, Violation, job_steps, jobs, repowarden_invocations, workflows

ID = "least-privilege-permissions"
TITLE = "top-level permissions: {}; each job the union of its commands' needs, each with # why"

CHECKOUT = Permission(
    "contents", "read", "actions/checkout reads the repository: config and vendored runtime"
)
PUBLISH = Permission(
    "id-token", "write", "trusted publishing: pypi-publish exchanges an OIDC token for PyPI"
)
_LEVELS = {"read": 1, "write": 2}
APP_TOKEN = "actions/create-github-app-token"  # noqa: S105 - an action name
# Left out of an App token where org membership decides nothing (no review.external.org).
OPTIONAL_APP_SCOPES = frozenset({"members"})
_WHY_RE = re.compile(r"\s#\s*\S")


def union(permissions: Iterable[Permission]) -> list[Permission]:
    """One entry per scope at the highest level asked for, reasons joined; sorted by scope."""
    best: dict[str, Permission] = {}
    whys: dict[str, list[str]] = {}
    for permission in permissions:
        current = best.get(permission.scope)
        if current is None or _LEVELS[permission.level] > _LEVELS[current.level]:
            best[permission.scope] = permission
            whys[permission.scope] = []
        same_level = permission.level == best[permission.scope].level
        if same_level and permission.why not in whys[permission.scope]:
            whys[permission.scope].append(permission.why)
    return [
        Permission(scope, best[scope].level, "; ".join(whys[scope]))  # type: ignore[arg-type]
        for scope in sorted(best)
    ]


def option_permissions(name: str, flags: Iterable[str], *, app: bool) -> list[Permission]:
    """What the flags given to command `name` grant (its job's token, or its App token)."""
    command = commands.load(name)
    options = [o for o in map(command.option, flags) if o is not None]
    return [p for o in options for p in (o.app_permissions if app else o.permissions)]


def required(
    command_names: Iterable[str],
    *,
    checkout: bool,
    publish: bool = False,
    app: bool = False,
    flags: Mapping[str, Iterable[str]] | None = None,
) -> list[Permission]:
    """What a job running these commands needs, from the commands' own declarations.

    `app`: the job mints an App token for its commands; its own token then needs only
    what the commands declare it still does beside the App (options grant the App
    token, never the job's). `flags`: command name -> the fixed flags its step passes.
    """
    needed: list[Permission] = [CHECKOUT] if checkout else []
    for name in command_names:
        command = commands.load(name)
        needed.extend(command.permissions_beside_app if app else command.permissions)
        if not app:
            needed.extend(option_permissions(name, (flags or {}).get(name, ()), app=False))
    if publish:
        needed.append(PUBLISH)
    return union(needed)


def check(files: Mapping[str, ParsedFile]) -> list[Violation]:
    found: list[Violation] = []

    def bad(path: str, message: str) -> None:
        found.append(Violation(path, message, ID))

    for wf in workflows(files):
        top = wf.data.get("permissions", None)
        if not (isinstance(top, dict) and len(top) == 0):
            bad(wf.path, "top-level `permissions:` must be `{}` (jobs grant their own)")
        for job_id, job in jobs(wf):
            perms = job.get("permissions")
            if not isinstance(perms, dict):
                bad(wf.path, f"job {job_id}: `permissions:` must be an explicit map")
                continue
            for scope in perms:
                if not _WHY_RE.search(wf.line_of_key(perms, scope)):
                    bad(wf.path, f"job {job_id}: permission {scope} has no `# why` comment")
            steps = job_steps(wf, job_id, job)
            invocations = repowarden_invocations(steps)
            names = [name for name, _ in invocations]
            unknown = [n for n in names if n not in commands.MODULES]
            if unknown:
                bad(wf.path, f"job {job_id}: unknown runtime command(s) {', '.join(unknown)}")
                continue
            app_steps = [s for s in steps if s.action == APP_TOKEN]
            flags = _flags_by_command(invocations)
            for step in app_steps:
                for problem in _app_token_problems(wf, step, names, flags):
                    bad(wf.path, f"job {job_id}: {problem}")
            expected = required(
                names,
                flags=flags,
                app=bool(app_steps),
                checkout=any(s.action == "actions/checkout" for s in steps),
                publish=any(s.action == "pypa/gh-action-pypi-publish" for s in steps),
            )
            want = {p.scope: p.level for p in expected}
            have = {str(k): str(v) for k, v in perms.items()}
            if have != want:
                bad(
                    wf.path,
                    f"job {job_id}: permissions {have} differ from what its steps need {want}",
                )
    return found


def _flags_by_command(invocations: list[tuple[str, tuple[str, ...]]]) -> dict[str, list[str]]:
    flags: dict[str, list[str]] = {}
    for name, given in invocations:
        flags.setdefault(name, []).extend(given)
    return flags


def _app_token_problems(
    wf: ParsedFile, step: Step, names: list[str], flags: Mapping[str, Iterable[str]]
) -> list[str]:
    inputs = step.node.get("with")
    granted = {
        str(key).removeprefix("permission-"): str(value)
        for key, value in (inputs or {}).items()
        if str(key).startswith("permission-")
    }
    if not granted:
        return [
            f"{step.where}: an App token without `permission-<scope>` inputs holds all "
            "of the App's permissions"
        ]
    problems = [
        f"{step.where}: permission-{scope} has no `# why` comment"
        for scope in granted
        if not _WHY_RE.search(wf.line_of_key(inputs, f"permission-{scope}"))
    ]
    declared = union(
        [p for name in names for p in commands.load(name).app_permissions]
        + [p for name in names for p in option_permissions(name, flags.get(name, ()), app=True)]
    )
    want = {p.scope: p.level for p in declared}
    optional = {scope for scope in want if scope in OPTIONAL_APP_SCOPES}
    if not (set(want) - optional <= set(granted) <= set(want)) or any(
        granted[scope] != want[scope] for scope in granted
    ):
        problems.append(
            f"{step.where}: App token permissions {granted} differ from what its commands "
            f"declare {want}"
        )
    return problems
