"""The review gate: one verdict per pull-request head, written by default-branch code only.

Every gate writer (`check` on pull_request_target and on workflow_run after a review
or a merge-queue run, and the `sweep` cron) goes through `settle`: it reads the pull
request as it is now (never the event payload's labels or head), evaluates the review
policy of the default branch's config, reads the gate already on the head, and writes
only when the answer changed, after re-reading the pull request once more so that a
verdict is never written for a head that is no longer the head, nor with labels that
no longer hold (a `do-not-merge` added while a run was in flight wins).

The gate has two strengths, chosen by the config:
- without `app:`, a commit status (context `review.status_context`) written with the
  job's GITHUB_TOKEN; anyone with write access can forge it;
- with `app:`, a check run of that name created with the App's installation token,
  whose output carries the reviewer table; branch protection expects that App.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import quote

from .config import Config
from .github import GitHub, GitHubError, Unprocessable
from .policy import PullFacts, Verdict, status_description, summary_markdown
from .review_report import fit_description
from .reviews import verdict_for

State = Literal["success", "failure", "error"]
Step = Literal["evaluate", "write"]
# GitHub's merge queue branches: gh-readonly-queue/<base branch>/pr-<number>-<sha>.
MERGE_QUEUE_REF = re.compile(
    r"^(?:refs/heads/)?gh-readonly-queue/(?P<base>.+)/pr-(?P<number>[1-9][0-9]{0,9})-[0-9a-f]{40}$"
)
# Attempts to catch a pull request standing still between evaluation and writing.
SETTLE_ATTEMPTS = 3
# A merge queue must make each queued PR's own group commit pass the required checks
# (REST rulesets, `merge_queue.grouping_strategy`), or a group's gate vouches for more.
ALL_GREEN = "ALLGREEN"
QUEUE_REFUSED = {
    "HEADGREEN": (
        "merge queue is HEADGREEN: this group's check would vouch for the PRs ahead of it; "
        "set ALLGREEN"
    ),
    None: "merge queue settings not readable (no ruleset): use repowarden protect's ALLGREEN one",
}
QUEUE_WHY = {
    "HEADGREEN": (
        "the base branch's merge queue groups HEADGREEN (\"Only merge non-failing pull "
        "requests\" off): a group merges on its last commit's checks alone, so this gate "
        "would vouch for every pull request ahead of it in the queue, which it does not "
        "re-read."
    ),
    None: (
        "no ruleset of the base branch holds its merge queue (a queue of classic branch "
        "protection, whose grouping no token of this job can read): whether each pull "
        "request's own group must pass is unknown, and this gate re-reads only its own "
        "pull request."
    ),
}


@dataclass(frozen=True)
class Gate:
    """What the gate says: a state, one line (status description, check-run title), markdown."""

    state: State
    title: str
    summary: str


def gate_of(verdict: Verdict, *, title: str) -> Gate:
    """The one place a verdict becomes a gate state."""
    return Gate(
        "success" if verdict.approved else "failure",
        status_description(verdict),
        summary_markdown(verdict, title=title),
    )


def review_title(number: int) -> str:
    return f"Review check for #{number}"


def error_gate(reason: str) -> Gate:
    return Gate(
        "error", fit_description(reason), f"### Review check: ❌ could not evaluate\n\n- {reason}\n"
    )


class GateCapped(GitHubError):
    """GitHub refused another status on this SHA (at most 1,000 per SHA and context)."""


class GateWriter(Protocol):
    def current(self, sha: str) -> Gate | None: ...

    def write(self, sha: str, gate: Gate) -> None: ...


class StatusGate:
    """The gate as a commit status: forgeable by anyone with write access."""

    def __init__(self, gh: GitHub, context: str, url: str) -> None:
        self.gh, self.context, self.url = gh, context, url

    def current(self, sha: str) -> Gate | None:
        # The combined status holds the newest status of each context: one call.
        combined = self.gh.get(self.gh.repo_path(f"/commits/{sha}/status"))
        for status in combined.get("statuses") or ():
            if status.get("context") == self.context:
                return Gate(status["state"], status.get("description") or "", "")
        return None

    def write(self, sha: str, gate: Gate) -> None:
        try:
            self.gh.request(
                "POST",
                self.gh.repo_path(f"/statuses/{sha}"),
                data={
                    "state": gate.state,
                    "context": self.context,
                    "description": gate.title,
                    "target_url": self.url,
                },
            )
        except Unprocessable as exc:
            # GitHub answers 422 once a SHA holds 1,000 statuses of one context.
            raise GateCapped(exc.method, exc.path, exc.status, exc.message) from None

    @staticmethod
    def same(current: Gate | None, gate: Gate) -> bool:
        return current is not None and (current.state, current.title) == (gate.state, gate.title)


CONCLUSION_STATES: dict[str | None, State] = {"success": "success", "failure": "failure"}


class CheckRunGate:
    """The gate as a check run of the configured App: only that App's token can write it."""

    def __init__(self, gh: GitHub, name: str, app_id: int, url: str) -> None:
        self.gh, self.name, self.app_id, self.url = gh, name, app_id, url

    def current(self, sha: str) -> Gate | None:
        body = self.gh.get(
            self.gh.repo_path(f"/commits/{sha}/check-runs"),
            check_name=self.name,
            app_id=self.app_id,
            filter="latest",
        )
        for run in body.get("check_runs") or ():
            if run.get("status") != "completed":
                continue
            # Any other conclusion is an error (`write` says "error" as action_required).
            state: State = CONCLUSION_STATES.get(run.get("conclusion"), "error")
            output = run.get("output") or {}
            return Gate(state, output.get("title") or "", output.get("summary") or "")
        return None

    def write(self, sha: str, gate: Gate) -> None:
        # A check run has no "error" conclusion; "action_required" fails the check too.
        conclusion = {"error": "action_required"}.get(gate.state, gate.state)
        self.gh.request(
            "POST",
            self.gh.repo_path("/check-runs"),
            data={
                "name": self.name,
                "head_sha": sha,
                "status": "completed",
                "conclusion": conclusion,
                "details_url": self.url,
                "output": {"title": gate.title, "summary": gate.summary},
            },
        )

    @staticmethod
    def same(current: Gate | None, gate: Gate) -> bool:
        return current is not None and current == gate


