"""The review policy (docs/design.md, "Review rules"): a pure function of config and facts.

Nothing here talks to GitHub: `check`, `explain` and the dismiss cron gather the
facts (runtime/reviews.py) and hand them to `evaluate`, so the policy is tested
exhaustively without a network and a recorded PR can be re-evaluated offline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .config import EXTERNAL, ReviewPolicy
from .review_report import (
    STATUS_DESCRIPTION_MAX,
    short_sha,
    status_description,
    summary_markdown,
)
from .rules import (
    AuthorFacts,
    ChangeSet,
    RuleResult,
    conditions_hold,
    describe,
    judge,
    pool_of,
    unique_logins,
)

__all__ = [
    "STATUS_DESCRIPTION_MAX",
    "status_description",
    "summary_markdown",
]  # re-exported: rendering lives beside

APPROVED = "APPROVED"
CHANGES_REQUESTED = "CHANGES_REQUESTED"
COMMENTED = "COMMENTED"
DISMISSED = "DISMISSED"
PENDING = "PENDING"


class Kind(StrEnum):
    INTERNAL = "internal"  # listed in the reviewers map
    MEMBER = "member"  # public member of review.external.org, not in the map
    BOT = "bot"  # a bot reviewed the way review.bots.treatment says
    EXTERNAL = "external"  # everyone else: the '*' reviewers, approvals on the head only
    GROUP = "group"  # in a review group, no map entry: the rules alone decide


@dataclass(frozen=True)
class ReviewFact:
    """One submitted review, in the REST API's shape (state upper case)."""

    id: int
    login: str
    state: str
    commit_id: str | None = None

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> ReviewFact | None:
        user = item.get("user")
        if not user:  # a deleted account ("ghost") cannot be a required reviewer
            return None
        return cls(
            id=int(item["id"]),
            login=str(user["login"]),
            state=str(item["state"]).upper(),
            commit_id=item.get("commit_id"),
        )


@dataclass(frozen=True)
class PullFacts:
    number: int
    author: str
    head_sha: str
    base_repo: str
    head_repo: str | None = None
    author_type: str = "User"
    labels: tuple[str, ...] = ()
    draft: bool = False
    requested: tuple[str, ...] = ()
    base_ref: str = ""
    head_ref: str = ""
    title: str = ""
    body: str = ""
    changed_files: int | None = None  # GitHub's count, which says if the file list was cut
    # GitHub's relation of the author to the repository (MEMBER, OWNER, CONTRIBUTOR,
    # FIRST_TIME_CONTRIBUTOR, ...); None when the source did not say.
    author_association: str | None = None

    @property
    def from_fork(self) -> bool:
        return (self.head_repo or "").casefold() != self.base_repo.casefold()

    @classmethod
    def from_api(cls, pull: Mapping[str, Any]) -> PullFacts:
        """From `GET /repos/{o}/{r}/pulls/{n}` or a webhook's `pull_request` object."""
        head, base = pull["head"], pull["base"]
        return cls(
            number=int(pull["number"]),
            author=str(pull["user"]["login"]),
            author_type=str(pull["user"].get("type") or "User"),
            head_sha=str(head["sha"]),
            head_repo=(head.get("repo") or {}).get("full_name"),
            base_repo=str((base.get("repo") or {}).get("full_name") or ""),
            labels=tuple(str(label["name"]) for label in pull.get("labels") or ()),
            draft=bool(pull.get("draft")),
            requested=tuple(
                str(r["login"]) for r in pull.get("requested_reviewers") or () if r.get("login")
            ),
            author_association=pull.get("author_association"),
            base_ref=str(base.get("ref") or ""),
            head_ref=str(head.get("ref") or ""),
            title=str(pull.get("title") or ""),
            body=str(pull.get("body") or ""),
            changed_files=pull.get("changed_files"),
        )


