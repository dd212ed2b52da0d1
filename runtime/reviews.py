"""Fetching what the review policy needs, and the review-related writes, via the client.

Every call here is one the commands cannot do without; callers pass facts they
already hold (from the event payload) so that nothing is fetched twice.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from . import events
from .config import EXTERNAL, Config, ReviewPolicy
from .github import GitHub, NotFound, Unprocessable
from .policy import PullFacts, ReviewFact, Verdict, evaluate, needs_membership

MAX_REQUESTED = 15  # GitHub refuses more requested reviewers on one pull request


def pull_facts(gh: GitHub, number: int) -> PullFacts:
    return PullFacts.from_api(gh.get(gh.repo_path(f"/pulls/{number}")))


def fetch_reviews(gh: GitHub, number: int) -> list[ReviewFact]:
    """Every submitted review, oldest first, across all pages."""
    facts = (
        ReviewFact.from_api(item) for item in gh.paginate(gh.repo_path(f"/pulls/{number}/reviews"))
    )
    return [fact for fact in facts if fact is not None]


def is_public_member(gh: GitHub, org: str, login: str) -> bool:
    """`GET /orgs/{org}/public_members/{login}`: 204 yes, 404 no (needs no permission)."""
    try:
        gh.request("GET", f"/orgs/{org}/public_members/{login}")
    except NotFound:
        return False
    return True


def is_member(gh: GitHub, org: str, login: str) -> bool:
    """`GET /orgs/{org}/members/{login}`: 204 yes; private members too with `members: read`."""
    try:
        gh.request("GET", f"/orgs/{org}/members/{login}")
    except NotFound:
        return False
    return True


def membership(gh: GitHub, policy: ReviewPolicy, pull: PullFacts, *, private: bool = False) -> bool:
    """Whether the author is an org member, asking GitHub only if it matters.

    `private`: the token is an App's with `members: read`, which also sees private
    members (a webhook's author_association calls them CONTRIBUTOR, FACTS.md).
    """
    if not needs_membership(policy, pull.author, pull.author_type):
        return False
    org = policy.external.org
    assert org is not None
    # For the organisation that owns the repository, GitHub already says whether the
    # author is a member: anything but MEMBER/OWNER rules membership out, no call.
    owner = pull.base_repo.split("/")[0]
    if private:
        return is_member(gh, org, pull.author)
    if (
        owner.casefold() == org.casefold()
        and pull.author_association is not None
        and pull.author_association.upper() not in ("MEMBER", "OWNER")
    ):
        return False
    return is_public_member(gh, org, pull.author)


def verdict_for(
    gh: GitHub, config: Config, pull: PullFacts, *, private_members: bool = False
) -> Verdict:
    """Reviews (paginated) plus, only when needed, one membership lookup."""
    reviews = fetch_reviews(gh, pull.number)
    member = membership(gh, config.review, pull, private=private_members)
    return evaluate(config.review, pull, reviews, is_member=member)


def facts_from_event(pr: events.PullRequest) -> PullFacts:
    """The PR as the webhook saw it: no GET needed for author, head, labels, requests."""
    return PullFacts(
        number=pr.number,
        author=pr.user.login,
        author_type=pr.user.type,
        head_sha=pr.head.sha,
        head_repo=pr.head_repo,
        base_repo=pr.base_repo,
        labels=tuple(pr.label_names),
        draft=bool(pr.draft),
        requested=tuple(r.login for r in pr.requested_reviewers if r.login),
        author_association=pr.author_association,
    )


# ---------------------------------------------------------------- requesting reviewers


def candidates(policy: ReviewPolicy, pull: PullFacts) -> list[str]:
    """The map entry of the author, else the '*' entry (admins for bots, if so configured)."""
    entry = policy.entry_for(pull.author)
    if entry is not None:
        return list(entry)
    if policy.is_bot(pull.author, pull.author_type) and policy.bots.treatment == "admins":
        return list(policy.admins)
    return list(policy.reviewers[EXTERNAL])


@dataclass
class Selection:
    chosen: list[str]
    skipped: list[tuple[str, str]]  # (login, why)


def select(
    policy: ReviewPolicy,
    repository: str,
    pull: PullFacts,
    people: Iterable[str],
    already_reviewed: Iterable[str] = (),
) -> Selection:
    """Whom to request: each once, never the author, a bot, or someone already asked."""
    requested = {login.casefold() for login in pull.requested}
    reviewed = {login.casefold() for login in already_reviewed}
    seen: set[str] = set()
    chosen: list[str] = []
    skipped: list[tuple[str, str]] = []
    for login in people:
        key = login.casefold()
        if key in seen:
            continue
        seen.add(key)
        if key == pull.author.casefold():
            skipped.append((login, "the author"))
        elif policy.is_bot(login):
            skipped.append((login, "a bot"))
        elif key in requested:
            skipped.append((login, "already requested"))
        elif key in reviewed:
            skipped.append((login, "already reviewed"))
        else:
            chosen.append(login)
    if policy.pick is not None and len(chosen) > policy.pick:
        # Seeded by repository and PR number: a re-run picks the same people, and a
        # test can fix the draw.
        rng = random.Random(f"{repository.casefold()}#{pull.number}")  # noqa: S311 - not crypto
        picked = set(rng.sample(chosen, policy.pick))
        skipped += [
            (login, f"not drawn (review.pick is {policy.pick})")
            for login in chosen
            if login not in picked
        ]
        chosen = [login for login in chosen if login in picked]
    if len(chosen) > MAX_REQUESTED:
        skipped += [
            (login, f"GitHub allows at most {MAX_REQUESTED}") for login in chosen[MAX_REQUESTED:]
        ]
        chosen = chosen[:MAX_REQUESTED]
    return Selection(chosen, skipped)


def request_reviewers(gh: GitHub, number: int, logins: list[str]) -> tuple[list[str], list[str]]:
    """Request `logins`; returns (requested, not collaborators).

    GitHub refuses the whole call with 422 when one login is not a collaborator. Then
    each login is requested on its own and the refused ones are the outsiders: asking
    `GET /collaborators/{login}` instead would need push access (FACTS.md), which a
    job that may only write pull requests does not have.
    """
    if not logins:
        return [], []
    path = gh.repo_path(f"/pulls/{number}/requested_reviewers")
    try:
        gh.request("POST", path, data={"reviewers": logins})
        return logins, []
    except Unprocessable as exc:
        if "collaborator" not in exc.message.lower():
            raise
    requested: list[str] = []
    outsiders: list[str] = []
    for login in logins:
        try:
            gh.request("POST", path, data={"reviewers": [login]})
        except Unprocessable as exc:
            if "collaborator" not in exc.message.lower():
                raise
            outsiders.append(login)
        else:
            requested.append(login)
    return requested, outsiders
