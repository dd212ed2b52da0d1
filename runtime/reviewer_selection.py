"""Whom to request as reviewers: pure functions of the config and the change.

With the reviewers map alone, the author's entry (or '*', or the admins for bots).
With rules, the reviewers follow the rules that apply: preferred reviewers by path
(Teleport's preferredReviewerFor, with '!' exclusions), then a seeded random pick
from each rule's pool, so the same pull request always gets the same people.
runtime/reviews.py does the GitHub calls; runtime/commands/assign.py ties them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from .config import EXTERNAL, ReviewPolicy
from .policy import PullFacts, Verdict, evaluate_rules, requirement
from .review_rules import Rule
from .rules import ChangeSet, RuleResult, branch_matches, matching

MAX_REQUESTED = 15  # GitHub refuses more requested reviewers on one pull request


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


def _draw(seed: str, people: Sequence[str], k: int) -> list[str]:
    # Seeded by repository, PR and rule: a re-run picks the same people, and a test
    # can fix the draw. Not for secrets.
    rng = random.Random(seed)  # noqa: S311 - not crypto
    return rng.sample(list(people), k)


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
    omitted = {login.casefold() for login in policy.assign.omit}
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
        elif key in omitted:
            skipped.append((login, "on review.assign.omit (never requested; still counts)"))
        elif key in requested:
            skipped.append((login, "already requested"))
        elif key in reviewed:
            skipped.append((login, "already reviewed"))
        else:
            chosen.append(login)
    if policy.pick is not None and len(chosen) > policy.pick and not policy.has_rules:
        picked = set(_draw(f"{repository.casefold()}#{pull.number}", chosen, policy.pick))
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


# ---------------------------------------------------------------- from the rules


def preferred_for(
    policy: ReviewPolicy, slot: Sequence[str], names: Sequence[str]
) -> list[tuple[str, str]]:
    """Teleport's getPreferredReviewers: one reviewer per preferred path a file falls
    under, that reviewer's other paths then counting as covered. (login, file) pairs."""
    patterns_of = {login.casefold(): pats for login, pats in policy.assign.preferred.items()}
    by_path: dict[str, list[str]] = {}
    for login in slot:
        for pattern in patterns_of.get(login.casefold(), ()):
            if not pattern.startswith("!"):
                by_path.setdefault(pattern, []).append(login)
    covered: set[str] = set()
    chosen: list[tuple[str, str]] = []
    for path in sorted(by_path):
        if path in covered:
            continue
        under = matching([path], names)
        # A reviewer's own '!' patterns exclude files from the paths they prefer.
        fits = {}
        for login in by_path[path] if under else ():
            excluded = [p[1:] for p in patterns_of[login.casefold()] if p.startswith("!")]
            gone = set(matching(excluded, under)) if excluded else set()
            if files := [name for name in under if name not in gone]:
                fits[login] = files
        if not fits:
            continue
        people = sorted(fits, key=str.casefold)
        login = _draw(f"preferred#{path}#{','.join(people)}", people, 1)[0]
        chosen.append((login, fits[login][0]))
        covered.update(p for p in patterns_of[login.casefold()] if not p.startswith("!"))
    return chosen


def _slots(
    policy: ReviewPolicy, rule: Rule, result: RuleResult
) -> list[tuple[str, list[str], int]]:
    """(name, people, how many to request) per part of a rule's pool."""
    req = rule.require
    pool = list(result.pool)
    if req.approvals == "all":
        return [(result.name, pool, len(pool))]
    want = rule.request.pick or req.approvals
    if req.at_least_one_from is None:
        return [(result.name, pool, want)]
    owners = {login.casefold() for login in policy.group(req.at_least_one_from)}
    inside = [login for login in pool if login.casefold() in owners]
    outside = [login for login in pool if login.casefold() not in owners]
    slots = [(f"{result.name}/{req.at_least_one_from}", inside, 1)]
    if want > 1:
        slots.append((f"{result.name}/others", outside or inside, want - 1))
    return slots


def rule_candidates(
    policy: ReviewPolicy,
    repository: str,
    pull: PullFacts,
    changes: ChangeSet,
    *,
    is_member: bool = False,
) -> list[tuple[str, str]]:
    """Whom the rules in force ask for, in order, each with the reason."""
    req = requirement(policy, pull.author, pull.author_type, is_member=is_member)
    out: list[tuple[str, str]] = []
    if req.reviewers:
        out += [(login, "the reviewers map") for login in candidates(policy, pull)]
    results = evaluate_rules(policy, pull, req, changes, set())
    omitted = {login.casefold() for login in policy.assign.omit}
    only = {login.casefold() for login in policy.assign.preferred_only}
    names = changes.names
    for result in results:
        if not result.in_force or result.effect == "bypass":
            continue
        rule = next(r for r in policy.rules if r.name == result.name)
        for slot_name, people, want in _slots(policy, rule, result):
            people = [login for login in people if login.casefold() not in omitted]
            chosen = preferred_for(policy, people, names)
            out += [
                (login, f"rule {result.name!r}: preferred for {file}") for login, file in chosen
            ]
            taken = {login.casefold() for login, _ in out}
            left = want - len(chosen)
            pool = sorted(
                (p for p in people if p.casefold() not in only and p.casefold() not in taken),
                key=str.casefold,
            )
            if left > 0 and pool:
                seed = f"{repository.casefold()}#{pull.number}#{slot_name}"
                drawn = _draw(seed, pool, min(left, len(pool)))
                out += [(login, f"rule {result.name!r}: drawn from {slot_name}") for login in drawn]
    return out


# ---------------------------------------------------------------- backports

_REFERENCE = r"(?:https://github\.com/{repo}/pull/|#)([0-9]+)"


def is_backport(policy: ReviewPolicy, pull: PullFacts) -> bool:
    conv = policy.assign.backports
    if conv is None:
        return False
    by_branch = bool(conv.branches) and branch_matches(conv.branches, pull.base_ref)
    by_title = any(fnmatchcase(pull.title, pattern) for pattern in conv.titles)
    return by_branch or by_title


def original_number(repository: str, pull: PullFacts) -> int | None:
    """The original PR a backport names in its title or body (Teleport's findOriginalPR).

    None when neither names one, or when they name different ones.
    """
    pattern = re.compile(_REFERENCE.format(repo=re.escape(repository)), re.IGNORECASE)
    found = {int(m.group(1)) for text in (pull.title, pull.body) if (m := pattern.search(text))}
    return found.pop() if len(found) == 1 else None


def unneeded_requests(verdict: Verdict, pull: PullFacts) -> list[str]:
    """Once the PR is approved, pending requests of people who never reviewed (check.go
    dismissReviewers): nobody needs their review any more."""
    if not verdict.approved:
        return []
    reviewed = {row.login.casefold() for row in verdict.rows if row.state}
    return [login for login in pull.requested if login.casefold() not in reviewed]
