"""The fake's stores: plain dataclasses that tests may read (and set up) directly.

Everything here is mutated only under `State.lock`; the HTTP handlers take it for
the whole request, test helpers on FakeGitHub take it too.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fake_github.clock import Clock, WallClock
from fake_github.gitstore import GitStore


def timestamp(epoch: float) -> str:
    """GitHub's timestamp format for an epoch second."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# The clock of the fake in use, for the dataclasses' default timestamps below. One
# fake runs at a time in a test process; FakeGitHub sets this from its State.
_active_clock: Clock = WallClock()


def use_clock(clock: Clock) -> None:
    global _active_clock
    _active_clock = clock


def now() -> str:
    return timestamp(_active_clock.now())


@dataclass
class User:
    login: str
    id: int
    type: str = "User"  # User | Bot | Organization
    site_admin: bool = False
    name: str | None = None


@dataclass
class Repo:
    owner: str
    name: str
    id: int
    default_branch: str
    git: GitStore
    private: bool = False
    fork: bool = False
    collaborators: set[str] = field(default_factory=set)  # lower-case logins
    created_at: str = field(default_factory=now)
    # Settings > Actions > General: "Allow GitHub Actions to create and approve pull
    # requests" (the API's can_approve_pull_request_reviews); off by default.
    can_approve_pull_request_reviews: bool = False
    # "Restrict who can dismiss pull request reviews": None when unrestricted.
    dismissal_restrictions: DismissalRestrictions | None = None

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class DismissalRestrictions:
    """Who may dismiss reviews besides administrators: user logins and App slugs."""

    users: frozenset[str]  # lower-case logins
    apps: frozenset[str]  # App slugs


@dataclass
class Pull:
    repo: str  # base repository full name
    number: int
    id: int
    author: str
    head_sha: str
    head_ref: str
    head_repo: str  # full name; differs from `repo` for fork PRs
    base_ref: str
    title: str = "A pull request"
    body: str | None = None
    state: str = "open"  # open | closed
    draft: bool = False
    merged: bool = False
    labels: list[str] = field(default_factory=list)
    requested_reviewers: list[str] = field(default_factory=list)
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)
    closed_at: str | None = None
    maintainer_can_modify: bool = False
    # Files of the PR when not backed by git (add_pull(files_list=...)).
    files: list[dict[str, Any]] | None = None


@dataclass
class Review:
    id: int
    repo: str
    number: int
    user: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    commit_id: str
    body: str = ""
    submitted_at: str | None = field(default_factory=now)
    dismissal_message: str | None = None


@dataclass
class Comment:
    id: int
    repo: str
    number: int
    user: str
    body: str
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)


@dataclass
class Status:
    id: int
    repo: str
    sha: str
    state: str  # error | failure | pending | success
    context: str
    creator: str
    description: str | None = None
    target_url: str | None = None
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)


@dataclass
class CheckRun:
    id: int
    repo: str
    head_sha: str
    name: str
    app: str  # slug of the App that owns it ("github-actions" for GITHUB_TOKEN)
    status: str = "queued"  # queued | in_progress | completed
    conclusion: str | None = None
    external_id: str | None = None
    details_url: str | None = None
    output: dict[str, Any] = field(default_factory=dict)
    started_at: str | None = field(default_factory=now)
    completed_at: str | None = None


@dataclass
class Workflow:
    id: int
    repo: str
    path: str
    name: str
    state: str = "active"
    created_at: str = field(default_factory=now)


@dataclass
class Run:
    id: int
    repo: str
    workflow_id: int
    head_sha: str
    head_repo: str
    head_branch: str | None
    event: str
    status: str = "completed"  # queued | in_progress | completed | ...
    conclusion: str | None = "success"
    pull_numbers: list[int] = field(default_factory=list)
    run_number: int = 1
    run_attempt: int = 1
    actor: str = "github-actions[bot]"
    display_title: str = "run"
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)


@dataclass
class Job:
    id: int
    run_id: int
    repo: str
    name: str
    status: str = "completed"
    conclusion: str | None = "success"
    started_at: str = field(default_factory=now)
    completed_at: str | None = field(default_factory=now)
    steps: list[dict[str, Any]] = field(default_factory=list)
    labels: list[str] = field(default_factory=lambda: ["ubuntu-latest"])


@dataclass
class Dispatch:
    repo: str
    event_type: str
    client_payload: dict[str, Any]
    sender: str  # login of the token's identity
    token: str | None


@dataclass(frozen=True)
class App:
    """A registered GitHub App; its installation tokens act as `<slug>[bot]`."""

    slug: str
    id: int
    client_id: str
    permissions: dict[str, str]  # scope -> "read" | "write": the most a token may hold
    name: str

    @property
    def bot(self) -> str:
        return f"{self.slug}[bot]"