def writer_for(gh: GitHub, config: Config, url: str) -> StatusGate | CheckRunGate:
    context = config.review.status_context
    if config.app is not None:
        return CheckRunGate(gh, context, config.app.id, url)
    return StatusGate(gh, context, url)


# ------------------------------------------------------------------ settling one PR


@dataclass
class Settled:
    """What `settle` did for one pull request."""

    number: int
    action: Literal["written", "unchanged", "closed", "moving", "capped", "deferred", "failed"]
    head_sha: str | None = None
    gate: Gate | None = None
    verdict: Verdict | None = None
    detail: str = ""

    @property
    def line(self) -> str:
        state = f" {self.gate.state}" if self.gate else ""
        detail = f" ({self.detail})" if self.detail else ""
        return f"#{self.number} {self.action}{state}{detail}"


def read_pull(gh: GitHub, number: int) -> tuple[PullFacts, bool]:
    """The pull request as it is now, and whether it is open (one GET)."""
    raw = gh.get(gh.repo_path(f"/pulls/{number}"))
    return PullFacts.from_api(raw), raw.get("state") == "open"


def settle(
    gh: GitHub,
    config: Config,
    number: int,
    writer: StatusGate | CheckRunGate,
    *,
    pull: PullFacts | None = None,
    target_sha: str | None = None,
    allow: Callable[[Step], str | None] = lambda step: None,
    compare: bool = True,
) -> Settled:
    """Evaluate pull request `number` as it is now and write its gate if the answer changed.

    `pull` (from a listing of open pull requests) saves the first GET. `target_sha`
    writes the gate on another commit (a merge group's) instead of the PR's head.
    `allow(step)` is asked before evaluating ("evaluate": read the gate and the
    reviews, 2 calls) and before writing ("write": re-read the PR and write, 2 calls);
    when it answers a reason instead of None, the pull request is left for the next
    sweep ("deferred", with that reason).
    `compare`: the token may read contents for the compare API (reviews.kept_commits).
    """
    if pull is None:
        pull, is_open = read_pull(gh, number)
        if not is_open:
            return Settled(number, "closed", pull.head_sha, detail="not open: no gate needed")
    title = review_title(number)
    private = config.app is not None
    grouping = queue_grouping(gh, pull.base_ref) if target_sha is not None else ALL_GREEN
    for _ in range(SETTLE_ATTEMPTS):
        sha = target_sha or pull.head_sha
        refused = allow("evaluate")
        if refused is not None:
            return Settled(number, "deferred", sha, detail=refused)
        current = writer.current(sha)
        verdict = verdict_for(gh, config, pull, private_members=private, compare=compare)
        gate = (
            gate_of(verdict, title=title)
            if grouping == ALL_GREEN
            else refused_group_gate(verdict, number, grouping)
        )
        if writer.same(current, gate):
            return Settled(number, "unchanged", sha, gate, verdict)
        refused = allow("write")
        if refused is not None:
            return Settled(number, "deferred", sha, gate, verdict, refused)
        # Right before writing: is this still the head, with these labels?
        latest, is_open = read_pull(gh, number)
        if not is_open:
            return Settled(number, "closed", sha, detail="closed while it was evaluated")
        if (latest.head_sha, latest.labels) != (pull.head_sha, pull.labels):
            pull = latest  # evaluate the pull request as it is now
            continue
        try:
            writer.write(sha, gate)
        except GateCapped as exc:
            return Settled(number, "capped", sha, gate, verdict, exc.message)
        return Settled(number, "written", sha, gate, verdict)
    return Settled(number, "moving", pull.head_sha, detail="kept changing; the next run decides")


