"""Fetching what the review policy needs, and the review-related writes, via the client.

Every call here is one the commands cannot do without; callers pass facts they
already hold (from the event payload) so that nothing is fetched twice. Choosing
reviewers is pure and lives in runtime/reviewer_selection.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import events
from .config import Config, ReviewPolicy
from .github import GitHub, NotFound, PermissionDenied, Unprocessable
from .policy import (
    APPROVED,
    Kind,
    PullFacts,
    ReviewFact,
    Verdict,
    evaluate,
    latest_reviews,
    needs_membership,
    requirement,
)
from .rules import ChangeSet, only_outside, unique_logins


def pull_facts(gh: GitHub, number: int) -> PullFacts:
    return PullFacts.from_api(gh.get(gh.repo_path(f"/pulls/{number}")))


def fetch_reviews(gh: GitHub, number: int) -> list[ReviewFact]:
    """Every submitted review, oldest first, across all pages."""
    facts = (
        ReviewFact.from_api(item) for item in gh.paginate(gh.repo_path(f"/pulls/{number}/reviews"))
    )
    return [fact for fact in facts if fact is not None]


def is_member(gh: GitHub, org: str, login: str, *, private: bool) -> bool:
    """204 yes, 404 no. `GET /orgs/{org}/public_members/{login}` needs no permission;
    with `private`, `GET /orgs/{org}/members/{login}` sees private members too (an
    App's token with `members: read`)."""
    listing = "members" if private else "public_members"
    try:
        gh.request("GET", f"/orgs/{org}/{listing}/{login}")
    except NotFound:
        return False
    return True


def membership(gh: GitHub, policy: ReviewPolicy, pull: PullFacts, *, private: bool = False) -> bool:
    """Whether the author is an org member, asking GitHub only if it matters.

    `private`: the token is an App's with `members: read`, which also sees private
    members (a webhook's author_association calls them CONTRIBUTOR, docs/github-facts.md).
    """
    if not needs_membership(policy, pull.author, pull.author_type):
        return False
    org = policy.external.org
    assert org is not None
    # For the organisation that owns the repository, GitHub already says whether the
    # author is a public member: anything but MEMBER/OWNER rules that out, no call
    # (a private member is a CONTRIBUTOR there, so `private` always asks).
    owner = pull.base_repo.split("/")[0]
    if (
        not private
        and owner.casefold() == org.casefold()
        and pull.author_association is not None
        and pull.author_association.upper() not in ("MEMBER", "OWNER")
    ):
        return False
    return is_member(gh, org, pull.author, private=private)


def needs_files(policy: ReviewPolicy) -> bool:
    """Whether the rules or the assignment read the changed files of every pull request
    (a map-only config never does). keep_approvals_on_update_merge reads them only for
    a pull request with an approval of an older commit to compare (see `gather`)."""
    return any(rule.if_.needs_files for rule in policy.rules) or bool(policy.assign.preferred)


def fetch_files(gh: GitHub, pull: PullFacts) -> ChangeSet:
    """`GET …/pulls/{n}/files`, every page; GitHub stops at 3,000 files.

    The pull request's `changed_files` count (when known) tells a cut list apart.
    """
    items = gh.paginate(gh.repo_path(f"/pulls/{pull.number}/files"))
    return ChangeSet.from_api(items, pull.changed_files)


def unchanged_since(gh: GitHub, pull: PullFacts, changes: ChangeSet, commits: set[str]) -> set[str]:
    """The older commits from which the head changes no file of the PR.

    One `GET …/compare/{commit}...{head}` per commit: the head must be strictly
    ahead of it (a force push that rewrote it does not qualify), and the files that
    differ must all lie outside the PR's own files (a merge of the base branch).
    A list at the compare API's cap, or a PR over the files cap, never qualifies.
    """
    if changes.truncated:
        return set()
    return {
        commit
        for commit in sorted(commits)
        if only_outside(gh.get(gh.repo_path(f"/compare/{commit}...{pull.head_sha}")), changes)
    }


@dataclass
class ReviewFacts:
    """Everything the policy reads about one pull request, gathered once."""

    pull: PullFacts
    reviews: list[ReviewFact]
    is_member: bool = False
    changes: ChangeSet = field(default_factory=ChangeSet)
    unchanged: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)  # what could not be read, and so what

    def verdict(self, policy: ReviewPolicy) -> Verdict:
        verdict = evaluate(
            policy,
            self.pull,
            self.reviews,
            is_member=self.is_member,
            changes=self.changes,
            unchanged_since=self.unchanged,
        )
        verdict.reasons[1:1] = self.notes
        return verdict


