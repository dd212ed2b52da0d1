"""The dispatcher client: `repowarden dispatch OWNER/REPO OPERATION [--pr N] [--watch]`.

It sends the repository_dispatch with a fresh id, finds the jobs that carry the id
in their names (`unprivileged-<id>`, `privileged-<id>`) through the Actions API,
prints their URLs, and with `--watch` follows them to their conclusions. The token
comes from `GITHUB_TOKEN` or `GH_TOKEN` only, never from an argument (arguments
end up in shell history and process listings).

`match_check_run` is the library half for an app that receives `check_run`
webhooks: it maps a payload to one of the dispatch ids the app issued, strictly.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from repowarden.runtime.config import DISPATCH_ID, OWNER_REPO_RE
from repowarden.runtime.errors import Exit
from repowarden.runtime.fields import OPERATION_NAME_RE
from repowarden.runtime.generated import DISPATCH_WORKFLOW
from repowarden.runtime.github import GitHub, GitHubError

EVENT_TYPE = "repowarden"
ACTIONS_APP = "github-actions"
RECENT_RUNS = 20
# The job names the dispatch workflow renders, around the one dispatch-id pattern.
_JOB_NAME = re.compile(rf"(un)?privileged-({DISPATCH_ID})")
# A privileged job that does not apply to the operation is skipped (publish for
# pip-compile, apply for a release); the unprivileged job never is, when all went well.
_FINE = frozenset({"success", "skipped", "neutral"})

# Injected by tests to keep waits short without sleeping for real.
Sleep = Callable[[float], None]
Clock = Callable[[], float]


def new_id() -> str:
    return f"rw-{secrets.token_hex(12)}"  # 27 characters of DISPATCH_ID


def match_check_run(payload: Any, issued_ids: Collection[str], repository_id: int) -> str | None:
    """The dispatch id a `check_run` webhook belongs to, or None.

    Matches only a check run created by GitHub Actions (app slug
    `github-actions`) in the repository with this numeric id, whose name is exactly
    `unprivileged-<id>` or `privileged-<id>`, for an id this client issued.
    """
    if not isinstance(payload, dict):
        return None
    check_run, repository = payload.get("check_run"), payload.get("repository")
    if not isinstance(check_run, dict) or not isinstance(repository, dict):
        return None
    app = check_run.get("app")
    if not isinstance(app, dict) or app.get("slug") != ACTIONS_APP:
        return None
    repo_id = repository.get("id")
    if isinstance(repo_id, bool) or not isinstance(repo_id, int) or repo_id != repository_id:
        return None
    name = check_run.get("name")
    match = _JOB_NAME.fullmatch(name) if isinstance(name, str) else None
    if match is None or match.group(2) not in issued_ids:
        return None
    return match.group(2)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("repository", metavar="OWNER/REPO", help="the repository to dispatch to")
    parser.add_argument("operation", help="an operation name from its .github/repowarden.yml")
    parser.add_argument("--pr", type=_positive_int, help="the pull request to operate on")
    parser.add_argument(
        "--watch", action="store_true", help="follow the jobs; exit 0 only if they succeed"
    )
    parser.add_argument(
        "--event-type", default=EVENT_TYPE, help="dispatch.event_type of the repository's config"
    )
    parser.add_argument(
        "--workflow", default=DISPATCH_WORKFLOW, help="the dispatch workflow file name"
    )
    parser.add_argument(
        "--interval", type=_positive_float, default=10.0, help="seconds between polls"
    )
    parser.add_argument(
        "--find-timeout",
        type=_positive_float,
        default=300.0,
        help="seconds to wait for the jobs to appear",
    )
    parser.add_argument(
        "--timeout", type=_positive_float, default=3600.0, help="seconds to watch at most"
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


@dataclass
class Jobs:
    run: dict[str, Any] | None = None
    jobs: list[dict[str, Any]] = field(default_factory=list)


def find_jobs(gh: GitHub, workflow: str, dispatch_id: str) -> Jobs:
    """The run of `workflow` whose jobs carry `dispatch_id`, and those jobs."""
    runs = gh.get(
        gh.repo_path(f"/actions/workflows/{quote(workflow, safe='')}/runs"),
        event="repository_dispatch",
        per_page=RECENT_RUNS,
    )
    for run in (runs or {}).get("workflow_runs", [])[:RECENT_RUNS]:
        ours = [
            job
            for job in gh.paginate(gh.repo_path(f"/actions/runs/{int(run['id'])}/jobs"), key="jobs")
            if isinstance(job.get("name"), str)
            and (m := _JOB_NAME.fullmatch(job["name"]))
            and m.group(2) == dispatch_id
        ]
        if ours:
            return Jobs(run, ours)
    return Jobs()


def _print_jobs(found: Jobs) -> None:
    print(f"run: {(found.run or {}).get('html_url')}")
    for job in found.jobs:
        state = job.get("conclusion") or job.get("status")
        print(f"  {job['name']}: {state} {job.get('html_url')}")


def dispatch(
    args: argparse.Namespace,
    *,
    environ: dict[str, str] | None = None,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
) -> int:
    env = os.environ if environ is None else environ
    token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN")
    if not token:
        print(
            "error: set GITHUB_TOKEN or GH_TOKEN (a token with contents: write to send the "
            "dispatch and actions: read to find its jobs); tokens are never taken as arguments",
            file=sys.stderr,
        )
        return Exit.BAD_INPUT
    if not OWNER_REPO_RE.match(args.repository):
        print(f"error: {args.repository!r} is not OWNER/REPO", file=sys.stderr)
        return Exit.BAD_INPUT
    if not OPERATION_NAME_RE.match(args.operation):
        print(f"error: {args.operation!r} is not an operation name", file=sys.stderr)
        return Exit.BAD_INPUT
    gh = GitHub(args.repository, token=token)
    dispatch_id = new_id()
    payload: dict[str, Any] = {
        "operation": args.operation,
        "id": dispatch_id,
        "repo": args.repository,
    }
    if args.pr is not None:
        payload["pr"] = args.pr
    try:
        gh.request(
            "POST",
            gh.repo_path("/dispatches"),
            data={"event_type": args.event_type, "client_payload": payload},
        )
        print(f"dispatched {args.operation!r} to {args.repository} with id {dispatch_id}")
        deadline = clock() + args.find_timeout
        found = find_jobs(gh, args.workflow, dispatch_id)
        while found.run is None and clock() < deadline:
            sleep(args.interval)
            found = find_jobs(gh, args.workflow, dispatch_id)
        if found.run is None:
            print(
                f"error: no job named unprivileged-{dispatch_id} or privileged-{dispatch_id} "
                f"appeared in {args.workflow} within {args.find_timeout:g}s; is the workflow "
                "installed and the sender trusted in its config?",
                file=sys.stderr,
            )
            return Exit.FAILED
        _print_jobs(found)
        if not args.watch:
            return Exit.OK
        deadline = clock() + args.timeout
        while not _finished(found):
            if clock() >= deadline:
                print(f"error: still running after {args.timeout:g}s", file=sys.stderr)
                return Exit.FAILED
            sleep(args.interval)
            found = find_jobs(gh, args.workflow, dispatch_id)
        _print_jobs(found)
    except GitHubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return Exit.GITHUB
    problems = watch_problems(found, dispatch_id)
    if problems:
        print("failed: " + "; ".join(problems), file=sys.stderr)
        return Exit.FAILED
    print("success")
    return Exit.OK


def watch_problems(found: Jobs, dispatch_id: str) -> list[str]:
    """Why the finished jobs of a dispatch do not add up to success (empty if they do).

    Skipped is not success: an event the workflow's sender gate refused skips every
    job, and that must not read as a finished operation.
    """
    conclusions = {job["name"]: job.get("conclusion") for job in found.jobs}
    unprivileged = f"unprivileged-{dispatch_id}"
    problems = [f"{n}={c}" for n, c in conclusions.items() if c not in _FINE]
    if conclusions.get(unprivileged) != "success":
        problems.append(f"{unprivileged} did not succeed ({conclusions.get(unprivileged)})")
    if not any(c == "success" for n, c in conclusions.items() if n != unprivileged):
        problems.append("no privileged job succeeded (every one was skipped or failed)")
    return problems


def _finished(found: Jobs) -> bool:
    # The run completes only after every job, including privileged ones that start later.
    return (
        found.run is not None
        and found.run.get("status") == "completed"
        and all(job.get("status") == "completed" for job in found.jobs)
    )


def run(args: argparse.Namespace | Sequence[str] | None = None) -> int:
    """`repowarden dispatch …`: parsed arguments (from add_arguments) or an argv list."""
    if not isinstance(args, argparse.Namespace):
        parser = argparse.ArgumentParser(
            prog="repowarden dispatch",
            description="Send a repowarden dispatch and follow its jobs.",
        )
        add_arguments(parser)
        args = parser.parse_args(sys.argv[1:] if args is None else list(args))
    return dispatch(args)