@dataclass(frozen=True)
class Requirement:
    kind: Kind
    reviewers: tuple[str, ...]  # who may approve (the author removed)
    needed: int  # how many of them must approve
    head_only: bool  # approvals count only on the current head commit
    why: str


@dataclass(frozen=True)
class ReviewerRow:
    login: str
    required: bool
    state: str | None  # the effective state after the latest-wins rules
    commit_id: str | None
    counts: bool
    note: str


@dataclass
class Verdict:
    approved: bool
    missing: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    rows: list[ReviewerRow] = field(default_factory=list)
    requirement: Requirement | None = None
    rules: list[RuleResult] = field(default_factory=list)
    # Required reviewers whose approval of an older commit still stands although the
    # policy dismisses it on push: the dismissal was refused (403) or has not run yet.
    undismissed: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "approved": self.approved,
            "missing": self.missing,
            "reasons": self.reasons,
        }
        if self.rules:  # only configs with rules: the map-only answer stays as it was
            answer["rules"] = [result.to_json() for result in self.rules]
        return answer


def needs_membership(policy: ReviewPolicy, author: str, author_type: str = "User") -> bool:
    """Whether classifying `author` needs the org membership lookup (one API call)."""
    return (
        policy.external.org is not None
        and policy.entry_for(author) is None
        and not policy.is_bot(author, author_type)
        and not (policy.has_rules and policy.groups_of(author))
    )


def requirement(
    policy: ReviewPolicy, author: str, author_type: str = "User", *, is_member: bool = False
) -> Requirement:
    """Who must approve a PR by `author`, how many, and on which commits."""
    entry = policy.entry_for(author)
    everyone = policy.reviewers[EXTERNAL]

    def some(reviewers: tuple[str, ...]) -> int:
        if policy.required == "all":
            return len(reviewers)
        return min(policy.required, len(reviewers))

    def rule(reviewers: tuple[str, ...]) -> str:
        if policy.required == "all" or some(reviewers) == len(reviewers):
            return f"all of {', '.join(reviewers)} must approve"
        return f"any {some(reviewers)} of {', '.join(reviewers)} must approve"

    if entry is not None:
        reviewers = unique_logins(entry, without=author)
        return Requirement(
            Kind.INTERNAL,
            reviewers,
            some(reviewers),
            False,
            f"{author} is in the reviewers map: {rule(reviewers)}",
        )
    groups = policy.groups_of(author) if policy.has_rules else []
    if groups:
        return Requirement(
            Kind.GROUP,
            (),
            0,
            False,
            f"{author} is in {', '.join(groups)} and has no map entry: the rules decide",
        )
    if policy.is_bot(author, author_type) and policy.bots.treatment == "admins":
        reviewers = unique_logins(policy.admins, without=author)
        return Requirement(
            Kind.BOT,
            reviewers,
            1,
            False,
            f"{author} is a bot: one approval from an admin ({', '.join(reviewers)}) suffices",
        )
    reviewers = unique_logins(everyone, without=author)
    if is_member and not policy.is_bot(author, author_type):
        member = f"{author} is a public member of {policy.external.org} without a map entry"
        if policy.has_rules:
            return Requirement(Kind.MEMBER, (), 0, False, f"{member}: the rules decide")
        return Requirement(
            Kind.MEMBER, reviewers, some(reviewers), False, f"{member}: {rule(reviewers)}"
        )
    who = (
        "a bot reviewed as an external contributor"
        if policy.is_bot(author, author_type)
        else "an external contributor"
    )
    return Requirement(
        Kind.EXTERNAL,
        reviewers,
        policy.external.approvals,
        True,
        f"{author} is {who}: {policy.external.approvals} approval(s) from "
        f"{', '.join(reviewers)} on the head commit are needed",
    )


