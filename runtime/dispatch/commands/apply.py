"""apply: verify the unprivileged job's artifact, then apply it through the Git Data API.

The event is verified first, then the artifact (the same checks as `verify`); a
rejected artifact changes nothing on GitHub and exits 1. A verified patch
becomes blobs, a tree, a commit and a ref (see dispatch/apply.py), and the PR
comment that `announce` posted is updated with the result. When the unprivileged
job did not succeed (`REPOWARDEN_UPSTREAM_RESULT`), only that is reported.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from repowarden.runtime.commands import Command, Permission
from repowarden.runtime.context import RunContext
from repowarden.runtime.dispatch import report
from repowarden.runtime.errors import Exit
from repowarden.runtime.github import GitHub, GitHubError

if TYPE_CHECKING:
    from repowarden.runtime.dispatch.payload import DispatchRequest


_RESULTS = frozenset({"success", "failure", "cancelled", "skipped"})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "directory",
        nargs="?",
        type=Path,
        help="the downloaded artifact (default: $RUNNER_TEMP/repowarden-artifacts)",
    )


def _report(gh: GitHub, ctx: RunContext, request: DispatchRequest, state: str, detail: str) -> None:
    ctx.write_summary(f"### {request.operation} ({request.id}): {state}\n\n{detail}")
    if request.pr is None:
        return
    body = report.render(request.id, request.operation, state, ctx.run_url, ctx.run_attempt, detail)
    outcome = report.post(gh, request.pr, request.id, body, only_if_started=False)
    print(f"PR #{request.pr}: result comment {outcome}")


def run(args: argparse.Namespace) -> int:
    from repowarden.runtime.dispatch.apply import ApplyRefused, apply_patch, code_fence
    from repowarden.runtime.dispatch.artifact import verify_artifact
    from repowarden.runtime.dispatch.jobs import APP_TOKEN, UPSTREAM_RESULT, artifacts_dir, start
    from repowarden.runtime.dispatch.kinds import kind_of
    from repowarden.runtime.dispatch.payload import github_sha, show

    ctx, config, request = start(args)
    base_sha = github_sha()
    op = config.dispatch.operation(request.operation) if config.dispatch else None
    if op is not None and kind_of(op).result == "publish":
        print(f"{request.operation!r} publishes from the publish job; nothing to apply here")
        return Exit.OK
    gh = GitHub(ctx.repository)
    upstream = os.environ.get(UPSTREAM_RESULT)
    if upstream is not None and upstream != "success":
        shown = upstream if upstream in _RESULTS else show(upstream)
        detail = f"The unprivileged job ended with `{shown}`; nothing was applied."
        print(f"error: {detail}")
        _report(gh, ctx, request, report.FAILURE, detail)
        return Exit.FAILED

    directory = args.directory or artifacts_dir(ctx)
    verified = verify_artifact(directory, config, request.operation, request, base_sha=base_sha)
    if verified.violations:
        # A rejected artifact changes nothing in the repository; the PR's comment says so.
        for line in verified.violations:
            print(f"violation: {line}")
        listing = "\n".join(verified.violations)
        fence = code_fence(listing)
        _report(
            gh,
            ctx,
            request,
            report.FAILURE,
            f"The artifact was rejected; nothing applied:\n\n{fence}text\n{listing}\n{fence}",
        )
        return Exit.FAILED
    app_token = os.environ.get(APP_TOKEN, "")
    pusher = GitHub(ctx.repository, token=app_token) if app_token else None
    try:
        applied = apply_patch(
            gh,
            config,
            request,
            verified,
            verified.patch_bytes,
            run_url=ctx.run_url,
            pusher=pusher,
        )
    except ApplyRefused as exc:
        print(f"error: {exc}")
        _report(gh, ctx, request, report.FAILURE, f"Not applied: {exc}")
        return Exit.FAILED
    except GitHubError as exc:
        # The original error is the one to show if the report fails too.
        with contextlib.suppress(GitHubError):
            _report(gh, ctx, request, report.FAILURE, f"GitHub refused a call: {exc}")
        raise
    print(applied.detail)
    _report(gh, ctx, request, applied.state, applied.detail)
    return Exit.OK


COMMAND = Command(
    name="apply",
    summary="Verify the artifact and apply its patch through the Git Data API; report on the PR.",
    permissions=(
        Permission("contents", "write", "blobs, trees, commits and refs of the result branch"),
        Permission("pull-requests", "write", "open or update the PR and the result comment"),
    ),
    app_permissions=(
        Permission("contents", "write", "push the result as the App, so CI runs on it"),
        Permission("pull-requests", "write", "open the result's pull request as the App"),
    ),
    permissions_beside_app=(
        Permission("pull-requests", "write", "update the result comment announce posted"),
    ),
    add_arguments=add_arguments,
    run=run,
)