def queue_grouping(gh: GitHub, base: str) -> str | None:
    """The grouping strategy of `base`'s merge queue from its rulesets, None if none shows.

    With ALLGREEN (what `repowarden protect --merge-queue` sets) every queued PR's own
    group commit must pass the required checks, so a group's gate speaks for the PR its
    branch names. With HEADGREEN only the last group's commit must pass, for every PR
    in it. One GET with `metadata: read`, which every token holds.
    """
    rules = gh.paginate(gh.repo_path(f"/rules/branches/{quote(base, safe='')}"))
    for rule in rules:
        if rule.get("type") == "merge_queue":
            return str((rule.get("parameters") or {}).get("grouping_strategy") or "") or None
    return None


def refused_group_gate(verdict: Verdict, number: int, grouping: str | None) -> Gate:
    """A group commit's gate when the queue is not known to be ALLGREEN: never success."""
    key = grouping if grouping in QUEUE_REFUSED else "HEADGREEN"
    reason = (
        f"{QUEUE_WHY[key]} Set the ruleset's grouping_strategy to ALLGREEN (repowarden "
        "protect --merge-queue does), and each pull request's own group commit carries its "
        "own gate."
    )
    own = gate_of(verdict, title=f"#{number} itself")
    heading = f"### {review_title(number)}: ❌ refused, the merge queue is not ALLGREEN"
    return Gate("failure", QUEUE_REFUSED[key], f"{heading}\n\n- {reason}\n\n{own.summary}")


# ------------------------------------------------------------------ which pull request


def merge_queue_pull(ref: str) -> int | None:
    """The pull request a merge group was built for, from its branch name."""
    found = MERGE_QUEUE_REF.match(ref or "")
    return int(found["number"]) if found else None


def pulls_for_head(gh: GitHub, head_repo: str, head_sha: str, head_branch: str | None) -> list[int]:
    """Open pull requests whose head is this commit (else this branch) of `head_repo`.

    A fork run's `pull_requests` is always empty, so runs are matched to pull requests
    the way GitHub shows them: head repository and SHA, then head repository and branch.
    """
    by_sha: list[int] = []
    by_branch: list[int] = []
    for item in gh.paginate(gh.repo_path("/pulls"), state="open"):
        head: dict[str, Any] = item["head"]
        repo = str((head.get("repo") or {}).get("full_name") or "")
        if repo.casefold() != head_repo.casefold():
            continue
        if head["sha"] == head_sha:
            by_sha.append(int(item["number"]))
        elif head_branch is not None and head["ref"] == head_branch:
            by_branch.append(int(item["number"]))
    return sorted(by_sha or by_branch)