def latest_reviews(reviews: Iterable[ReviewFact]) -> dict[str, ReviewFact]:
    """The review that decides each user's state, keyed by case-folded login.

    Reviews come in chronological order (as GitHub lists them). The latest wins,
    except that a COMMENTED review never replaces an approval or a change request;
    a DISMISSED review replaces anything; PENDING (unsubmitted) reviews are ignored.
    """
    latest: dict[str, ReviewFact] = {}
    for review in reviews:
        if review.state == PENDING:
            continue
        key = review.login.casefold()
        current = latest.get(key)
        if (
            review.state == COMMENTED
            and current is not None
            and current.state in (APPROVED, CHANGES_REQUESTED)
        ):
            continue
        latest[key] = review
    return latest


def _counts_on(
    policy: ReviewPolicy, pull: PullFacts, head_only: bool, unchanged_since: frozenset[str]
) -> Callable[[ReviewFact], bool]:
    """Whether an approval's commit lets it count under the external contributors' rule."""

    def counts(review: ReviewFact) -> bool:
        if not head_only or review.commit_id == pull.head_sha:
            return True
        return (
            policy.external.keep_approvals_on_update_merge and review.commit_id in unchanged_since
        )

    return counts


def _survived(review: ReviewFact, pull: PullFacts) -> str:
    return (
        f"approved {short_sha(review.commit_id)}; the compare API shows the head "
        f"{short_sha(pull.head_sha)} changes none of the PR's files since (a merge of the base "
        "branch), so it still counts"
    )


def evaluate(
    policy: ReviewPolicy,
    pull: PullFacts,
    reviews: Iterable[ReviewFact],
    *,
    is_member: bool = False,
    changes: ChangeSet | None = None,
    unchanged_since: Iterable[str] = (),
) -> Verdict:
    """Whether `pull` is approved under `policy`, what is missing, and why.

    `changes` are the PR's files (GET …/pulls/{n}/files), needed only by rules on
    the change; `unchanged_since` are older commits whose diff to the head touches no
    file of the PR (review.external.keep_approvals_on_update_merge).
    """
    req = requirement(policy, pull.author, pull.author_type, is_member=is_member)
    latest = latest_reviews(reviews)
    counts = _counts_on(policy, pull, req.head_only, frozenset(unchanged_since))
    author = pull.author.casefold()
    required = {login.casefold() for login in req.reviewers}

    rows: list[ReviewerRow] = []
    approvers: list[str] = []
    blockers: list[str] = []
    stale: list[str] = []
    for login in req.reviewers:
        review = latest.get(login.casefold())
        state, commit = (review.state, review.commit_id) if review else (None, None)
        if review is not None and state == APPROVED and counts(review):
            survived = req.head_only and commit != pull.head_sha
            note, counted = (_survived(review, pull) if survived else "approved"), True
            approvers.append(login)
        else:
            note, counted = _state_note(review, pull), False
            if state == APPROVED:
                stale.append(login)
            elif state == CHANGES_REQUESTED:
                blockers.append(login)
        rows.append(ReviewerRow(login, True, state, commit, counted, note))

    # An external contributor's push has their approvals dismissed (dismiss-approvals);
    # one still standing is one GitHub refused to dismiss, or not yet dismissed.
    undismissed = stale if policy.external.dismiss_on_push and req.kind is Kind.EXTERNAL else []
    if policy.has_rules:
        verdict = _with_rules(
            policy, pull, req, latest, counts, changes or ChangeSet(), rows, approvers
        )
        if stale:
            verdict.reasons.insert(1, _stale_reason(stale, pull))
        if undismissed:
            verdict.reasons.insert(2, _undismissed_reason(undismissed))
            verdict.undismissed = undismissed
        return verdict

    for key, review in latest.items():
        if key in required:
            continue
        note = "the author; never counts" if key == author else "not a required reviewer"
        rows.append(ReviewerRow(review.login, False, review.state, review.commit_id, False, note))

    reasons = [req.why]
    approved = len(approvers) >= req.needed and not blockers
    missing: list[str] = []
    if len(approvers) < req.needed:
        missing = [r.login for r in rows if r.required and not r.counts]
        have = f"{len(approvers)} ({', '.join(approvers)})" if approvers else "none"
        reasons.append(f"{req.needed} approval(s) needed, {have} so far")
    if stale:
        reasons.append(_stale_reason(stale, pull))
    if undismissed:
        reasons.append(_undismissed_reason(undismissed))
    if blockers:
        reasons.append(f"changes requested by {', '.join(blockers)}")
        missing += [b for b in blockers if b not in missing]
    blocked = _blocking_label(policy, pull)
    if blocked:
        approved = False
        reasons.append(blocked)
    if approved:
        reasons.append(f"approved by {', '.join(approvers)}" if approvers else "approved")
    return Verdict(approved, missing, reasons, rows, req, undismissed=undismissed)


