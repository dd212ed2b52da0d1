"""Evaluating review rules: does a rule apply to this change, and is it met?

Pure functions of (rule, pull request facts, changed files, counted approvals);
runtime/policy.py combines the results with the reviewers map into a verdict. Each
answer carries its evidence (which files, which condition), which is what
`explain`, the job summary and the status description show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .review_rules import Conditions, Requirement, Rule

if TYPE_CHECKING:
    import pathspec

    from .config import ReviewPolicy

FILES_CAP = 3000  # GET /pulls/{n}/files lists at most this many files
EXAMPLES = 3  # files named as evidence per condition


@dataclass(frozen=True)
class ChangedFile:
    """One item of `GET /repos/{o}/{r}/pulls/{n}/files`."""

    filename: str
    additions: int = 0
    deletions: int = 0
    status: str = "modified"

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> ChangedFile:
        return cls(
            filename=str(item["filename"]),
            additions=int(item.get("additions") or 0),
            deletions=int(item.get("deletions") or 0),
            status=str(item.get("status") or "modified"),
        )


@dataclass(frozen=True)
class ChangeSet:
    """The changed files of a pull request; `truncated` when GitHub's cap cut the list."""

    files: tuple[ChangedFile, ...] = ()
    truncated: bool = False

    @classmethod
    def from_api(
        cls, items: Iterable[Mapping[str, Any]], changed_files: int | None = None
    ) -> ChangeSet:
        files = tuple(ChangedFile.from_api(item) for item in items)
        # The pull request's own `changed_files` count says whether the list was cut.
        over = changed_files is not None and changed_files > len(files)
        return cls(files, truncated=over or len(files) > FILES_CAP)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.filename for f in self.files)


COMPARE_FILES_CAP = 300  # the compare API lists at most this many files


def only_outside(compare: Mapping[str, Any], changes: ChangeSet) -> bool:
    """Whether a compare answer (older commit...head) shows the head strictly ahead
    and changing none of the PR's own files: a merge of the base branch.

    A list at the compare API's cap, or a PR over the files cap, never qualifies.
    """
    files = compare.get("files") or []
    if changes.truncated or compare.get("status") != "ahead" or len(files) >= COMPARE_FILES_CAP:
        return False
    return not set(changes.names) & {str(item.get("filename")) for item in files}


@lru_cache(maxsize=256)
def _spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    import pathspec  # lazy: a policy without path rules never loads it

    return pathspec.GitIgnoreSpec.from_lines(patterns)


def matching(patterns: Sequence[str], names: Iterable[str]) -> list[str]:
    """The names a gitignore-style pattern list selects (later '!' lines exclude)."""
    spec = _spec(tuple(patterns))
    return [name for name in names if spec.match_file(name)]


def branch_matches(patterns: Sequence[str], branch: str) -> bool:
    """fnmatch with '!' exclusions: some pattern includes `branch`, no exclusion removes it."""
    included = any(fnmatchcase(branch, p) for p in patterns if not p.startswith("!"))
    return included and not any(fnmatchcase(branch, p[1:]) for p in patterns if p.startswith("!"))


def _some(names: Sequence[str]) -> str:
    more = f" and {len(names) - EXAMPLES} more" if len(names) > EXAMPLES else ""
    return ", ".join(names[:EXAMPLES]) + more


def net_lines(files: Iterable[ChangedFile], ignore: Sequence[str]) -> int:
    """Teleport's prSize: additions minus deletions over the files that count."""
    skipped = set(matching(ignore, (f.filename for f in files))) if ignore else set()
    return sum(f.additions - f.deletions for f in files if f.filename not in skipped)


@dataclass(frozen=True)
class AuthorFacts:
    login: str
    kind: str  # internal, member, bot or external (review_rules.AUTHOR_KINDS)
    is_bot: bool
    groups: tuple[str, ...]


