"""verify: check a dispatch event, or an artifact against its manifest (`artifacts-are-data`).

`verify --event-only` is the first runtime step of every dispatch job: it refuses
an event that is not a trusted dispatch (exit 2) and hands the verified id and
checkout ref to later steps as outputs, so the workflow never interpolates event
data. `verify --operation OP [DIR]` then checks a downloaded artifact; it exits 1
with one line per violation. It needs no token, executes nothing from the
artifact and writes nothing but its own step outputs and summary.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from repowarden.runtime.commands import Command
from repowarden.runtime.errors import BadInput, Exit


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--event-only",
        action="store_true",
        help="verify the event and set the outputs dispatch-id and checkout-ref",
    )
    parser.add_argument("--operation", help="the operation the artifact must come from")
    parser.add_argument(
        "directory",
        nargs="?",
        type=Path,
        help="the downloaded artifact (default: $RUNNER_TEMP/repowarden-artifacts)",
    )


def run(args: argparse.Namespace) -> int:
    from repowarden.runtime.dispatch.artifact import verify_artifact
    from repowarden.runtime.dispatch.jobs import artifacts_dir, start
    from repowarden.runtime.dispatch.payload import github_sha, show

    ctx, config, request = start(args)
    base_sha = github_sha()
    if args.event_only:
        ctx.set_output("dispatch-id", request.id)
        ctx.set_output("checkout-ref", request.checkout_ref or base_sha)
        return Exit.OK
    if not args.operation:
        raise BadInput("give --operation OP (the artifact's operation) or --event-only")
    if args.operation != request.operation:
        raise BadInput(
            f"--operation {show(args.operation)} is not the dispatched operation "
            f"{request.operation!r}"
        )
    directory = args.directory or artifacts_dir(ctx)
    result = verify_artifact(directory, config, args.operation, request, base_sha=base_sha)
    if result.violations:
        for line in result.violations:
            print(f"violation: {line}")
        ctx.write_summary(
            f"### Artifact of dispatch {request.id} rejected\n\n"
            + "\n".join(f"- {line}" for line in result.violations)
        )
        return Exit.FAILED
    listed = result.manifest.files if result.manifest else ()
    files = ", ".join(f.path for f in listed) or "no files"
    print(f"artifact verified: {files}")
    ctx.write_summary(f"### Artifact of dispatch {request.id} verified\n\n{files}")
    return Exit.OK


COMMAND = Command(
    name="verify",
    summary="Verify a dispatch event, or an artifact against its manifest and its rules.",
    permissions=(),
    add_arguments=add_arguments,
    run=run,
)