def _stale_reason(stale: list[str], pull: PullFacts) -> str:
    return (
        f"approvals on older commits do not count: {', '.join(stale)} "
        f"(head is {short_sha(pull.head_sha)})"
    )


def _undismissed_reason(undismissed: list[str]) -> str:
    return (
        f"still standing although review.external.dismiss_on_push dismisses them on push: "
        f"the approvals of older commits by {', '.join(undismissed)} (GitHub refused the "
        'dismissal, a 403 under "Restrict who can dismiss pull request reviews", or '
        "dismiss-approvals has not run yet); GitHub may show them as approvals, the gate "
        "does not count them"
    )


def _blocking_label(policy: ReviewPolicy, pull: PullFacts) -> str:
    blocking = policy.blocking_label.casefold()
    if any(label.casefold() == blocking for label in pull.labels):
        return f"the label {policy.blocking_label!r} blocks merging whatever the approvals"
    return ""


def author_facts(policy: ReviewPolicy, pull: PullFacts, req: Requirement) -> AuthorFacts:
    kind = {
        Kind.INTERNAL: "internal",
        Kind.GROUP: "internal",
        Kind.MEMBER: "member",
        Kind.BOT: "bot",
        Kind.EXTERNAL: "external",
    }[req.kind]
    return AuthorFacts(
        login=pull.author,
        kind=kind,
        is_bot=policy.is_bot(pull.author, pull.author_type),
        groups=tuple(policy.groups_of(pull.author)),
    )


def evaluate_rules(
    policy: ReviewPolicy,
    pull: PullFacts,
    req: Requirement,
    changes: ChangeSet,
    approved: set[str],
) -> list[RuleResult]:
    """Each rule: matched or not and why, met or not, and whether it is in force."""
    who = author_facts(policy, pull, req)
    results = []
    for rule in policy.rules:
        matched, why = conditions_hold(
            rule.if_,
            author=who,
            base_ref=pull.base_ref,
            head_ref=pull.head_ref,
            labels=pull.labels,
            changes=changes,
        )
        pool = pool_of(policy, rule.require, pull.author)
        result = RuleResult(rule.name, rule.effect, matched, why, describe(rule.require), pool)
        if matched:
            result.approvers, result.met, result.missing = judge(
                policy, rule, pool, approved, pull.author
            )
        results.append(result)
    overriding = [r for r in results if r.matched and r.effect == "override"]
    for result in results:
        if not result.matched:
            continue
        if result.effect == "bypass":
            result.in_force = True
            result.note = "when met, approves the PR whatever the other rules say"
        elif overriding and result.effect == "require":
            result.note = f"set aside by {', '.join(repr(r.name) for r in overriding)}"
        else:
            result.in_force = True
    return results