def stale_approved_commits(
    policy: ReviewPolicy, pull: PullFacts, reviews: list[ReviewFact], is_member: bool
) -> set[str]:
    """Commits of approvals that count only on the head and are not on it."""
    if not policy.external.keep_approvals_on_update_merge:
        return set()
    req = requirement(policy, pull.author, pull.author_type, is_member=is_member)
    if req.kind is not Kind.EXTERNAL:
        return set()
    return {
        review.commit_id
        for review in latest_reviews(reviews).values()
        if review.state == APPROVED and review.commit_id and review.commit_id != pull.head_sha
    }


NOT_COMPARED = (
    "this job was not granted contents: read for the compare API (its workflow lacks "
    "--compare-commits: run repowarden generate), so approvals of older commits count "
    "only if they are on the head"
)
COMPARE_REFUSED = (
    "the compare API could not be read (it needs contents: read), so approvals of "
    "older commits count only if they are on the head"
)


def kept_commits(
    gh: GitHub, pull: PullFacts, changes: ChangeSet, commits: set[str], *, compare: bool
) -> tuple[set[str], str]:
    """`unchanged_since`, failing closed: (commits kept, why none could be, or "").

    `compare`: the job's token may read contents (its step passes --compare-commits);
    without it no call is made.
    """
    if not compare:
        return set(), NOT_COMPARED
    try:
        return unchanged_since(gh, pull, changes, commits), ""
    except (PermissionDenied, NotFound):
        # Nothing shows the head only merged the base branch: those approvals do not count.
        return set(), COMPARE_REFUSED


def gather(
    gh: GitHub,
    config: Config,
    pull: PullFacts,
    *,
    private_members: bool = False,
    compare: bool = True,
) -> ReviewFacts:
    """Reviews (paginated); only when the policy needs them: one membership lookup,
    the changed files (paginated) and one compare per stale approved commit.

    `compare`: whether the token may call the compare API (see `kept_commits`).
    """
    policy = config.review
    reviews = fetch_reviews(gh, pull.number)
    member = membership(gh, policy, pull, private=private_members)
    facts = ReviewFacts(pull, reviews, member)
    stale = stale_approved_commits(policy, pull, reviews, member)
    if needs_files(policy) or (stale and compare):
        facts.changes = fetch_files(gh, pull)
    if stale:
        facts.unchanged, why = kept_commits(gh, pull, facts.changes, stale, compare=compare)
        if why:
            facts.notes.append(why)
    return facts


def verdict_for(
    gh: GitHub,
    config: Config,
    pull: PullFacts,
    *,
    private_members: bool = False,
    compare: bool = True,
) -> Verdict:
    """The policy's answer for a live pull request (what `check` and `explain` ask).

    `private_members`: the token is an App's with `members: read` (see `membership`);
    `compare`: it may read contents for the compare API (see `kept_commits`).
    """
    facts = gather(gh, config, pull, private_members=private_members, compare=compare)
    return facts.verdict(config.review)


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
        base_ref=pr.base.ref,
        head_ref=pr.head.ref,
        title=pr.title or "",
        body=pr.body or "",
        changed_files=pr.changed_files,
    )


# ---------------------------------------------------------------- requesting reviewers


def request_reviewers(gh: GitHub, number: int, logins: list[str]) -> tuple[list[str], list[str]]:
    """Request `logins`; returns (requested, not collaborators).

    GitHub refuses the whole call with 422 when one login is not a collaborator. Then
    each login is requested on its own and the refused ones are the outsiders: asking
    `GET /collaborators/{login}` instead would need push access (docs/github-facts.md), which a
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


def remove_requests(gh: GitHub, number: int, logins: list[str]) -> None:
    """`DELETE …/requested_reviewers`: withdraw review requests nobody needs any more."""
    if logins:
        gh.request(
            "DELETE",
            gh.repo_path(f"/pulls/{number}/requested_reviewers"),
            data={"reviewers": logins},
        )


def original_reviewers(gh: GitHub, number: int, author: str) -> list[str] | None:
    """Who was asked for or gave a review on the original of a backport (assign.go
    backportReviewers): pending requests, then reviewers, no bots, never the author.
    None when `number` is not a pull request (an issue, or nothing)."""
    try:
        original = pull_facts(gh, number)
    except NotFound:
        return None
    people = [*original.requested, *(review.login for review in fetch_reviews(gh, number))]
    return list(unique_logins((p for p in people if "[bot]" not in p.casefold()), without=author))
