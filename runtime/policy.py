"""The review policy of DESIGN.md, as a pure function of config, PR facts and reviews.

Nothing here talks to GitHub: `check`, `explain` and the dismiss cron gather the
facts (runtime/reviews.py) and hand them to `evaluate`, so the policy is tested
exhaustively without a network and a recorded PR can be re-evaluated offline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .config import EXTERNAL, ReviewPolicy

APPROVED = "APPROVED"
CHANGES_REQUESTED = "CHANGES_REQUESTED"
COMMENTED = "COMMENTED"
DISMISSED = "DISMISSED"
PENDING = "PENDING"
STATUS_DESCRIPTION_MAX = 140  # GitHub truncates longer commit status descriptions


class Kind(StrEnum):
    INTERNAL = "internal"  # listed in the reviewers map
    MEMBER = "member"  # public member of review.external.org, not in the map
    BOT = "bot"  # a bot reviewed the way review.bots.treatment says
    EXTERNAL = "external"  # everyone else: the '*' reviewers, approvals on the head only


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

    def to_json(self) -> dict[str, Any]:
        return {"approved": self.approved, "missing": self.missing, "reasons": self.reasons}


def _unique(logins: Iterable[str], *, without: str = "") -> tuple[str, ...]:
    seen: set[str] = {without.casefold()} if without else set()
    out = []
    for login in logins:
        if login.casefold() not in seen:
            seen.add(login.casefold())
            out.append(login)
    return tuple(out)


def needs_membership(policy: ReviewPolicy, author: str, author_type: str = "User") -> bool:
    """Whether classifying `author` needs the org membership lookup (one API call)."""
    return (
        policy.external.org is not None
        and policy.entry_for(author) is None
        and not policy.is_bot(author, author_type)
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
        reviewers = _unique(entry, without=author)
        return Requirement(
            Kind.INTERNAL,
            reviewers,
            some(reviewers),
            False,
            f"{author} is in the reviewers map: {rule(reviewers)}",
        )
    if policy.is_bot(author, author_type) and policy.bots.treatment == "admins":
        reviewers = _unique(policy.admins, without=author)
        return Requirement(
            Kind.BOT,
            reviewers,
            1,
            False,
            f"{author} is a bot: one approval from an admin ({', '.join(reviewers)}) suffices",
        )
    if is_member and not policy.is_bot(author, author_type):
        reviewers = _unique(everyone, without=author)
        return Requirement(
            Kind.MEMBER,
            reviewers,
            some(reviewers),
            False,
            f"{author} is a public member of {policy.external.org} without a map entry: "
            f"{rule(reviewers)}",
        )
    reviewers = _unique(everyone, without=author)
    who = (
        "a bot reviewed as an external contributor"
        if policy.is_bot(author, author_type)
        else ("an external contributor")
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


def _short(sha: str | None) -> str:
    return (sha or "?")[:7]


def evaluate(
    policy: ReviewPolicy,
    pull: PullFacts,
    reviews: Iterable[ReviewFact],
    *,
    is_member: bool = False,
) -> Verdict:
    """Whether `pull` is approved under `policy`, what is missing, and why."""
    req = requirement(policy, pull.author, pull.author_type, is_member=is_member)
    latest = latest_reviews(reviews)
    author = pull.author.casefold()
    required = {login.casefold() for login in req.reviewers}

    rows: list[ReviewerRow] = []
    approvers: list[str] = []
    blockers: list[str] = []
    stale: list[str] = []
    for login in req.reviewers:
        review = latest.get(login.casefold())
        state, commit = (review.state, review.commit_id) if review else (None, None)
        counts = False
        if review is None:
            note = "no review yet"
        elif state == APPROVED and req.head_only and commit != pull.head_sha:
            note = (
                f"approved {_short(commit)}, not the head {_short(pull.head_sha)}: "
                "external contributors' approvals count only on the head commit"
            )
            stale.append(login)
        elif state == APPROVED:
            note, counts = "approved", True
            approvers.append(login)
        elif state == CHANGES_REQUESTED:
            note = "requested changes"
            blockers.append(login)
        elif state == DISMISSED:
            note = "review dismissed"
        else:
            note = "commented"
        rows.append(ReviewerRow(login, True, state, commit, counts, note))
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
        reasons.append(
            f"approvals on older commits do not count: {', '.join(stale)} "
            f"(head is {_short(pull.head_sha)})"
        )
    if blockers:
        reasons.append(f"changes requested by {', '.join(blockers)}")
        missing += [b for b in blockers if b not in missing]
    blocking = policy.blocking_label.casefold()
    if any(label.casefold() == blocking for label in pull.labels):
        approved = False
        reasons.append(f"the label {policy.blocking_label!r} blocks merging whatever the approvals")
    if approved:
        reasons.append(f"approved by {', '.join(approvers)}" if approvers else "approved")
    return Verdict(approved, missing, reasons, rows, req)


# ---------------------------------------------------------------- presenting


def status_description(verdict: Verdict) -> str:
    if verdict.approved:
        text = verdict.reasons[-1] if verdict.reasons else "approved"
    elif verdict.missing:
        text = f"missing approval from {', '.join(verdict.missing)}"
    else:
        text = verdict.reasons[-1]
    if len(text) > STATUS_DESCRIPTION_MAX:
        text = text[: STATUS_DESCRIPTION_MAX - 1] + "…"
    return text


def _cell(text: str | None) -> str:
    return (text or "—").replace("|", "\\|").replace("\n", " ")


def summary_markdown(verdict: Verdict, *, title: str = "Review check") -> str:
    """The job summary: the answer, why, and one row per reviewer."""
    mark = "✅ approved" if verdict.approved else "❌ not approved"
    lines = [f"### {title}: {mark}", ""]
    lines += [f"- {_cell(reason)}" for reason in verdict.reasons]
    if verdict.missing:
        lines.append(f"- **missing:** {', '.join(verdict.missing)}")
    if verdict.rows:
        lines += [
            "",
            "| reviewer | required | latest review | on commit | counts | why |",
            "|---|---|---|---|---|---|",
        ]
        for row in verdict.rows:
            lines.append(
                f"| {_cell(row.login)} | {'yes' if row.required else 'no'} | "
                f"{_cell(row.state)} | {_cell(_short(row.commit_id) if row.commit_id else None)} "
                f"| {'✅' if row.counts else '—'} | {_cell(row.note)} |"
            )
    return "\n".join(lines) + "\n"
