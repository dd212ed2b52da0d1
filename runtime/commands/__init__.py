"""The runtime's commands, one module each, with a uniform interface.

Each module defines `COMMAND = Command(...)`: its name, the GitHub token
permissions it needs (each with the reason), how it parses arguments, and `run`.
The generator renders every job's `permissions:` as the union of what the
commands that job runs declare here, so a declaration is the single source of
truth for least privilege (tests/support/least_privilege.py proves each one).

Loading a command module must stay cheap (the standard library, this package's
errors, context and github modules): every job, and the generator reading the
permissions, loads it. What `run` needs (pydantic models, the dispatch machinery)
is imported inside the functions that use it.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from repowarden.runtime.generated import CONFIG_PATH

Scope = Literal[
    "actions", "checks", "contents", "id-token", "issues", "members", "pull-requests", "statuses"
]
Level = Literal["read", "write"]


@dataclass(frozen=True)
class Permission:
    scope: Scope
    level: Level
    why: str


@dataclass(frozen=True)
class Option:
    """A fixed flag the generator passes only when the config asks for what it does.

    The flag is the rendered workflow's record of the grant: a job whose step passes
    it holds `permissions` (or, with an App, its token holds `app_permissions`) on
    top of the command's own, and a job without it holds neither (the permissions
    invariant reads the flag from the step's `args`). The command does the extra
    work only when the flag is given.
    """

    flag: str
    help: str
    permissions: tuple[Permission, ...]
    app_permissions: tuple[Permission, ...]


_COMPARE_WHY = (
    "compare an approved commit with the head (review.external.keep_approvals_on_update_merge)"
)
# review.external.keep_approvals_on_update_merge: GET /compare/{approved}...{head}.
COMPARE_COMMITS = Option(
    "--compare-commits",
    "the job's token may read contents: ask the compare API whether an approved older "
    "commit differs from the head only by a merge of the base branch",
    permissions=(Permission("contents", "read", _COMPARE_WHY),),
    app_permissions=(Permission("contents", "read", _COMPARE_WHY),),
)
_REMOVE_WHY = "withdraw review requests nobody needs once approved (review.assign.remove_requests)"
# review.assign.remove_requests: DELETE /pulls/{n}/requested_reviewers after the verdict.
REMOVE_REQUESTS = Option(
    "--remove-requests",
    "the job's token may write pull requests: once the pull request is approved, "
    "withdraw the review requests of people who have not reviewed",
    permissions=(Permission("pull-requests", "write", _REMOVE_WHY),),
    app_permissions=(Permission("pull-requests", "write", _REMOVE_WHY),),
)


@dataclass(frozen=True)
class Command:
    name: str
    summary: str
    permissions: tuple[Permission, ...]
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    # Commands run inside a workflow job; others (explain) are for people.
    in_workflows: bool = field(default=True)
    # With `app:` in the config the command calls GitHub with the App's installation
    # token instead: what that token must hold (actions/create-github-app-token's
    # `permission-<scope>` inputs). Empty: the command never uses the App.
    app_permissions: tuple[Permission, ...] = field(default=())
    # What the job's own GITHUB_TOKEN still needs while the App token does the rest
    # (apply writes its result comment as github-actions, which announce created).
    permissions_beside_app: tuple[Permission, ...] = field(default=())
    # Flags the generator adds when the config asks, each with what it grants.
    options: tuple[Option, ...] = field(default=())

    def option(self, flag: str) -> Option | None:
        return next((option for option in self.options if option.flag == flag), None)


def no_arguments(parser: argparse.ArgumentParser) -> None:
    """For a command with only the options every command shares (`add_all_arguments`)."""


def add_all_arguments(parser: argparse.ArgumentParser, command: Command) -> None:
    """`command`'s arguments, its option flags, and the `--config` every command shares."""
    # Every command reads the config (the composite action always passes --config;
    # people running explain may rely on the default).
    parser.add_argument("--config", default=CONFIG_PATH, help="the repowarden config file")
    command.add_arguments(parser)
    for option in command.options:
        parser.add_argument(option.flag, action="store_true", help=option.help)


# name -> module, relative to repowarden.runtime; imported only when used. The
# dispatch workflow's commands live in the dispatch package, beside its pipeline.
MODULES: dict[str, str] = {
    "assign": "commands.assign",
    "check": "commands.check",
    "dismiss-approvals": "commands.dismiss_approvals",
    "dismiss-runs": "commands.dismiss_runs",
    "sweep": "commands.sweep",
    "explain": "commands.explain",
    "verify-generated": "commands.verify_generated",
    "operate": "dispatch.commands.operate",
    "announce": "dispatch.commands.announce",
    "verify": "dispatch.commands.verify",
    "apply": "dispatch.commands.apply",
}


def load(name: str) -> Command:
    module = importlib.import_module(f"repowarden.runtime.{MODULES[name]}")
    command: Command = module.COMMAND
    assert command.name == name, (
        f"{module.__name__} declares {command.name!r}, registered as {name!r}"
    )
    return command


def all_commands() -> list[Command]:
    return [load(name) for name in MODULES]
