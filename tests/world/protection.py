"""Branch protection and the merge box: "can pull request N merge now, and if not, why".

One oracle for every scenario. It reads only what GitHub's merge box reads: the
pull request, its reviews, the statuses and check runs on its head (or its merge
group's head), CODEOWNERS of the base branch, and the repository's roles.
Rulesets are modelled by the same settings (required checks with a source,
approvals, stale-review dismissal, code owners, merge queue).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from world import rules

if TYPE_CHECKING:
    from world.world import World

GITHUB_ACTIONS_APP_ID = 15368
WRITERS = {"write", "maintain", "admin"}


@dataclass(frozen=True)
class RequiredCheck:
    """A required status check; `source` is GitHub's "expected source": any App, GitHub
    Actions, or one App by id."""

    context: str
    source: Literal["any", "github-actions"] | int = "any"


@dataclass(frozen=True)
class Protection:
    checks: tuple[RequiredCheck, ...] = ()
    approvals: int = 0
    dismiss_stale: bool = False
    code_owners: bool = False
    merge_queue: bool = False


@dataclass
class Verdict:
    mergeable: bool
    reasons: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.mergeable

    def __str__(self) -> str:
        return "mergeable" if self.mergeable else "blocked: " + "; ".join(self.reasons)


def _app_id_of_creator(world: World, login: str) -> int | None:
    """A status belongs to the App whose installation token created it (`<slug>[bot]`)."""
    if not login.endswith("[bot]"):
        return None
    slug = login.removesuffix("[bot]")
    return int(world.gh.render.app(slug)["id"])


def _source_ok(world: World, check: RequiredCheck, app_id: int | None) -> bool:
    if check.source == "any" or not world.gh.rules(rules.REQUIRED_CHECK_SOURCE):
        return True
    wanted = GITHUB_ACTIONS_APP_ID if check.source == "github-actions" else check.source
    return app_id == wanted


def check_state(world: World, sha: str, check: RequiredCheck) -> str:
    """success | failure | pending | missing, for one required check on one commit."""
    state = world.gh.state
    found: list[tuple[int, str]] = []  # (order, outcome)
    with state.lock:
        for status in state.statuses_for(world.repo, sha):
            app_id = _app_id_of_creator(world, status.creator)
            if status.context == check.context and _source_ok(world, check, app_id):
                outcome = {"success": "success", "pending": "pending"}.get(status.state, "failure")
                found.append((status.id, outcome))
                break  # newest first
        runs = [
            c
            for c in state.check_runs
            if c.repo.lower() == world.repo.lower()
            and c.head_sha == sha
            and c.name == check.context
        ]
        for run in sorted(runs, key=lambda c: c.id, reverse=True):
            if _source_ok(world, check, int(world.gh.render.app(run.app)["id"])):
                if run.status != "completed":
                    outcome = "pending"
                elif run.conclusion in ("success", "neutral", "skipped"):
                    outcome = "success"
                else:
                    outcome = "failure"
                found.append((run.id, outcome))
                break
    if not found:
        return "missing"
    # A status and a check run of one name: the worse one decides (the stricter reading).
    outcomes = {o for _, o in found}
    for worst in ("failure", "pending", "success"):
        if worst in outcomes:
            return worst
    return "missing"


def latest_reviews(world: World, number: int) -> dict[str, str]:
    """login -> APPROVED | CHANGES_REQUESTED: each person's latest deciding review."""
    latest: dict[str, str] = {}
    for review in world.gh.reviews(world.repo, number):
        if review.state in ("APPROVED", "CHANGES_REQUESTED"):
            latest[review.user.lower()] = review.state
        elif review.state == "DISMISSED":
            latest.pop(review.user.lower(), None)
    return latest


def parse_codeowners(text: str) -> list[tuple[str, list[str]]]:
    entries = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            pattern, *owners = line.split()
            entries.append((pattern, [o.lstrip("@").lower() for o in owners]))
    return entries


def _codeowners_match(pattern: str, path: str) -> bool:
    """gitignore-style, as CODEOWNERS reads it: a pattern with a `/` (other than a trailing
    one) is anchored at the root; `dir/` matches what is under such a directory."""
    if pattern == "*":
        return True
    core = pattern.strip("/")
    parts = path.split("/")
    anchored = pattern.startswith("/") or "/" in core
    spans = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)] if anchored else parts
    if pattern.endswith("/"):
        spans = spans[:-1]  # directories only
    return any(fnmatch.fnmatchcase(span, core) for span in spans)


def owners_of(entries: list[tuple[str, list[str]]], path: str) -> list[str]:
    """The owners of `path`: the last matching line wins."""
    owners: list[str] = []
    for pattern, names in entries:
        if _codeowners_match(pattern, path):
            owners = names
    return owners


def merge_box(world: World, number: int) -> Verdict:
    pull = world.gh.pull(world.repo, number)
    reasons: list[str] = []
    if pull.state != "open":
        return Verdict(False, ["merged" if pull.merged else "closed"])
    if pull.draft:
        reasons.append("This pull request is still a work in progress")
    if world.conflicts(number):
        reasons.append("This branch has conflicts that must be resolved")
    protection = world.protection.get(pull.base_ref)
    if protection is not None:
        reasons += _review_reasons(world, number, protection)
        for check in protection.checks:
            state = check_state(world, pull.head_sha, check)
            if state != "success":
                word = {"missing": "expected", "pending": "pending", "failure": "failing"}[state]
                reasons.append(f"required check {check.context!r} is {word}")
    return Verdict(not reasons, reasons)


def _review_reasons(world: World, number: int, protection: Protection) -> list[str]:
    pull = world.gh.pull(world.repo, number)
    counts = world.gh.rules(rules.REQUIRED_APPROVALS)
    latest = latest_reviews(world, number)
    writers = {
        login
        for login, state in latest.items()
        if login != pull.author.lower() and (not counts or world.role(login) in WRITERS)
    }
    approvals = {login for login in writers if latest[login] == "APPROVED"}
    reasons = []
    if any(latest[login] == "CHANGES_REQUESTED" for login in writers):
        reasons.append("Changes requested")
    if len(approvals) < protection.approvals:
        reasons.append(
            f"Review required: {protection.approvals} approving review(s) by reviewers "
            f"with write access, {len(approvals)} so far"
        )
    if protection.code_owners and world.gh.rules(rules.CODE_OWNERS):
        entries = parse_codeowners(world.codeowners_text(pull.base_ref))
        for path in world.changed_files(number):
            owners = owners_of(entries, path)
            if owners and not any(world.is_owner(login, owners) for login in approvals):
                reasons.append(f"Code owner review required: {path} ({', '.join(owners)})")
                break
    return reasons
