"""What the dispatch workflow's jobs share: where things are, and how they start.

Paths are never passed on the command line (the composite action's `args` hold
only fixed flags), so each command defaults them from the runner's environment;
templates/workflows/repowarden-dispatch.yml.j2 is the workflow that relies on this.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from repowarden.runtime.config import Config, load_config
from repowarden.runtime.context import RunContext
from repowarden.runtime.dispatch.payload import DispatchRequest, show, verify_event
from repowarden.runtime.generated import ARTIFACTS_DIR

WORKTREE = "target"  # under $GITHUB_WORKSPACE
UPSTREAM_RESULT = "REPOWARDEN_UPSTREAM_RESULT"
# The App's installation token, minted in the apply job when the config has `app:`.
APP_TOKEN = "REPOWARDEN_APP_TOKEN"  # noqa: S105 (the variable's name, not a token)


def artifacts_dir(ctx: RunContext) -> Path:
    return ctx.runner_temp / ARTIFACTS_DIR


def worktree_dir(ctx: RunContext) -> Path:
    return ctx.workspace / WORKTREE


def start(args: argparse.Namespace) -> tuple[RunContext, Config, DispatchRequest]:
    """Read the runner context and config, and verify the event before anything else."""
    ctx = RunContext.from_env()
    config = load_config(args.config)
    request = verify_event(config, ctx)
    print(
        f"verified dispatch {request.id}: operation {request.operation!r} on {request.repo}"
        + (f" PR #{request.pr}" if request.pr is not None else "")
        + f", sent by {show(request.sender_login)} (id {request.sender_id})"
    )
    return ctx, config, request