def conditions_hold(
    cond: Conditions,
    *,
    author: AuthorFacts,
    base_ref: str,
    head_ref: str,
    labels: Sequence[str],
    changes: ChangeSet,
) -> tuple[bool, list[str]]:
    """Whether every condition holds, and one line of evidence per condition."""
    why: list[str] = []
    held = True
    names = changes.names
    capped = changes.truncated

    def note(ok: bool, text: str) -> None:
        nonlocal held
        held = held and ok
        why.append(f"{'holds' if ok else 'fails'}: {text}")

    cap = f"over GitHub's {FILES_CAP}-file list: "
    if cond.paths:
        hits = matching(cond.paths, names)
        if capped:
            note(True, f"paths: {cap}assumed to touch every path")
        elif hits:
            note(True, f"paths: {len(hits)} file(s) match ({_some(hits)})")
        else:
            note(False, "paths: no changed file matches")
    if cond.no_paths:
        hits = matching(cond.no_paths, names)
        if capped:
            note(False, f"no_paths: {cap}assumed to touch every path")
        elif hits:
            note(False, f"no_paths: {len(hits)} file(s) match ({_some(hits)})")
        else:
            note(True, "no_paths: no changed file matches")
    if cond.only_paths:
        hits = set(matching(cond.only_paths, names))
        others = [n for n in names if n not in hits]
        if capped:
            note(False, f"only_paths: {cap}cannot show that every file matches")
        elif not names:
            note(False, "only_paths: no file changed")
        elif others:
            note(False, f"only_paths: {len(others)} file(s) do not match ({_some(others)})")
        else:
            note(True, f"only_paths: all {len(names)} file(s) match")
    if cond.includes_files:
        present = set(names)
        absent = [p for p in cond.includes_files if p not in present]
        if capped:
            note(True, f"includes_files: {cap}assumed present")
        elif absent:
            note(False, f"includes_files: {_some(absent)} not changed")
        else:
            note(True, f"includes_files: all {len(cond.includes_files)} changed")
    if cond.size is not None:
        if capped:
            note(True, f"size: {cap}assumed at least {cond.size.at_least} net lines")
        else:
            lines = net_lines(changes.files, cond.size.ignore)
            sign = "≥" if lines >= cond.size.at_least else "<"
            note(
                lines >= cond.size.at_least,
                f"size: {lines} net changed lines {sign} {cond.size.at_least}"
                + (" (generated/vendored files not counted)" if cond.size.ignore else ""),
            )
    if cond.empty is not None:
        empty = not names and not capped
        note(
            empty is cond.empty,
            f"empty: the PR {'changes no file' if empty else f'changes {len(names)} file(s)'}",
        )
    if cond.branches:
        ok = branch_matches(cond.branches, base_ref)
        note(ok, f"branches: target {base_ref!r} {'matches' if ok else 'does not match'}")
    if cond.head_branches:
        ok = branch_matches(cond.head_branches, head_ref)
        note(ok, f"head_branches: {head_ref!r} {'matches' if ok else 'does not match'}")
    if cond.labels:
        wanted = {label.casefold() for label in cond.labels}
        found = [label for label in labels if label.casefold() in wanted]
        note(
            bool(found),
            f"labels: {', '.join(found) if found else 'none of ' + ', '.join(cond.labels)}",
        )
    if cond.author is not None:
        a = cond.author
        if a.is_:
            kinds = {author.kind} | ({"bot"} if author.is_bot else set())
            ok = bool(kinds & set(a.is_))
            note(
                ok, f"author: {author.login} is {author.kind}{' (a bot)' if author.is_bot else ''}"
            )
        if a.in_:
            inside = [g for g in a.in_ if g in author.groups]
            where = ", ".join(inside) or "none of " + ", ".join(a.in_)
            note(bool(inside), f"author in: {author.login} is in {where}")
        if a.not_in:
            inside = [g for g in a.not_in if g in author.groups]
            note(
                not inside,
                f"author not_in: {author.login} is in {', '.join(inside) or 'none of them'}",
            )
    if not why:
        why.append("holds: no conditions, so it applies to every pull request")
    return held, why


@dataclass
class RuleResult:
    """One rule, evaluated: whether it applied, whether it is met, and why."""

    name: str
    effect: str
    matched: bool
    conditions: list[str]
    requires: str
    pool: tuple[str, ...]  # who may approve, the author removed
    approvers: list[str] = field(default_factory=list)
    missing: str = ""
    met: bool = False
    in_force: bool = False  # applied to the verdict (not set aside by an override)
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.name,
            "effect": self.effect,
            "matched": self.matched,
            "in_force": self.in_force,
            "conditions": self.conditions,
            "requires": self.requires,
            "approved_by": self.approvers,
            "met": self.met,
            "missing": self.missing,
            **({"note": self.note} if self.note else {}),
        }


def describe(req: Requirement) -> str:
    pool = " + ".join(req.from_)
    if req.approvals == "all":
        return f"every member of {pool} approves"
    text = f"{req.approvals} approval(s) from {pool}"
    if req.at_least_one_from:
        text += f", at least one of them from {req.at_least_one_from}"
    return text


def unique_logins(logins: Iterable[str], *, without: str = "") -> tuple[str, ...]:
    """Each login once (GitHub logins ignore case), in order, never `without`."""
    seen: set[str] = {without.casefold()} if without else set()
    out = []
    for login in logins:
        if login.casefold() not in seen:
            seen.add(login.casefold())
            out.append(login)
    return tuple(out)


def pool_of(policy: ReviewPolicy, req: Requirement, author: str) -> tuple[str, ...]:
    return unique_logins(
        (login for name in req.from_ for login in policy.group(name)), without=author
    )


def judge(
    policy: ReviewPolicy, rule: Rule, pool: tuple[str, ...], approved: set[str], author: str
) -> tuple[list[str], bool, str]:
    """Who of the pool approved, whether that meets the rule, and what is missing."""
    req = rule.require
    approvers = [login for login in pool if login.casefold() in approved]
    if req.approvals == "all":
        lacking = [login for login in pool if login.casefold() not in approved]
        return approvers, not lacking, (f"approval from {', '.join(lacking)}" if lacking else "")
    gaps = []
    short = req.approvals - len(approvers)
    waiting = [login for login in pool if login.casefold() not in approved]
    if short > 0:
        if len(pool) < req.approvals:
            gaps.append(
                f"{short} more approval(s), but only {len(pool)} of the pool may approve "
                f"({author} is the author): this rule cannot be met"
            )
        else:
            gaps.append(f"{short} more approval(s) from {', '.join(waiting)}")
    if req.at_least_one_from:
        owners = {login.casefold() for login in policy.group(req.at_least_one_from)}
        if not any(login.casefold() in owners for login in approvers):
            candidates = [login for login in pool if login.casefold() in owners]
            gaps.append(f"one approval from {req.at_least_one_from} ({', '.join(candidates)})")
    return approvers, not gaps, "; ".join(gaps)
