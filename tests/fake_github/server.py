"""FakeGitHub: a stateful GitHub REST API on 127.0.0.1, served from a background thread.

See README.md beside this file for the API tests use.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fake_github import limits, permissions
from fake_github.clock import Clock, WallClock
from fake_github.gitstore import GitError, GitStore
from fake_github.render import Renderer
from fake_github.routes import (
    ApiError,
    Request,
    Response,
    Route,
    docs_url,
    match,
    not_found,
)
from fake_github.rules import RuleSwitches
from fake_github.state import (
    ACTIONS,
    INSTALLATION,
    USER,
    App,
    CheckRun,
    Comment,
    DismissalRestrictions,
    Job,
    Pull,
    Repo,
    Review,
    Run,
    State,
    Token,
    Workflow,
    use_clock,
)

# Scopes a workflow's `permissions:` block (and a fine-grained token) can name.
KNOWN_SCOPES = {
    "actions",
    "administration",
    "attestations",
    "checks",
    "contents",
    "deployments",
    "discussions",
    "id-token",
    "issues",
    "members",
    "metadata",
    "models",
    "packages",
    "pages",
    "pull-requests",
    "repository-projects",
    "security-events",
    "statuses",
}


@dataclass(frozen=True)
class Call:
    """One request the fake received, whatever its outcome (injected faults included)."""

    method: str
    path: str  # without the query string
    query: dict[str, str]
    status: int
    token: str | None
    body: Any = None  # decoded JSON of a write, None for reads

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


@dataclass
class _Fault:
    method: str | None
    pattern: re.Pattern[str]
    status: int
    times: int | None
    retry_after: float | None
    body: dict[str, Any] | None
    headers: dict[str, str]


@dataclass
class _Slow:
    method: str | None
    pattern: re.Pattern[str]
    seconds: float
    times: int | None


def _default_fault_body(status: int, retry_after: float | None) -> dict[str, Any]:
    if status == 403:
        return {
            "message": limits.SECONDARY_MESSAGE,
            "documentation_url": f"{limits.DOCS}#about-secondary-rate-limits",
            "status": "403",
        }
    if status == 429:
        return {
            "message": "API rate limit exceeded for installation.",
            "documentation_url": "https://docs.github.com/rest/using-the-rest-api/"
            "rate-limits-for-the-rest-api",
            "status": "429",
        }
    if status >= 500:
        return {"message": "Server Error", "status": str(status)}
    return {"message": "Injected failure", "status": str(status)}


class FakeGitHub:
    """The fake. `start()` serves it; every helper below is safe to call while it runs."""

    def __init__(
        self,
        root: Path | None = None,
        disabled_rules: Iterable[str] = (),
        clock: Clock | None = None,
    ) -> None:
        self._own_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="fake-github-")) if root is None else root
        self.root.mkdir(parents=True, exist_ok=True)
        self.state = State(clock=clock or WallClock())
        use_clock(self.state.clock)
        # GitHub's documented rules in force here (fake_github/rules.py); all by default.
        self.rules = RuleSwitches(disabled_rules)
        self.calls: list[Call] = []
        self.errors: list[str] = []  # tracebacks of crashes inside the fake
        self.limits = limits.RateLimits(self.rules, self.state.clock.now)
        self._faults: list[_Fault] = []
        self._slows: list[_Slow] = []
        # The simulated world's hooks: `before(method, path, token)` may block a request
        # (a run's writes wait for its simulated end); `after(call)` turns writes into events.
        self._listeners: list[tuple[Callable[..., None] | None, Callable[[Call], None] | None]] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.render = Renderer("http://127.0.0.1", self.state, self.rules)
        # GITHUB_TOKEN acts as this Bot; its id is the real one.
        self.add_user("github-actions[bot]", id=41898282, type="Bot")

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> FakeGitHub:
        handler = type("Handler", (_Handler,), {"gh": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{port}"
        self.render = Renderer(self.url, self.state, self.rules)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-github",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- users and organisations ----------------------------------------------------------

    def add_user(self, login: str, *, id: int | None = None, type: str | None = None) -> int:
        """A user (or Bot, for logins ending in [bot]); returns its numeric id."""
        with self.state.lock:
            user = self.state.user(login, type=type)
            if type is not None:
                user.type = type
            if id is not None and id != user.id:
                # Two logins with one id would let one pass for the other in id checks.
                taken = [u.login for u in self.state.users.values() if u.id == id]
                if taken:
                    raise ValueError(f"user id {id} is already {taken[0]}'s")
                user.id = id
            return user.id

    def add_org_member(self, org: str, login: str, *, public: bool = True) -> None:
        """`login` joins `org`; a private member is hidden from public_members."""
        with self.state.lock:
            self.state.user(org, type="Organization")
            self.state.user(login)
            self.state.org_members.setdefault(org.lower(), set()).add(login.lower())
            if not public:
                self.state.private_members.setdefault(org.lower(), set()).add(login.lower())

    def add_collaborator(self, repo: str, login: str) -> None:
        with self.state.lock:
            self.repo(repo).collaborators.add(login.lower())
            self.state.user(login)

    # -- repositories ---------------------------------------------------------------------

    def add_repo(
        self,
        full_name: str,
        *,
        default_branch: str = "main",
        files: dict[str, str | bytes] | None = None,
        id: int | None = None,
        private: bool = False,
        fork_of: str | None = None,
    ) -> Repo:
        """A repository with a real bare git repo and one initial commit of `files`.

        `fork_of` shares the parent's objects (git alternates), so commits made in
        the parent exist in the fork and the reverse once fetched.
        """
        owner, name = full_name.split("/", 1)
        with self.state.lock:
            if self.state.repo(full_name):
                raise ValueError(f"repository {full_name} already exists")
            git = GitStore(self.root / "git" / owner / f"{name}.git", default_branch)
            if fork_of is not None:
                parent = self.repo(fork_of)
                alternates = git.path / "objects" / "info" / "alternates"
                alternates.write_text(str(parent.git.path / "objects") + "\n")
                head = parent.git.resolve(parent.default_branch)
                if head:
                    git.update_ref(f"refs/heads/{default_branch}", head)
            else:
                initial = {"README.md": f"# {name}\n"} if files is None else files
                sha = git.commit_files(dict(initial), parent=None, message="Initial commit")
                git.update_ref(f"refs/heads/{default_branch}", sha)
            if fork_of is not None and files:
                head = git.resolve(default_branch)
                sha = git.commit_files(dict(files), parent=head, message="Fork changes")
                git.update_ref(f"refs/heads/{default_branch}", sha)
            repo = Repo(
                owner=self.state.user(owner).login,
                name=name,
                id=id if id is not None else self.state.new_id("repo"),
                default_branch=default_branch,
                git=git,
                private=private,
                fork=fork_of is not None,
            )
            self.state.repos[full_name.lower()] = repo
            return repo

    def git_dir(self, repo: str) -> Path:
        """The bare repository behind `repo`: `git clone` / `git fetch` from it."""
        return self.repo(repo).git.path

    def commit(
        self,
        repo: str,
        files: dict[str, str | bytes | None],
        *,
        branch: str | None = None,
        message: str = "Change files",
    ) -> str:
        """Commit `files` (None deletes) on top of `branch` (default branch) and move it."""
        with self.state.lock:
            r = self.repo(repo)
            branch = branch or r.default_branch
            parent = r.git.resolve(f"refs/heads/{branch}") or r.git.resolve(r.default_branch)
            sha = r.git.commit_files(files, parent=parent, message=message)
            r.git.update_ref(f"refs/heads/{branch}", sha)
            return sha

    def repo(self, full_name: str) -> Repo:
        """A repository's state (KeyError when there is none, unlike `state.repo`)."""
        repo = self.state.repo(full_name)
        if repo is None:
            raise KeyError(f"no repository {full_name} (add_repo it first)")
        return repo

    # -- pulls and reviews --------------------------------------------------------------------

    def add_pull(
        self,
        repo: str,
        *,
        author: str,
        head_sha: str | None = None,
        head_repo: str | None = None,
        head_ref: str = "patch-1",
        base_ref: str | None = None,
        draft: bool = False,
        labels: Iterable[str] = (),
        title: str = "A pull request",
        body: str | None = None,
        files: dict[str, str | bytes | None] | None = None,
        state: str = "open",
        created_at: str | None = None,
        number: int | None = None,
    ) -> int:
        """A pull request; returns its number.

        With `files` (or with neither `files` nor `head_sha`) the head is a real
        commit on top of the base branch, stored at refs/pull/<n>/head like GitHub
        does (and on `head_ref` in the head repository). A bare `head_sha` that is
        not in git is accepted too, for tests that never touch git data.
        A `head_repo` other than `repo` is a fork; it is created on first mention.
        """
        with self.state.lock:
            base = self.repo(repo)
            head_name = head_repo or base.full_name
            fork = self.state.repo(head_name)
            if fork is None:
                fork = self.add_repo(head_name, fork_of=base.full_name)
            number = number if number is not None else self._next_number(base)
            if head_sha is None:
                base_sha = base.git.resolve(base_ref or base.default_branch)
                changes = files if files is not None else {f"pr-{number}.txt": f"PR {number}\n"}
                head_sha = base.git.commit_files(changes, parent=base_sha, message=title)
            elif files is not None:
                raise ValueError("give add_pull either head_sha or files, not both")
            return self._new_pull(
                base,
                author=author,
                head_sha=head_sha,
                head_repo=fork.full_name,
                head_ref=head_ref,
                base_ref=base_ref or base.default_branch,
                title=title,
                body=body,
                draft=draft,
                labels=list(labels),
                state=state,
                created_at=created_at,
                number=number,
            )

    def _next_number(self, repo: Repo) -> int:
        key = repo.full_name.lower()
        self.state.next_number[key] = self.state.next_number.get(key, 0) + 1
        return self.state.next_number[key]

    def _new_pull(
        self,
        repo: Repo,
        *,
        author: str,
        head_sha: str,
        head_repo: str,
        head_ref: str,
        base_ref: str,
        title: str,
        body: str | None,
        draft: bool,
        labels: list[str] | None = None,
        state: str = "open",
        created_at: str | None = None,
        number: int | None = None,
    ) -> int:
        number = number if number is not None else self._next_number(repo)
        self.state.next_number[repo.full_name.lower()] = max(
            number, self.state.next_number.get(repo.full_name.lower(), 0)
        )
        stamp = created_at or self.state.now()
        pull = Pull(
            repo=repo.full_name,
            number=number,
            id=self.state.new_id("pull"),
            author=self.state.user(author).login,
            head_sha=head_sha,
            head_ref=head_ref,
            head_repo=head_repo,
            base_ref=base_ref,
            title=title,
            body=body,
            draft=draft,
            labels=labels or [],
            state=state,
            created_at=stamp,
            updated_at=stamp,
            closed_at=None if state == "open" else stamp,
        )
        self.state.pulls[(repo.full_name.lower(), number)] = pull
        self._store_head(pull)
        return number

    def _store_head(self, pull: Pull) -> None:
        base = self.repo(pull.repo)
        if base.git.object_type(pull.head_sha) != "commit":
            return
        base.git.update_ref(f"refs/pull/{pull.number}/head", pull.head_sha)
        head = self.state.repo(pull.head_repo)
        if head is not None and head is not base:
            head.git.update_ref(f"refs/heads/{pull.head_ref}", pull.head_sha)
        elif head is base and pull.head_ref != base.default_branch:
            base.git.update_ref(f"refs/heads/{pull.head_ref}", pull.head_sha)

    def pull(self, repo: str, number: int) -> Pull:
        with self.state.lock:
            pull = self.state.pull(repo, number)
            if pull is None:
                raise KeyError(f"no pull request {repo}#{number}")
            return pull

    def push(
        self,
        repo: str,
        number: int,
        new_head_sha: str | None = None,
        *,
        files: dict[str, str | bytes | None] | None = None,
        message: str = "More changes",
    ) -> str:
        """Move a PR's head: to `new_head_sha`, or to a new commit with `files` on top."""
        with self.state.lock:
            pull = self.pull(repo, number)
            base = self.repo(pull.repo)
            if new_head_sha is None:
                parent = (
                    pull.head_sha
                    if base.git.object_type(pull.head_sha) == "commit"
                    else base.git.resolve(pull.base_ref)
                )
                changes = (
                    files
                    if files is not None
                    else {f"pr-{number}.txt": f"push {self.state.now()}\n"}
                )
                new_head_sha = base.git.commit_files(changes, parent=parent, message=message)
            elif files is not None:
                raise ValueError("give push either new_head_sha or files, not both")
            pull.head_sha = new_head_sha
            pull.updated_at = self.state.now()
            self._store_head(pull)
            return new_head_sha

    def add_review(
        self,
        repo: str,
        number: int,
        *,
        user: str,
        state: str = "APPROVED",
        commit_id: str | None = None,
        body: str = "",
        submitted_at: str | None = None,
    ) -> int:
        """A review (on the current head unless `commit_id`); returns its id."""
        if state not in {"APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"}:
            raise ValueError(f"unknown review state {state!r} (REST states are upper case)")
        with self.state.lock:
            pull = self.pull(repo, number)
            review = self._new_review(
                pull.repo, number, user, state, commit_id or pull.head_sha, body, submitted_at
            )
            return review.id

    def _new_review(
        self,
        repo: str,
        number: int,
        user: str,
        state: str,
        commit_id: str,
        body: str,
        submitted_at: str | None = None,
    ) -> Review:
        review = Review(
            id=self.state.new_id("review"),
            repo=repo,
            number=number,
            user=self.state.user(user).login,
            state=state,
            commit_id=commit_id,
            body=body,
            submitted_at=None if state == "PENDING" else (submitted_at or self.state.now()),
        )
        self.state.reviews.append(review)
        # Submitting a review removes the reviewer from the requested list, as on GitHub.
        pull = self.state.pull(repo, number)
        if pull is not None and state != "PENDING":
            pull.requested_reviewers = [
                r for r in pull.requested_reviewers if r.lower() != user.lower()
            ]
        return review

    def add_comment(self, repo: str, number: int, *, user: str, body: str) -> int:
        """A comment on PR `number`; returns its id."""
        with self.state.lock:
            pull = self.pull(repo, number)
            comment = Comment(
                self.state.new_id("comment"), pull.repo, number, self.state.user(user).login, body
            )
            self.state.comments.append(comment)
            return comment.id

    def add_check_run(
        self,
        repo: str,
        head_sha: str,
        *,
        name: str,
        status: str = "completed",
        conclusion: str | None = "success",
        app: str = "github-actions",
    ) -> int:
        """A check run owned by App `app`; returns its id."""
        with self.state.lock:
            r = self.repo(repo)
            run = CheckRun(
                id=self.state.new_id("check_run"),
                repo=r.full_name,
                head_sha=head_sha,
                name=name,
                app=app,
                status=status,
                conclusion=conclusion if status == "completed" else None,
                completed_at=self.state.now() if status == "completed" else None,
            )
            self.state.check_runs.append(run)
            return run.id

    def reviews(self, repo: str, number: int) -> list[Review]:
        with self.state.lock:
            return sorted(self.state.reviews_of(repo, number), key=lambda r: r.id)

    def comments(self, repo: str, number: int) -> list[Any]:
        with self.state.lock:
            return sorted(self.state.comments_of(repo, number), key=lambda c: c.id)

    def statuses(self, repo: str, sha: str) -> dict[str, Any]:
        """The newest status per context on `sha`, as branch protection sees them."""
        with self.state.lock:
            return self.state.latest_statuses(repo, sha)

    # -- actions -------------------------------------------------------------------------------

    def add_workflow(
        self, repo: str, path: str, *, name: str | None = None, id: int | None = None
    ) -> int:
        with self.state.lock:
            r = self.repo(repo)
            wf = Workflow(
                id=id if id is not None else self.state.new_id("workflow"),
                repo=r.full_name,
                path=path,
                name=name or path.rsplit("/", 1)[-1].rsplit(".", 1)[0],
            )
            self.state.workflows.append(wf)
            return wf.id

    def add_run(
        self,
        repo: str,
        workflow_id: int,
        *,
        head_sha: str,
        head_repo: str | None = None,
        head_branch: str | None = None,
        pull_numbers: Iterable[int] = (),
        status: str = "completed",
        conclusion: str | None = "success",
        event: str = "pull_request_target",
        created_at: str | None = None,
        run_attempt: int = 1,
        actor: str = "github-actions[bot]",
        display_title: str = "run",
    ) -> int:
        """A workflow run; `pull_numbers` should be empty for runs from forks (as on GitHub)."""
        with self.state.lock:
            r = self.repo(repo)
            if not any(w.id == workflow_id for w in self.state.workflows):
                raise KeyError(f"no workflow {workflow_id}")
            if head_repo and self.state.repo(head_repo) is None:
                self.add_repo(head_repo, fork_of=r.full_name)
            number = 1 + sum(1 for x in self.state.runs if x.workflow_id == workflow_id)
            number += sum(1 for x in self.state.deleted_runs if x.workflow_id == workflow_id)
            run = Run(
                id=self.state.new_id("run"),
                repo=r.full_name,
                workflow_id=workflow_id,
                head_sha=head_sha,
                head_repo=head_repo or r.full_name,
                head_branch=head_branch,
                event=event,
                status=status,
                conclusion=conclusion if status == "completed" else None,
                pull_numbers=list(pull_numbers),
                run_number=number,
                run_attempt=run_attempt,
                actor=self.state.user(actor).login,
                display_title=display_title,
                created_at=created_at or self.state.now(),
                updated_at=created_at or self.state.now(),
            )
            self.state.runs.append(run)
            return run.id

    def add_job(
        self,
        repo: str,
        run_id: int,
        *,
        name: str,
        status: str = "completed",
        conclusion: str | None = "success",
        steps: list[dict[str, Any]] | None = None,
    ) -> int:
        with self.state.lock:
            r = self.repo(repo)
            if not any(x.id == run_id for x in self.state.runs):
                raise KeyError(f"no run {run_id}")
            job = Job(
                id=self.state.new_id("job"),
                run_id=run_id,
                repo=r.full_name,
                name=name,
                status=status,
                conclusion=conclusion if status == "completed" else None,
                completed_at=self.state.now() if status == "completed" else None,
                steps=steps or [],
            )
            self.state.jobs.append(job)
            return job.id

    # -- tokens -----------------------------------------------------------------------------

    def token(
        self,
        permissions_: dict[str, str] | None = None,
        *,
        repo: str | Iterable[str] | None = None,
        login: str = "github-actions[bot]",
        app: str = "github-actions",
    ) -> str:
        """A fresh token holding exactly `permissions_` (scope -> read/write/none).

        `repo` limits it to some repositories (like GITHUB_TOKEN); `login` is who
        its calls act as (comment authors, status creators, dispatch senders).
        The login also says what kind of token it is, which decides its rate
        limit: github-actions[bot] is a GITHUB_TOKEN, another `[bot]` an App
        installation token, anyone else a user's personal token.
        """
        perms = _checked_permissions(permissions_)
        if login.lower() == "github-actions[bot]":
            kind = ACTIONS
        elif login.endswith("[bot]"):
            kind = INSTALLATION
        else:
            kind = USER
        return self._mint(perms, repo=repo, login=login, app=app, kind=kind)

    def _mint(
        self,
        perms: dict[str, str],
        *,
        repo: str | Iterable[str] | None,
        login: str,
        app: str,
        kind: str,
    ) -> str:
        repos = None
        if repo is not None:
            names = [repo] if isinstance(repo, str) else list(repo)
            repos = frozenset(n.lower() for n in names)
        value = "ghs_" + secrets.token_urlsafe(27)
        with self.state.lock:
            self.state.user(login)
            self.state.tokens[value] = Token(
                value=value,
                permissions={k: v for k, v in perms.items() if v != "none"},
                repos=repos,
                login=login,
                app=app,
                kind=kind,
            )
        return value

    # -- GitHub Apps -------------------------------------------------------------------------

    def add_app(
        self,
        slug: str,
        *,
        id: int | None = None,
        client_id: str | None = None,
        permissions: dict[str, str] | None = None,
        name: str | None = None,
    ) -> App:
        """A GitHub App holding at most `permissions`; its bot user is `<slug>[bot]`."""
        perms = {k: v for k, v in _checked_permissions(permissions).items() if v != "none"}
        with self.state.lock:
            if slug.lower() in self.state.apps:
                raise ValueError(f"App {slug} already exists")
            ident = id if id is not None else self.state.new_id("app")
            app = App(
                slug=slug,
                id=ident,
                client_id=client_id or f"Iv23li{ident:014d}",
                permissions=perms,
                name=name or slug,
            )
            self.state.apps[slug.lower()] = app
            self.add_user(app.bot, type="Bot")
            return app

    def app_token(
        self,
        slug: str,
        permissions: dict[str, str] | None = None,
        repo: str | Iterable[str] | None = None,
    ) -> str:
        """An installation token of App `slug`, acting as `<slug>[bot]`.

        It holds `permissions` (None: everything the App has), which must be a subset
        of the App's, as `actions/create-github-app-token` with `permission-*` inputs
        asks for; more raises ValueError, like GitHub's 422 for that request.
        """
        with self.state.lock:
            app = self.state.apps.get(slug.lower())
        if app is None:
            raise KeyError(f"no App {slug} (add_app it first)")
        wanted = dict(app.permissions) if permissions is None else _checked_permissions(permissions)
        for scope, level in wanted.items():
            have = app.permissions.get(scope)
            if level != "none" and (have is None or (level == "write" and have != "write")):
                raise ValueError(
                    f"App {slug} cannot grant {scope}: {level} (it has {have or 'none'})"
                )
        return self._mint(wanted, repo=repo, login=app.bot, app=app.slug, kind=INSTALLATION)

    # -- repository settings ---------------------------------------------------------------

    def set_workflow_permissions(
        self, repo: str, *, can_approve_pull_request_reviews: bool
    ) -> None:
        """Settings > Actions > "Allow GitHub Actions to create and approve pull requests"."""
        with self.state.lock:
            self.repo(repo).can_approve_pull_request_reviews = can_approve_pull_request_reviews

    def restrict_dismissals(
        self, repo: str, *, users: Iterable[str] = (), apps: Iterable[str] = ()
    ) -> None:
        """ "Restrict who can dismiss pull request reviews" to these users and App slugs
        (administrators, i.e. the owner, always may)."""
        with self.state.lock:
            self.repo(repo).dismissal_restrictions = DismissalRestrictions(
                frozenset(u.lower() for u in users), frozenset(a.lower() for a in apps)
            )

    # -- call log and faults ---------------------------------------------------------------

    def calls_matching(self, method: str | None = None, path_regex: str = "") -> list[Call]:
        """Recorded calls with this method (None: any) whose path matches `path_regex`."""
        pattern = re.compile(path_regex)
        return [
            c
            for c in list(self.calls)
            if (method is None or c.method == method.upper()) and pattern.search(c.path)
        ]

    def writes(self) -> list[Call]:
        """Every call that could change state (POST/PUT/PATCH/DELETE), in order."""
        return [c for c in list(self.calls) if c.method in {"POST", "PUT", "PATCH", "DELETE"}]

    def fail(
        self,
        method: str | None,
        path_regex: str,
        status: int = 502,
        times: int | None = 2,
        retry_after: float | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` matching requests (None: all) with `status`.

        403 and 429 default to GitHub's rate-limit bodies; `retry_after` adds the
        header; `headers` adds any others (e.g. X-RateLimit-Remaining: 0 for a
        primary limit). `status=0` hangs up without answering (a network error).
        """
        with self.state.lock:
            self._faults.append(
                _Fault(
                    method.upper() if method else None,
                    re.compile(path_regex),
                    status,
                    times,
                    retry_after,
                    body,
                    dict(headers or {}),
                )
            )

    def slow(
        self,
        path_regex: str,
        seconds: float,
        *,
        method: str | None = None,
        times: int | None = None,
    ) -> None:
        """Delay matching answers by `seconds` (the request is still served)."""
        with self.state.lock:
            self._slows.append(
                _Slow(method.upper() if method else None, re.compile(path_regex), seconds, times)
            )

    def clear_faults(self) -> None:
        with self.state.lock:
            self._faults.clear()
            self._slows.clear()

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.times == 0:
                continue
            if (fault.method in (None, "*", method)) and fault.pattern.search(path):
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None

    def _take_delay(self, method: str, path: str) -> float:
        for slow in self._slows:
            if slow.times == 0:
                continue
            if (slow.method in (None, "*", method)) and slow.pattern.search(path):
                if slow.times is not None:
                    slow.times -= 1
                return slow.seconds
        return 0.0

    # -- request handling ----------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: Any, raw_body: bytes
    ) -> tuple[Response, Call]:
        split = urlsplit(raw_path)
        path = split.path
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        token_value = _token_from(headers.get("Authorization"))
        body: Any = None
        parse_error = False
        if raw_body:
            try:
                body = json.loads(raw_body)
            except ValueError:
                parse_error = True
        logged_body = body if method in {"POST", "PUT", "PATCH", "DELETE"} else None

        for before, _ in list(self._listeners):
            if before is not None:
                before(method, path, token_value)
        with self.state.lock:
            token = self.state.tokens.get(token_value) if token_value is not None else None
            who = limits.principal(self.state, token, path)
            too_many = self.limits.enter(who)
            fault = self._take_fault(method, path)
            delay = self._take_delay(method, path)
        try:
            if delay:
                time.sleep(delay)
            response = self._answer(
                method, path, query, body, token_value, headers, who, too_many, fault, parse_error
            )
        finally:
            with self.state.lock:
                self.limits.leave(who)
        call = Call(method, path, query, response.status, token_value, logged_body)
        with self.state.lock:
            self.calls.append(call)
        for _, after in list(self._listeners):
            if after is not None:
                after(call)
        return response, call

    def _answer(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        token_value: str | None,
        headers: Any,
        who: limits.Principal,
        too_many: Response | None,
        fault: _Fault | None,
        parse_error: bool,
    ) -> Response:
        """The answer to one request, charged to `who`'s rate limits."""
        with self.state.lock:
            exhausted = self.limits.exhausted(who)
            refusal = too_many
            if refusal is None and fault is None:
                refusal = self.limits.refuse(who, method)
        if fault is not None:
            headers_out = dict(fault.headers)
            if fault.retry_after is not None:
                headers_out["Retry-After"] = f"{fault.retry_after:g}"
            response = Response(
                fault.status,
                fault.body or _default_fault_body(fault.status, fault.retry_after),
                headers_out,
            )
        elif refusal is not None:
            response = refusal
        elif parse_error:
            response = Response(
                400, {"message": "Problems parsing JSON", "documentation_url": docs_url("")}
            )
        else:
            with self.state.lock:
                try:
                    response = self._dispatch(method, path, query, body, token_value)
                except Exception:
                    # A bug in the fake, not a GitHub answer: keep it for the fixture
                    # to report, and answer 500 so the client does not hang.
                    self.errors.append(f"{method} {path}\n{traceback.format_exc()}")
                    response = Response(500, {"message": "fake GitHub crashed (see gh.errors)"})
            if method == "GET" and response.status == 200:
                response = _conditional(response, headers.get("If-None-Match"))
        with self.state.lock:
            # A request refused for the spent hour does not spend more of it.
            if not (refusal is not None and too_many is None and exhausted):
                self.limits.charge(
                    who,
                    method,
                    admitted=refusal is None,
                    not_modified=response.status == 304 and token_value is not None,
                )
            # GitHub's headers on every answer; an injected fault may override them.
            response.headers = {**self.limits.headers(who), **response.headers}
        return response

    def add_listener(
        self,
        before: Callable[[str, str, str | None], None] | None = None,
        after: Callable[[Call], None] | None = None,
    ) -> None:
        """Hooks around every request (see `_listeners`); they run in the request's thread."""
        self._listeners.append((before, after))

    def rate_limit_used(self, token: str | None, path: str = "/") -> int:
        """How many requests the budget `token` spends has been charged this window
        (what X-RateLimit-Used reports); `path` picks the repository of a GITHUB_TOKEN
        that is not limited to one."""
        with self.state.lock:
            found = self.state.tokens.get(token) if token is not None else None
            return self.limits.used(limits.principal(self.state, found, path))

    def _dispatch(
        self, method: str, path: str, query: dict[str, str], body: Any, token_value: str | None
    ) -> Response:
        found = match(method, path)
        if found is None:
            return Response(
                404, {"message": "Not Found", "documentation_url": docs_url(""), "status": "404"}
            )
        route, params = found
        response = self._authorize_and_run(route, params, method, path, query, body, token_value)
        need = permissions.PERMISSIONS[route.template]
        if need and token_value is not None:
            # GitHub names what the route accepts, so a 403 can be diagnosed.
            response.headers.setdefault("X-Accepted-GitHub-Permissions", permissions.header(need))
        return response

    def _authorize_and_run(
        self,
        route: Route,
        params: dict[str, str],
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        token_value: str | None,
    ) -> Response:
        token: Token | None = None
        if token_value is not None:
            token = self.state.tokens.get(token_value)
            if token is None:
                return Response(
                    401,
                    {
                        "message": "Bad credentials",
                        "documentation_url": "https://docs.github.com/rest",
                        "status": "401",
                    },
                )
        need = permissions.PERMISSIONS[route.template]
        repo = None
        if route.needs_repo:
            repo = self.state.repo(f"{params['owner']}/{params['repo']}")
            if repo is None:
                return _error(not_found(route.template))
            outside = token is not None and token.repos is not None
            if outside and repo.full_name.lower() not in (token.repos or ()):
                # GitHub hides private repositories the token cannot see.
                if repo.private:
                    return _error(not_found(route.template))
                return _forbidden(route.template)
        if token is None:
            if method != "GET":
                return Response(
                    401,
                    {
                        "message": "Requires authentication",
                        "documentation_url": docs_url(route.template),
                        "status": "401",
                    },
                )
            if repo is not None and repo.private:
                return _error(not_found(route.template))
        elif not permissions.allows(need, token.permissions):
            return _forbidden(route.template)
        request = Request(self, method, path, query, body, params, token, route.template)
        try:
            return route.handler(request)
        except ApiError as exc:
            return _error(exc)
        except GitError as exc:
            return Response(
                422,
                {
                    "message": f"Validation Failed: {exc}",
                    "documentation_url": docs_url(route.template),
                    "status": "422",
                },
            )


def _conditional(response: Response, if_none_match: str | None) -> Response:
    """GitHub's ETag on a GET answer, and 304 Not Modified when the client has it."""
    digest = hashlib.sha256(
        json.dumps([response.body, response.headers.get("Link")], sort_keys=True).encode()
    ).hexdigest()
    etag = f'W/"{digest[:40]}"'
    offered = {tag.strip() for tag in (if_none_match or "").split(",")}
    if etag in offered or etag.removeprefix("W/") in offered:
        return Response(304, None, {"ETag": etag})
    return Response(response.status, response.body, {**response.headers, "ETag": etag})


def _checked_permissions(permissions_: dict[str, str] | None) -> dict[str, str]:
    perms = dict(permissions_ or {})
    for scope, level in perms.items():
        if scope not in KNOWN_SCOPES:
            raise ValueError(f"unknown permission scope {scope!r}")
        if level not in {"read", "write", "none"}:
            raise ValueError(f"unknown permission level {level!r} for {scope}")
    return perms


def _error(exc: ApiError) -> Response:
    return Response(exc.status, exc.body, exc.headers)


def _forbidden(template: str) -> Response:
    return Response(
        403,
        {
            "message": "Resource not accessible by integration",
            "documentation_url": docs_url(template),
            "status": "403",
        },
    )


def _token_from(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    if scheme in {"token", "bearer"}:
        return value.strip() or None
    if scheme == "basic":
        # git over HTTP sends user:token; GitHub reads the token from the password.
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return value
        return password or user
    return header.strip()


class _Server(ThreadingHTTPServer):
    """Tracks open keep-alive connections so stop() can close them all."""

    daemon_threads = True
    # socketserver's default backlog of 5 resets bursts of parallel clients.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections, self._connections = list(self._connections), set()
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out or went away is not an error of the fake.
        if isinstance(sys.exc_info()[1], ConnectionError | OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    gh: FakeGitHub
    protocol_version = "HTTP/1.1"
    server_version = "FakeGitHub/1.0"
    # Headers and body leave in two writes; without TCP_NODELAY, Nagle's algorithm
    # meets the client's delayed ACK and every keep-alive answer stalls ~40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the call log replaces the access log

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        response, _ = self.gh.handle(self.command, self.path, self.headers, raw_body)
        if response.status == 0:
            # Injected network failure: hang up without an answer.
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        payload = b"" if response.body is None else json.dumps(response.body).encode()
        self.send_response(response.status)
        if response.body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-GitHub-Api-Version-Selected", "2022-11-28")
        self.send_header("X-GitHub-Request-Id", f"FAKE:{len(self.gh.calls):08X}")
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve
