"""Verify a repository_dispatch event before anything else runs (`dispatch-sender-gate`).

Both sides of the pipeline call `verify_event` first. The workflow's `if:` on
`github.event.sender.id` is only the first gate; this is the second, and the one
that also checks the action, the sender type, the repository and the payload
schema. Every problem is collected and reported, then the command exits 2.

Hostile values are never echoed raw: `show()` bounds and escapes them, so a
newline in an id cannot forge a `::workflow-command::` line in the job log.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repowarden.runtime.config import DISPATCH_ID_RE, OWNER_REPO_RE, Config
from repowarden.runtime.context import RunContext
from repowarden.runtime.dispatch.kinds import kind_of
from repowarden.runtime.errors import BadInput

EVENT_NAME = "repository_dispatch"
PAYLOAD_KEYS = frozenset({"operation", "id", "repo", "pr"})
REQUIRED_KEYS = frozenset({"operation", "id", "repo"})
MAX_PR = 2**31 - 1
MAX_EVENT_BYTES = 25_000_000  # GitHub caps webhook payloads at 25 MB


def show(value: object, limit: int = 60) -> str:
    """A bounded, escaped rendering of untrusted data for messages and logs."""
    text = ascii(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class DispatchRequest:
    """A verified dispatch: every field has passed the checks below."""

    operation: str
    id: str
    repo: str
    pr: int | None
    sender_login: str
    sender_id: int
    repository: str  # $GITHUB_REPOSITORY, equal to the event's repository.full_name

    @property
    def checkout_ref(self) -> str | None:
        return f"refs/pull/{self.pr}/head" if self.pr is not None else None


class EventRejected(BadInput):
    """The event or its payload failed verification; `problems` lists each reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "refusing this repository_dispatch event; nothing was run:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def read_event(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_EVENT_BYTES + 1)
    except OSError as exc:
        raise EventRejected([f"cannot read the event file {path}: {exc.strerror}"]) from None
    if len(raw) > MAX_EVENT_BYTES:
        raise EventRejected([f"the event file {path} is larger than {MAX_EVENT_BYTES} bytes"])
    try:
        event = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EventRejected([f"the event file {path} is not JSON: {exc}"]) from None
    except RecursionError:
        raise EventRejected([f"the event file {path} is nested too deeply"]) from None
    if not isinstance(event, dict):
        raise EventRejected(["the event is not a JSON object"])
    return event


def check_event(
    config: Config, event_name: str, repository: str, event: dict[str, Any]
) -> DispatchRequest:
    """The verified request, or EventRejected naming every problem."""
    dispatch = config.dispatch
    if dispatch is None:
        raise EventRejected(["the config has no 'dispatch' section: dispatch is not enabled"])
    problems: list[str] = []
    if event_name != EVENT_NAME:
        problems.append(f"event name is {show(event_name)}, expected {EVENT_NAME!r}")
    if event.get("action") != dispatch.event_type:
        problems.append(
            f"event type (action) is {show(event.get('action'))}, "
            f"expected {dispatch.event_type!r} (config dispatch.event_type)"
        )

    sender = event.get("sender")
    sender_id: int = 0
    sender_login = ""
    if not isinstance(sender, dict):
        problems.append("the event has no sender object")
    else:
        sender_id = sender.get("id") if _is_int(sender.get("id")) else 0
        sender_login = sender.get("login") if isinstance(sender.get("login"), str) else ""
        sender_type = sender.get("type")
        # The numeric id is what identifies an account: logins can be renamed and
        # re-registered, so a matching login with another id is a different account.
        trusted = next((s for s in dispatch.senders if s.id == sender_id), None)
        if trusted is None:
            problems.append(
                f"sender {show(sender.get('login'))} (id {show(sender.get('id'))}) is not a "
                "trusted sender; trusted ids: "
                + ", ".join(f"{s.login}={s.id}" for s in dispatch.senders)
            )
        elif sender_type != trusted.type:
            problems.append(
                f"sender id {sender_id} has type {show(sender_type)}, but the trusted sender "
                f"{trusted.login} is configured with type {trusted.type!r}"
            )

    repo_obj = event.get("repository")
    full_name = repo_obj.get("full_name") if isinstance(repo_obj, dict) else None
    if full_name != repository:
        problems.append(
            f"the event is for repository {show(full_name)}, but this job runs in "
            f"{show(repository)} ($GITHUB_REPOSITORY)"
        )

    payload = event.get("client_payload")
    operation = ident = repo = None
    pr: int | None = None
    if not isinstance(payload, dict):
        problems.append("client_payload is not an object")
    else:
        extra = sorted(set(payload) - PAYLOAD_KEYS, key=str)
        if extra:
            problems.append(
                "client_payload has unexpected key(s) "
                + ", ".join(show(k, 40) for k in extra[:5])
                + ("" if len(extra) <= 5 else f" and {len(extra) - 5} more")
                + "; allowed: id, operation, repo, pr"
            )
        for key in sorted(REQUIRED_KEYS - set(payload)):
            problems.append(f"client_payload.{key} is missing")
        ident = payload.get("id")
        if "id" in payload and not (isinstance(ident, str) and DISPATCH_ID_RE.match(ident)):
            problems.append(
                f"client_payload.id {show(ident)} is not 1-64 letters, digits, '-' or '_'"
            )
        operation = payload.get("operation")
        op = dispatch.operation(operation) if isinstance(operation, str) else None
        if "operation" in payload and op is None:
            problems.append(
                f"client_payload.operation {show(operation)} is not a configured operation; "
                f"configured: {', '.join(o.name for o in dispatch.operations)}"
            )
        # The sender names the repository it means; the operation always runs on the
        # one this workflow belongs to, so anything else is a dispatch sent astray.
        repo = payload.get("repo")
        if "repo" in payload and not (
            isinstance(repo, str)
            and OWNER_REPO_RE.match(repo)
            and repo.casefold() == repository.casefold()
        ):
            problems.append(
                f"client_payload.repo {show(repo)} is not this repository {show(repository)}"
            )
        repo = repository if isinstance(repo, str) else None
        if "pr" in payload:
            raw_pr = payload["pr"]
            if not (_is_int(raw_pr) and 1 <= raw_pr <= MAX_PR):
                problems.append(f"client_payload.pr {show(raw_pr)} is not a positive integer")
            elif op is not None and not kind_of(op).takes_pr:
                problems.append(
                    f"operation {op.name!r} ({op.kind}) takes no pr; "
                    "it always works on the default branch"
                )
            else:
                pr = raw_pr
    if problems or not (
        isinstance(operation, str) and isinstance(ident, str) and isinstance(repo, str)
    ):
        raise EventRejected(problems or ["client_payload is incomplete"])
    return DispatchRequest(
        operation=operation,
        id=ident,
        repo=repo,
        pr=pr,
        sender_login=sender_login,
        sender_id=sender_id,
        repository=repository,
    )


def verify_event(config: Config, ctx: RunContext) -> DispatchRequest:
    """Verify `$GITHUB_EVENT_PATH` for this job; raises EventRejected (exit 2)."""
    return check_event(config, ctx.event_name, ctx.repository, read_event(ctx.event_path))


def github_sha(environ: dict[str, str] | None = None) -> str:
    """The default-branch commit the run was started for (`$GITHUB_SHA`)."""
    env = os.environ if environ is None else environ
    sha = env.get("GITHUB_SHA", "")
    if len(sha) != 40 or any(c not in "0123456789abcdef" for c in sha):
        raise BadInput(f"GITHUB_SHA is {show(sha)}, expected a 40-hex commit SHA")
    return sha
