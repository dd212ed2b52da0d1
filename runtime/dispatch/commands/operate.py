"""operate: the unprivileged job's work (pip-compile, format, build) into artifacts/.

Runs the untrusted part of a dispatch: argv lists without a shell, no token in
the child environment, and only data left behind (a patch made by git itself, or
the distributions) with `manifest.json`. It refuses to start when it was handed a
token: this job must hold none (`token-isolation`).

With `REPOWARDEN_ISOLATE=user` (the generated workflow sets it) the untrusted
programs run as a fresh OS user of their own (dispatch/sandbox.py); operate then
needs root, and restarts itself with `sudo` when it is not.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from repowarden.runtime.commands import Command
from repowarden.runtime.errors import BadInput, Exit

ISOLATE = "REPOWARDEN_ISOLATE"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--worktree",
        type=Path,
        help="the checkout to work on (default: $GITHUB_WORKSPACE/target)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the artifact (default: $RUNNER_TEMP/repowarden-artifacts)",
    )


def run(args: argparse.Namespace) -> int:
    from repowarden.runtime.dispatch.jobs import artifacts_dir, start, worktree_dir
    from repowarden.runtime.dispatch.operations import OperationFailed, run_operation
    from repowarden.runtime.dispatch.payload import github_sha
    from repowarden.runtime.dispatch.sandbox import Sandbox, SandboxError

    ctx, config, request = start(args)
    for name in ("GITHUB_TOKEN", "GH_TOKEN"):
        if os.environ.get(name):
            raise BadInput(
                f"{name} is set, but operate runs untrusted code and must get no token; "
                "remove the composite action's token input from the unprivileged job"
            )
    worktree = args.worktree or worktree_dir(ctx)
    output = args.output or artifacts_dir(ctx)
    isolate = os.environ.get(ISOLATE, "")
    if isolate not in ("", "user"):
        raise BadInput(f"{ISOLATE} is {isolate!r}; the only isolation is 'user'")
    if isolate and os.geteuid() != 0:
        _restart_as_root(args, worktree, output)
    sandbox = None
    try:
        if isolate:
            sandbox = Sandbox.create()
            sandbox.install_tools()
            print(f"running the operation as user {sandbox.user} (uid {sandbox.uid}), no sudo")
        outcome = run_operation(
            config,
            request,
            worktree,
            output,
            base_sha=github_sha(),
            workspace=ctx.workspace,
            runner_temp=ctx.runner_temp,
            sandbox=sandbox,
        )
    except (OperationFailed, SandboxError) as exc:
        print(f"error: {exc}")
        ctx.write_summary(f"### {request.operation} failed\n\n{exc}")
        return Exit.FAILED
    finally:
        if sandbox is not None:
            sandbox.remove()
    files = [f"{f.path} ({f.size} bytes)" for f in outcome.manifest.files]
    lines = [f"### {request.operation} for dispatch {request.id}", ""]
    lines += [f"- artifact file: {f}" for f in files]
    lines += [f"- changed: {p}" for p in outcome.changed]
    lines += [f"- left out (not allowed for this operation): {p}" for p in outcome.dropped]
    print("\n".join(lines[2:]))
    ctx.write_summary("\n".join(lines))
    return Exit.OK


def _restart_as_root(args: argparse.Namespace, worktree: Path, output: Path) -> None:
    """Run this same command again under sudo (the runner's user has it, passwordless)."""
    argv = ["operate", "--config", str(args.config), "--worktree", str(worktree)]
    argv += ["--output", str(output)]
    sys.stdout.flush()
    # --preserve-env: the runner's context (GITHUB_*, RUNNER_TEMP) stays; the sandbox
    # passes none of it on. sudo drops PYTHONPATH even then (its env_delete list), so
    # the vendored runtime's path is given as an assignment, which sudo keeps.
    path = [f"PYTHONPATH={os.environ['PYTHONPATH']}"] if os.environ.get("PYTHONPATH") else []
    runtime = "repowarden.runtime"
    sudo = ["sudo", "-n", "--preserve-env", *path, sys.executable, "-m", runtime, *argv]
    os.execvp("sudo", sudo)  # noqa: S606 (an argv list, no shell)


COMMAND = Command(
    name="operate",
    summary="Run the dispatched operation without a token and leave artifacts/ with a manifest.",
    permissions=(),
    add_arguments=add_arguments,
    run=run,
)