def _with_rules(
    policy: ReviewPolicy,
    pull: PullFacts,
    req: Requirement,
    latest: dict[str, ReviewFact],
    counts: Callable[[ReviewFact], bool],
    changes: ChangeSet,
    rows: list[ReviewerRow],
    map_approvers: list[str],
) -> Verdict:
    author = pull.author.casefold()
    approved_by = {
        key
        for key, review in latest.items()
        if review.state == APPROVED and key != author and counts(review)
    }
    results = evaluate_rules(policy, pull, req, changes, approved_by)
    in_force = [r for r in results if r.in_force and r.effect != "bypass"]
    bypass = [r for r in results if r.in_force and r.effect == "bypass" and r.met]
    map_applies = req.kind not in (Kind.GROUP, Kind.MEMBER)
    map_met = len(map_approvers) >= req.needed

    reasons = [req.why]
    if changes.truncated:
        reasons.append(
            "GitHub lists at most 3,000 changed files and this PR has more: every path "
            "condition is taken to match"
        )
    for result in results:
        if result.effect == "bypass" and result.in_force:
            if not result.met:
                reasons.append(
                    f"rule {result.name!r} (bypass): not met; {result.missing} would approve "
                    "the PR on its own"
                )
        elif result.in_force or (result.matched and result.note):
            state = "met" if result.met else f"missing {result.missing}"
            extra = f" ({result.note})" if result.note and not result.in_force else ""
            reasons.append(f"rule {result.name!r}: applies, {state}{extra}")

    # Who counts for a rule in force may also block it with a change request.
    pools = {login.casefold(): login for r in results if r.in_force for login in r.pool}
    pools.update({login.casefold(): login for login in req.reviewers})
    blockers = [
        pools[key]
        for key, review in latest.items()
        if review.state == CHANGES_REQUESTED and key in pools and key != author
    ]
    missing: list[str] = []
    if map_applies and not map_met:
        missing += [r.login for r in rows if r.required and not r.counts]
        have = f"{len(map_approvers)} ({', '.join(map_approvers)})" if map_approvers else "none"
        reasons.append(f"reviewers map: {req.needed} approval(s) needed, {have} so far")
    if bypass:
        decided = True
        reasons.append(f"bypassed: rule {bypass[0].name!r} is met")
    else:
        unmet = [r for r in in_force if not r.met]
        # Fail closed: with neither the map nor a rule in force, nothing approves.
        decided = (map_met if map_applies else bool(in_force)) and not unmet
        if not in_force and not map_applies:
            reasons.append("no rule applies to this pull request, so nothing can approve it")
        for result in unmet:
            missing += [
                login
                for login in result.pool
                if login.casefold() not in approved_by and login not in missing
            ]
    if blockers:
        reasons.append(f"changes requested by {', '.join(blockers)}")
        missing += [b for b in blockers if b not in missing]
    approved = decided and not blockers
    blocked = _blocking_label(policy, pull)
    if blocked:
        approved = False
        reasons.append(blocked)

    listed = {row.login.casefold() for row in rows}
    for r in results:
        if not r.in_force:
            continue
        for login in r.pool:
            key = login.casefold()
            if key in listed:
                continue
            listed.add(key)
            review = latest.get(key)
            note = "approved" if key in approved_by else _state_note(review, pull)
            rows.append(
                ReviewerRow(
                    login,
                    True,
                    review.state if review else None,
                    review.commit_id if review else None,
                    key in approved_by,
                    note,
                )
            )
    for key, review in latest.items():
        if key in listed:
            continue
        note = "the author; never counts" if key == author else "not in a rule in force"
        rows.append(ReviewerRow(review.login, False, review.state, review.commit_id, False, note))
    if approved:
        everyone = sorted({row.login for row in rows if row.counts}, key=str.casefold)
        reasons.append(f"approved by {', '.join(everyone)}" if everyone else "approved")
    return Verdict(approved, missing, reasons, rows, req, results)


def _state_note(review: ReviewFact | None, pull: PullFacts) -> str:
    """The row's note for a review that does not count (an approval here is a stale one)."""
    if review is None:
        return "no review yet"
    if review.state == APPROVED:
        return (
            f"approved {short_sha(review.commit_id)}, not the head {short_sha(pull.head_sha)}: "
            "external contributors' approvals count only on the head commit"
        )
    return {
        CHANGES_REQUESTED: "requested changes",
        DISMISSED: "review dismissed",
    }.get(review.state, "commented")
