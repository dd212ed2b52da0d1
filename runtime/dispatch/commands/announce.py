"""announce: the PR comment that says a dispatched operation started, with its run.

The comment carries a hidden marker with the dispatch id; `apply` updates the
same comment with the result. A re-run finds the marker and edits, never adds,
and never turns a finished result back into "started".
"""

from __future__ import annotations

import argparse

from repowarden.runtime.commands import Command, Permission, no_arguments
from repowarden.runtime.dispatch import report
from repowarden.runtime.errors import Exit
from repowarden.runtime.github import GitHub


def run(args: argparse.Namespace) -> int:
    from repowarden.runtime.dispatch.jobs import start

    ctx, _config, request = start(args)
    if request.pr is None:
        print("no pull request in the dispatch: nothing to announce")
        return Exit.OK
    gh = GitHub(ctx.repository)
    body = report.render(
        request.id, request.operation, report.STARTED, ctx.run_url, ctx.run_attempt
    )
    outcome = report.post(gh, request.pr, request.id, body, only_if_started=True)
    print(f"PR #{request.pr}: start comment {outcome}")
    return Exit.OK


COMMAND = Command(
    name="announce",
    summary="Comment on the PR that the dispatched operation started, with the run's URL.",
    permissions=(Permission("pull-requests", "write", "the start comment on the pull request"),),
    add_arguments=no_arguments,
    run=run,
)
