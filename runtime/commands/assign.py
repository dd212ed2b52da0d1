"""assign: request the reviewers the config names for the pull request.

Runs on pull_request_target (opened, reopened, ready_for_review). Authors in the
map get their entry; everyone else gets the '*' entry (bots: the admins, unless
`review.bots.treatment` is external). Never the author, a bot, someone on
`review.assign.omit`, someone already requested or who already reviewed; each
person once; at most 15; drafts wait until they are ready. With `review.pick`, a
seeded random draw chooses among them.

With review rules, whom to ask follows the rules that apply to the change: the
preferred reviewers of the changed paths, then a seeded random pick from each
rule's pool. A backport (review.assign.backports) gets the original pull
request's reviewers instead, when its title or body names exactly one original.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from repowarden.runtime.commands import Command, Permission, no_arguments
from repowarden.runtime.context import RunContext
from repowarden.runtime.errors import Exit
from repowarden.runtime.github import GitHub

if TYPE_CHECKING:
    from repowarden.runtime.config import Config
    from repowarden.runtime.policy import PullFacts

ACTIONS = ("opened", "reopened", "ready_for_review")


def run(args: argparse.Namespace) -> int:
    from repowarden.runtime import events
    from repowarden.runtime.config import load_config
    from repowarden.runtime.reviewer_selection import select
    from repowarden.runtime.reviews import facts_from_event, fetch_reviews, request_reviewers

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
    people, why = _whom(gh, config, ctx.repository, pull)
    selection = select(
        config.review, ctx.repository, pull, [login for login, _ in people], reviewed
    )
    requested, outsiders = request_reviewers(gh, pull.number, selection.chosen)

    lines = [f"### Reviewers for #{pull.number} by {pull.author}", ""]
    lines.append(f"- requested: {', '.join(requested) or 'nobody'}")
    lines += [f"- {line}" for line in why]
    reasons = dict(people)
    lines += [f"- {login}: {reasons[login]}" for login in requested if reasons.get(login)]
    for login, why in selection.skipped:
        lines.append(f"- skipped {login}: {why}")
    for login in outsiders:
        lines.append(f"- skipped {login}: not a collaborator of {ctx.repository} (GitHub refused)")
    ctx.write_summary("\n".join(lines))
    print("\n".join(lines[2:]))
    return Exit.OK


def _whom(
    gh: GitHub, config: Config, repository: str, pull: PullFacts
) -> tuple[list[tuple[str, str]], list[str]]:
    """Whom to ask, each with the reason (empty for the map), and notes for the summary."""
    from repowarden.runtime.reviewer_selection import (
        candidates,
        is_backport,
        original_number,
        rule_candidates,
    )
    from repowarden.runtime.reviews import fetch_files, membership, needs_files, original_reviewers
    from repowarden.runtime.rules import ChangeSet

    policy = config.review
    notes: list[str] = []
    if is_backport(policy, pull):
        number = original_number(repository, pull)
        found = None if number is None else original_reviewers(gh, number, pull.author)
        if found:
            return [(login, f"reviewed the original #{number}") for login in found], [
                f"a backport of #{number}: its reviewers are requested"
            ]
        notes.append(
            "a backport, but its title and body name no single original pull request "
            "with reviewers: the usual rules choose"
        )
    if not policy.has_rules:
        return [(login, "") for login in candidates(policy, pull)], notes
    changes = fetch_files(gh, pull) if needs_files(policy) else ChangeSet()
    member = membership(gh, policy, pull)
    return rule_candidates(policy, repository, pull, changes, is_member=member), notes


COMMAND = Command(
    name="assign",
    summary="Request the reviewers the config names for the pull request's author.",
    permissions=(Permission("pull-requests", "write", "request reviewers on the pull request"),),
    add_arguments=no_arguments,
    run=run,
)