# What kind of credential a token is: each kind has its own primary rate limit.
ACTIONS = "actions"  # a workflow run's GITHUB_TOKEN (acts as github-actions[bot])
INSTALLATION = "installation"  # a GitHub App installation token (acts as <slug>[bot])
USER = "user"  # a personal access token (acts as the user)


@dataclass
class Token:
    value: str
    permissions: dict[str, str]  # scope -> "read" | "write"
    repos: frozenset[str] | None  # full names (lower-case); None: every repository
    login: str  # who the calls act as
    app: str = "github-actions"  # slug of the App that owns check runs it creates
    kind: str = ACTIONS  # ACTIONS | INSTALLATION | USER


@dataclass
class State:
    """All stores, keyed the way the routes look them up."""

    def now(self) -> str:
        return timestamp(self.clock.now())

    lock: threading.RLock = field(default_factory=threading.RLock)
    # Where "now" comes from: the wall clock, or a simulated one (fake_github/clock.py).
    clock: Clock = field(default_factory=WallClock)
    users: dict[str, User] = field(default_factory=dict)  # lower-case login -> User
    repos: dict[str, Repo] = field(default_factory=dict)  # lower-case full name -> Repo
    org_members: dict[str, set[str]] = field(default_factory=dict)  # org -> lower logins
    private_members: dict[str, set[str]] = field(default_factory=dict)  # subset of the above
    pulls: dict[tuple[str, int], Pull] = field(default_factory=dict)
    reviews: list[Review] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    statuses: list[Status] = field(default_factory=list)
    check_runs: list[CheckRun] = field(default_factory=list)
    workflows: list[Workflow] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    dispatches: list[Dispatch] = field(default_factory=list)
    workflow_dispatches: list[dict[str, Any]] = field(default_factory=list)
    deleted_runs: list[Run] = field(default_factory=list)
    tokens: dict[str, Token] = field(default_factory=dict)
    apps: dict[str, App] = field(default_factory=dict)  # slug -> App
    # Issue numbers are shared by issues and pulls in one repository.
    next_number: dict[str, int] = field(default_factory=dict)
    _ids: dict[str, itertools.count[int]] = field(default_factory=dict)

    def new_id(self, kind: str) -> int:
        # Distinct ranges per kind make a mixed-up id (a review id used as a
        # comment id) fail loudly instead of hitting another object by chance.
        bases = {
            "user": 1000,
            "repo": 100_000,
            "pull": 200_000,
            "review": 300_000,
            "comment": 400_000,
            "status": 500_000,
            "check_run": 600_000,
            "workflow": 700_000,
            "run": 800_000,
            "job": 900_000,
            "app": 1_100_000,
        }
        if kind not in self._ids:
            self._ids[kind] = itertools.count(bases.get(kind, 1_000_000) + 1)
        return next(self._ids[kind])

    # -- lookups used by routes and helpers ------------------------------------

    def user(self, login: str, *, type: str | None = None) -> User:
        """The user named `login`, created on first mention."""
        key = login.lower()
        if key not in self.users:
            kind = type or ("Bot" if login.endswith("[bot]") else "User")
            taken = {u.id for u in self.users.values()}
            ident = self.new_id("user")
            while ident in taken:  # skip ids a test gave someone explicitly
                ident = self.new_id("user")
            self.users[key] = User(login=login, id=ident, type=kind)
        return self.users[key]

    def repo(self, full_name: str) -> Repo | None:
        return self.repos.get(full_name.lower())

    def pull(self, repo: str, number: int) -> Pull | None:
        return self.pulls.get((repo.lower(), number))

    def reviews_of(self, repo: str, number: int) -> list[Review]:
        return [r for r in self.reviews if r.repo.lower() == repo.lower() and r.number == number]

    def comments_of(self, repo: str, number: int) -> list[Comment]:
        return [c for c in self.comments if c.repo.lower() == repo.lower() and c.number == number]

    def statuses_for(self, repo: str, sha: str) -> list[Status]:
        """Newest first, as GitHub lists them."""
        found = [s for s in self.statuses if s.repo.lower() == repo.lower() and s.sha == sha]
        return sorted(found, key=lambda s: s.id, reverse=True)

    def latest_statuses(self, repo: str, sha: str) -> dict[str, Status]:
        """The newest status per context: what branch protection looks at."""
        latest: dict[str, Status] = {}
        for status in self.statuses_for(repo, sha):
            latest.setdefault(status.context, status)
        return latest

    def runs_of(self, repo: str, workflow_id: int | None = None) -> list[Run]:
        return [
            r
            for r in self.runs
            if r.repo.lower() == repo.lower()
            and (workflow_id is None or r.workflow_id == workflow_id)
        ]
