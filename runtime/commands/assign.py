"""assign: request the reviewers the map names for the pull request's author.

Runs on pull_request_target (opened, reopened, ready_for_review). Authors in the
map get their entry; everyone else gets the '*' entry (bots: the admins, unless
`review.bots.treatment` is external). Never the author, a bot, someone already
requested or who already reviewed; each person once; at most 15; drafts wait until
they are ready. With `review.pick`, a seeded random draw chooses among them.
"""

from __future__ import annotations

import argparse

from repowarden.runtime.commands import Command, Permission, no_arguments
from repowarden.runtime.context import RunContext
from repowarden.runtime.errors import Exit
from repowarden.runtime.github import GitHub

ACTIONS = ("opened", "reopened", "ready_for_review")


def run(args: argparse.Namespace) -> int:
    from repowarden.runtime import events
    from repowarden.runtime.config import load_config
    from repowarden.runtime.reviews import (
        candidates,
        facts_from_event,
        fetch_reviews,
        request_reviewers,
        select,
    )

    ctx = RunContext.from_env()
    config = load_config(args.config)
    event = events.load_event(ctx, "pull_request_target", "pull_request")
    assert isinstance(event, events.PullRequestEvent)
    pull = facts_from_event(event.pull_request)
    if event.action not in ACTIONS:
        print(f"nothing to do on {event.action!r}: reviewers are requested on {', '.join(ACTIONS)}")
        return Exit.OK
    if pull.draft:
        print(f"#{pull.number} is a draft: reviewers are requested when it is ready for review")
        return Exit.OK

    gh = GitHub(ctx.repository)
    # A PR that was just opened has no reviews yet; reopened or ready ones may.
    reviewed = [] if event.action == "opened" else [r.login for r in fetch_reviews(gh, pull.number)]
    selection = select(
        config.review, ctx.repository, pull, candidates(config.review, pull), reviewed
    )
    requested, outsiders = request_reviewers(gh, pull.number, selection.chosen)

    lines = [f"### Reviewers for #{pull.number} by {pull.author}", ""]
    lines.append(f"- requested: {', '.join(requested) or 'nobody'}")
    for login, why in selection.skipped:
        lines.append(f"- skipped {login}: {why}")
    for login in outsiders:
        lines.append(f"- skipped {login}: not a collaborator of {ctx.repository} (GitHub refused)")
    ctx.write_summary("\n".join(lines))
    print("\n".join(lines[2:]))
    return Exit.OK


COMMAND = Command(
    name="assign",
    summary="Request the reviewers the config names for the pull request's author.",
    permissions=(Permission("pull-requests", "write", "request reviewers on the pull request"),),
    add_arguments=no_arguments,
    run=run,
)
