"""The simulated world: people and Apps act; events, runs, tokens and outcomes follow.

A scenario calls actions (`open_pr`, `approve`, `push`, `label`, `dispatch`, ...),
moves time (`advance`, `settle`), and asks the merge box (`merge_box`). Every API
write (a person's, an App's or a job's) becomes the webhook event GitHub emits;
events start the rendered workflows by their `on:`, at the commit GitHub runs them
from, with the token GitHub gives them. Jobs run for real (the workflow runner,
against the fake GitHub) in threads; their *writes* wait until the job's simulated
end, so a slow run's reads happen at its start and its writes at its end.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fake_github.client import call as api
from fake_github.clock import SimulatedClock
from fake_github.gitstore import GitStore
from fake_github.server import Call, FakeGitHub
from ruamel.yaml import YAML
from workflow_runner import JobContext, JobResult, Runner
from workflow_runner import events as payloads
from workflow_runner.records import JobCancelled
from workflow_runner.runner import Environment
from workflow_runner.workflow import Workflow

from world import rules
from world.log import Event, JobRecord, RunRecord, WorldLog
from world.principals import App, Person, Role, app_token, person_permissions
from world.protection import Protection, Verdict, check_state, merge_box
from world.schedule import ScheduleModel, cron_matches

REAL_TIMEOUT = 240.0  # seconds of wall time a job may take between two world steps
SIXTY_DAYS = 60 * 86400
WORKFLOW_EVENTS = {
    "pull_request",
    "pull_request_target",
    "pull_request_review",
    "merge_group",
    "push",
    "schedule",
    "repository_dispatch",
    "workflow_dispatch",
    "workflow_run",
}


class WorldError(Exception):
    """A scenario asked for something GitHub would refuse (merging a blocked PR, ...)."""


@dataclass
class _Job:
    record: JobRecord
    flight: _Flight
    released: threading.Event = field(default_factory=threading.Event)
    held: bool = False
    done: bool = False
    cancel_pending: bool = False


@dataclass
class _Flight:
    """One event's delivery to the workflows it starts, running in its own thread."""

    event: Event
    trigger: str
    depth: int
    jobs: list[_Job] = field(default_factory=list)
    runs: list[RunRecord] = field(default_factory=list)
    done: bool = False
    reported: bool = False
    error: BaseException | None = None


class World:
    def __init__(
        self,
        gh: FakeGitHub,
        repo: str,
        workdir: Path,
        *,
        clock: SimulatedClock,
        durations: Mapping[str, float] | None = None,
        default_duration: float = 60.0,
        schedules: ScheduleModel | None = None,
        job_hook: Callable[[JobContext], None] | None = None,
        **runner_kw: Any,
    ) -> None:
        self.gh, self.repo, self.clock = gh, repo, clock
        # "file.yml", "file.yml:job", "file.yml@trigger[:job]" -> simulated seconds a job takes.
        self.durations = dict(durations or {})
        self.default_duration = default_duration
        self.schedules = schedules or ScheduleModel()
        self.people: dict[str, Person] = {}
        self.apps: dict[str, App] = {}
        self.teams: dict[str, set[str]] = {}
        self.protection: dict[str, Protection] = {}
        self.environments: dict[str, Environment] = {}
        self.log = WorldLog()
        self.verdicts: dict[int, list[tuple[float, bool]]] = {}
        self._extra_job_hook = job_hook
        self._cond = threading.Condition()
        # (event, workflow_run depth, [(trigger, (sha, ref, changed files))])
        self._pending: list[tuple[Event, int, list[tuple[str, Any]]]] = []
        self._flights: list[_Flight] = []
        self._jobs: dict[str, _Job] = {}  # token -> job
        self._token_kind: dict[str, str] = {}
        self._groups: dict[str, _Job] = {}
        self._waiting: dict[str, _Job] = {}
        self._local = threading.local()
        self._queue: dict[int, tuple[str, str]] = {}  # PR -> (group head sha, group ref)
        self._scanned_until = clock.now()
        self._due: list[tuple[float, str]] = []  # (fires at, cron)
        self._last_activity = clock.now()
        self._workflow_ids: dict[str, int] = {}
        self._conflicts: dict[tuple[str, str], bool] = {}
        self._installation_ids = itertools.count(50_000_001)
        self.runner = Runner(
            self,  # the world is the runner's host: it numbers runs and mints App tokens
            repo,
            workdir,
            job_hook=self._job_started,
            after_job=self._job_finished,
            environments=self.environments,
            run_ids=self._register_run,
            rules=gh.rules,
            **runner_kw,
        )
        gh.add_listener(before=self._gate, after=self._observe)
        self._sync_workflows()

    # ------------------------------------------------------------ the runner's host

    @property
    def url(self) -> str:
        return self.gh.url

    def token(self, permissions: dict[str, str], *, repo: str) -> str:
        return self.gh.token(permissions, repo=repo)

    def git_dir(self, repo: str) -> Path:
        return self.gh.git_dir(repo)

    def mint_app_token(
        self,
        job_token: str,
        client_id: str,
        private_key: str,
        permissions: dict[str, str] | None,
        repos: list[str],
    ) -> tuple[str, str, int]:
        """What create-github-app-token gets from GitHub for a client id and key."""
        app = next((a for a in self.apps.values() if a.client_id == client_id), None)
        if app is None or private_key != app.private_key:
            raise PermissionError("A JSON web token could not be decoded")
        token = app_token(self.gh, app, permissions, repo=repos[0] if len(repos) == 1 else None)
        self._token_kind[token] = "app"
        with self._cond:
            job = self._jobs.get(job_token)
            if job is not None:
                self._jobs[token] = job
                job.record.tokens[token] = dict(self.gh.state.tokens[token].permissions)
        return token, app.slug, next(self._installation_ids)

    # ------------------------------------------------------------ principals and settings

    def person(
        self, login: str, role: Role | None = None, *, org: str | None = None, public: bool = True
    ) -> Person:
        """A person; `role` on the repository (None: none), `org` membership of the owner."""
        person = Person(login, role, ("public" if public else "private") if org else None)
        self.people[login.lower()] = person
        self.gh.add_user(login)
        if role is not None:
            self.gh.add_collaborator(self.repo, login)
        if org:
            self.gh.add_org_member(org, login, public=public)
        return person

    def app(
        self,
        slug: str,
        permissions: dict[str, str],
        *,
        id: int | None = None,
        client_id: str | None = None,
    ) -> App:
        """A GitHub App installed on the repository. A config's `app:` names its `id` and
        `client_id`; create-github-app-token finds the App by that client id."""
        registered = self.gh.add_app(
            slug, id=id, client_id=client_id, permissions=dict(permissions)
        )
        app = App(slug, registered.id, registered.client_id, dict(permissions))
        self.apps[slug] = app
        return app

    def team(self, name: str, members: list[str]) -> None:
        self.teams[name.lower()] = {m.lower() for m in members}

    def environment(
        self, name: str, *, branches: tuple[str, ...] | None = None, secrets: dict[str, str]
    ) -> None:
        self.environments[name] = Environment(dict(secrets), branches)

    def protect(self, branch: str, protection: Protection) -> None:
        self.protection[branch] = protection

    def role(self, login: str) -> Role | None:
        if login.lower() == self.repo.split("/")[0].lower():
            return "admin"
        person = self.people.get(login.lower())
        return person.role if person else None

    def is_owner(self, login: str, owners: list[str]) -> bool:
        return any(login.lower() == o or login.lower() in self.teams.get(o, set()) for o in owners)

    def token_of(self, who: Person | App, permissions: dict[str, str] | None = None) -> str:
        """A token acting as `who`: a person's own token (by role) or an App's."""
        if isinstance(who, App):
            token = app_token(self.gh, who, permissions, repo=self.repo)
            self._token_kind[token] = "app"
        else:
            token = self.gh.token(
                permissions or person_permissions(who.role), login=who.login, app=""
            )
            self._token_kind[token] = "person"
        return token

    def _who(self, login: str | Person | App) -> Person | App:
        if isinstance(login, Person | App):
            return login
        if login.lower() not in self.people:
            return self.person(login)
        return self.people[login.lower()]

    # ------------------------------------------------------------ git helpers

    @property
    def git(self) -> GitStore:
        """The repository's git store on the fake GitHub."""
        return self.gh.repo(self.repo).git

    def tip(self, branch: str | None = None) -> str:
        r = self.gh.repo(self.repo)
        sha = r.git.resolve(f"refs/heads/{branch or r.default_branch}")
        assert sha is not None
        return sha

    @property
    def default_branch(self) -> str:
        r = self.gh.repo(self.repo)
        return r.default_branch

    def conflicts(self, number: int) -> bool:
        pull = self.gh.pull(self.repo, number)
        base = self.tip(pull.base_ref)
        key = (base, pull.head_sha)
        if key not in self._conflicts:
            self._conflicts[key] = self.git.merge(base, pull.head_sha, "test merge") is None
        return self._conflicts[key]

    def changed_files(self, number: int) -> list[str]:
        pull = self.gh.pull(self.repo, number)
        r = self.gh.repo(self.repo)
        base = r.git.merge_base(self.tip(pull.base_ref), pull.head_sha) or self.tip(pull.base_ref)
        return [d.path for d in r.git.diff(base, pull.head_sha)]

    def codeowners_text(self, branch: str) -> str:
        r = self.gh.repo(self.repo)
        files = r.git.files_at(self.tip(branch))
        for path in (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"):
            if path in files:
                return files[path].decode()
        return ""

    # ------------------------------------------------------------ events

    def _emit(
        self,
        name: str,
        payload: dict[str, Any],
        *,
        sender: str,
        cause: str,
        number: int | None = None,
        depth: int = 0,
    ) -> Event:
        event = Event(name, payload.get("action"), self.clock.now(), sender, cause, payload, number)
        starts = self._resolve(event, depth)
        with self._cond:
            self.log.events.append(event)
            self._pending.append((event, depth, starts))
            self._cond.notify_all()
        return event

    def _cause(self, token: str | None) -> str:
        if token is None:
            return "person"
        if token in self._jobs and self._token_kind.get(token) != "app":
            return "github-token"
        if token in self._token_kind:
            return self._token_kind[token]
        found = self.gh.state.tokens.get(token)
        return "github-token" if found is not None and found.app == "github-actions" else "person"

    def _observe(self, call: Call) -> None:
        """After each answered request: a successful write becomes its webhook event."""
        if call.method == "GET" or not 200 <= call.status < 300:
            return
        token = self.gh.state.tokens.get(call.token or "")
        sender = token.login if token else "ghost"
        cause = self._cause(call.token)
        prefix = f"/repos/{self.repo}/"
        if not call.path.lower().startswith(prefix.lower()):
            return
        rest = call.path[len(prefix) :]
        body = call.body if isinstance(call.body, dict) else {}
        emit = self._emitter(sender, cause)
        with self.gh.state.lock:
            if m := re.fullmatch(r"statuses/(\w+)", rest):
                emit("status", self._status_payload(m.group(1), body))
            elif rest == "check-runs" or re.fullmatch(r"check-runs/\d+", rest):
                mine = [c for c in self.gh.state.check_runs if c.repo.lower() == self.repo.lower()]
                if rest == "check-runs":
                    run = max(mine, key=lambda c: c.id)
                else:
                    run = next(c for c in mine if c.id == int(rest.split("/")[1]))
                action = "created" if rest == "check-runs" else "completed"
                emit("check_run", {"action": action, "check_run": self.gh.render.check_run(run)})
            elif m := re.fullmatch(r"pulls/(\d+)/reviews", rest):
                if body.get("event"):
                    number = int(m.group(1))
                    review = self.gh.reviews(self.repo, number)[-1]
                    emit(
                        "pull_request_review",
                        payloads.pull_request_review(self.gh, self.repo, number, review.id),
                        number,
                    )
            elif m := re.fullmatch(r"pulls/(\d+)/reviews/(\d+)/dismissals", rest):
                number = int(m.group(1))
                payload = payloads.pull_request_review(
                    self.gh, self.repo, number, int(m.group(2)), "dismissed"
                )
                emit("pull_request_review", payload, number)
            elif m := re.fullmatch(r"pulls/(\d+)/requested_reviewers", rest):
                number = int(m.group(1))
                action = "review_request_removed" if call.method == "DELETE" else "review_requested"
                emit(
                    "pull_request",
                    payloads.pull_request(self.gh, self.repo, number, action),
                    number,
                )
            elif m := re.fullmatch(r"pulls/(\d+)/update-branch", rest):
                number = int(m.group(1))  # a new head: the merge of the base into it
                pull = self.gh.pull(self.repo, number)
                if pull.head_repo.lower() == self.repo.lower():
                    self._branch_moved(pull.head_ref, sender, cause)  # a push to its branch
                self._dismiss_stale(number)
                payload = payloads.pull_request(self.gh, self.repo, number, "synchronize")
                emit("pull_request", payload, number)
            elif m := re.fullmatch(r"issues/(\d+)/comments", rest):
                emit("issue_comment", {"action": "created", "issue": {"number": int(m.group(1))}})
            elif rest == "pulls":
                number = max(n for (r, n) in self.gh.state.pulls if r == self.repo.lower())
                emit(
                    "pull_request",
                    payloads.pull_request(self.gh, self.repo, number, "opened"),
                    number,
                )
            elif m := re.fullmatch(r"git/refs(?:/heads/(.+))?", rest):
                branch = m.group(1) or str(body.get("ref", "")).removeprefix("refs/heads/")
                if branch:
                    self._branch_moved(branch, sender, cause)
            elif rest == "dispatches":
                payload = payloads.repository_dispatch(
                    self.gh,
                    self.repo,
                    str(body.get("event_type")),
                    dict(body.get("client_payload") or {}),
                    sender=sender,
                )
                emit("repository_dispatch", payload)
            elif m := re.fullmatch(r"actions/workflows/([^/]+)/dispatches", rest):
                emit("workflow_dispatch", self._dispatch_payload(m.group(1), body))

    def _emitter(self, sender: str, cause: str) -> Callable[..., Event]:
        def emit(name: str, payload: dict[str, Any], number: int | None = None) -> Event:
            payload = {**payload, **self._envelope(sender)}
            return self._emit(name, payload, sender=sender, cause=cause, number=number)

        return emit

    def _envelope(self, sender: str) -> dict[str, Any]:
        with self.gh.state.lock:
            repo = self.gh.repo(self.repo)
            return {
                "repository": self.gh.render.repo(repo, full=True),
                "sender": self.gh.render.user(sender),
            }

    def _status_payload(self, sha: str, body: dict[str, Any]) -> dict[str, Any]:
        status = self.gh.state.statuses_for(self.repo, sha)[0]
        return {
            "id": status.id,
            "sha": sha,
            "name": self.repo,
            "state": status.state,
            "context": status.context,
            "description": status.description,
            "target_url": status.target_url,
            "branches": [],
            "created_at": status.created_at,
            "updated_at": status.updated_at,
        }

    def _dispatch_payload(self, workflow: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "inputs": dict(body.get("inputs") or {}),
            "ref": f"refs/heads/{str(body.get('ref', '')).removeprefix('refs/heads/')}",
            "workflow": f".github/workflows/{workflow}",
        }

    def _branch_moved(self, branch: str, sender: str, cause: str) -> None:
        """A branch of the repository moved (git push or the Git refs API)."""
        sha = self.tip(branch)
        if branch == self.default_branch:
            self._sync_workflows()
        emit = self._emitter(sender, cause)
        emit("push", {"ref": f"refs/heads/{branch}", "after": sha, "before": None, "commits": []})
        self._last_activity = self.clock.now()
        for (repo, number), pull in list(self.gh.state.pulls.items()):
            if (
                repo == self.repo.lower()
                and pull.state == "open"
                and pull.head_repo.lower() == self.repo.lower()
                and pull.head_ref == branch
                and pull.head_sha != sha
            ):
                self.gh.push(self.repo, number, sha)
                self._dismiss_stale(number)
                emit(
                    "pull_request",
                    payloads.pull_request(self.gh, self.repo, number, "synchronize"),
                    number,
                )

    # ------------------------------------------------------------ people's actions

    def open_pr(
        self,
        author: str | Person,
        files: dict[str, str | bytes | None],
        *,
        fork: bool | None = None,
        title: str = "A change",
        base: str | None = None,
        branch: str = "patch-1",
        draft: bool = False,
        maintainer_edits: bool = True,
    ) -> int:
        """`author` pushes a branch (to their fork unless they can write here) and opens a PR.

        `maintainer_edits`: a fork's "Allow edits by maintainers", checked by default."""
        who = self._who(author)
        assert isinstance(who, Person)
        if fork is None:
            fork = who.role not in ("write", "maintain", "admin")
        name = self.repo.split("/")[1]
        number = self.gh.add_pull(
            self.repo,
            author=who.login,
            files=files,
            head_repo=f"{who.login}/{name}" if fork else None,
            head_ref=branch,
            base_ref=base,
            title=title,
            draft=draft,
        )
        if not fork:
            self._last_activity = self.clock.now()
        else:
            self.gh.pull(self.repo, number).maintainer_can_modify = maintainer_edits
        payload = payloads.pull_request(self.gh, self.repo, number, "opened")
        self._emit("pull_request", payload, sender=who.login, cause="person", number=number)
        return number

    def push(self, number: int, by: str | Person, files: dict[str, str | bytes | None]) -> str:
        who = self._who(by)
        pull = self.gh.pull(self.repo, number)
        fork = pull.head_repo.lower() != self.repo.lower()
        if fork and who.login.lower() != pull.head_repo.split("/")[0].lower():
            raise WorldError(f"{who.login} cannot push to {pull.head_repo}")
        if not fork and self.role(who.login) not in ("write", "maintain", "admin"):
            raise WorldError(f"{who.login} cannot push to {self.repo}")
        sha = self.gh.push(self.repo, number, files=files)
        self._dismiss_stale(number)
        if not fork:
            self._last_activity = self.clock.now()
        payload = payloads.pull_request(self.gh, self.repo, number, "synchronize")
        self._emit("pull_request", payload, sender=who.login, cause="person", number=number)
        return sha

    def update_branch(self, number: int, by: str | Person) -> str:
        """`by` clicks "Update branch": GitHub merges the base branch's tip into the head
        (PUT …/update-branch with their token; synchronize follows). The new head."""
        who = self._who(by)
        head = self.gh.pull(self.repo, number).head_sha
        answer = api(
            self.gh,
            "PUT",
            f"/repos/{self.repo}/pulls/{number}/update-branch",
            token=self.token_of(who),
            body={"expected_head_sha": head},
        )
        if answer.status != 202:
            raise WorldError(f"{who.login} could not update #{number}: {answer.json}")
        return self.gh.pull(self.repo, number).head_sha

    def _dismiss_stale(self, number: int) -> None:
        pull = self.gh.pull(self.repo, number)
        protection = self.protection.get(pull.base_ref)
        if protection is None or not protection.dismiss_stale:
            return
        if not self.gh.rules(rules.DISMISS_STALE):
            return
        with self.gh.state.lock:
            for review in self.gh.state.reviews_of(self.repo, number):
                if review.state == "APPROVED":
                    review.state = "DISMISSED"
                    review.dismissal_message = "new commits were pushed"

    def review(self, number: int, by: str | Person, event: str = "APPROVE", body: str = "") -> int:
        """`by` submits a review (APPROVE, REQUEST_CHANGES, COMMENT) with their own token."""
        who = self._who(by)
        answer = api(
            self.gh,
            "POST",
            f"/repos/{self.repo}/pulls/{number}/reviews",
            token=self.token_of(who),
            body={"event": event, "body": body or f"{event.lower()} by {who.login}"},
        )
        if answer.status != 200:
            raise WorldError(f"{who.login} could not review #{number}: {answer.json}")
        return int(answer.json["id"])

    def approve(self, number: int, by: str | Person) -> int:
        return self.review(number, by, "APPROVE")

    def label(self, number: int, by: str | Person, name: str, *, remove: bool = False) -> None:
        who = self._who(by)
        if self.role(who.login) not in ("triage", "write", "maintain", "admin"):
            raise WorldError(f"{who.login} cannot label")
        with self.gh.state.lock:
            pull = self.gh.pull(self.repo, number)
            if remove:
                pull.labels = [x for x in pull.labels if x != name]
            elif name not in pull.labels:
                pull.labels.append(name)
            repo = self.gh.repo(self.repo)
            label = self.gh.render.label(repo, name)
        payload = payloads.pull_request(
            self.gh, self.repo, number, "unlabeled" if remove else "labeled", sender=who.login
        )
        payload["label"] = label
        self._emit("pull_request", payload, sender=who.login, cause="person", number=number)

    def api(
        self, who: str | Person | App, method: str, path: str, body: Any = None, **kw: Any
    ) -> Any:
        """Any REST call with `who`'s own token (a person's by role, or an App's)."""
        principal = self._who(who)
        return api(self.gh, method, path, token=self.token_of(principal, **kw), body=body)

    def dispatch(
        self, by: str | Person | App, event_type: str, client_payload: dict[str, Any]
    ) -> Any:
        principal = self._who(by)
        token = self.token_of(
            principal, {"contents": "write"} if isinstance(principal, App) else None
        )
        return api(
            self.gh,
            "POST",
            f"/repos/{self.repo}/dispatches",
            token=token,
            body={"event_type": event_type, "client_payload": client_payload},
        )

    def commit(
        self, by: str | Person, files: dict[str, str | bytes | None], branch: str | None = None
    ) -> str:
        """`by` pushes a commit straight to a branch (the default branch unless named)."""
        who = self._who(by)
        if self.role(who.login) not in ("write", "maintain", "admin"):
            raise WorldError(f"{who.login} cannot push to {self.repo}")
        sha = self.gh.commit(self.repo, files, branch=branch)
        self._branch_moved(branch or self.default_branch, who.login, "person")
        return sha

    def merge(self, number: int, by: str | Person) -> str:
        who = self._who(by)
        verdict = self.merge_box(number)
        if not verdict:
            raise WorldError(f"#{number} cannot merge: {verdict}")
        if self.role(who.login) not in ("write", "maintain", "admin"):
            raise WorldError(f"{who.login} cannot merge")
        pull = self.gh.pull(self.repo, number)
        sha = self.git.merge(self.tip(pull.base_ref), pull.head_sha, f"Merge #{number}")
        assert sha is not None
        self._land(number, sha, who.login)
        return sha

    def _land(self, number: int, sha: str, by: str) -> None:
        pull = self.gh.pull(self.repo, number)
        r = self.gh.repo(self.repo)
        with self.gh.state.lock:
            r.git.update_ref(f"refs/heads/{pull.base_ref}", sha)
            pull.state, pull.merged, pull.closed_at = "closed", True, self.gh.state.now()
        self._branch_moved(pull.base_ref, by, "person")
        payload = payloads.pull_request(self.gh, self.repo, number, "closed", sender=by)
        self._emit("pull_request", payload, sender=by, cause="person", number=number)

    def enqueue(self, number: int, by: str | Person) -> str:
        """Add to the merge queue: GitHub builds the group's head and emits merge_group."""
        who = self._who(by)
        pull = self.gh.pull(self.repo, number)
        protection = self.protection.get(pull.base_ref)
        if protection is None or not protection.merge_queue:
            raise WorldError(f"{pull.base_ref} has no merge queue")
        verdict = self.merge_box(number, for_queue=True)
        if not verdict:
            raise WorldError(f"#{number} cannot be queued: {verdict}")
        base = self.tip(pull.base_ref)
        sha = self.git.merge(base, pull.head_sha, f"Merge #{number} (queue)")
        assert sha is not None
        ref = f"refs/heads/gh-readonly-queue/{pull.base_ref}/pr-{number}-{base}"
        self.git.update_ref(ref, sha)
        self._queue[number] = (sha, ref)
        payload = {
            "action": "checks_requested",
            "merge_group": {
                "head_sha": sha,
                "head_ref": ref,
                "base_sha": base,
                "base_ref": f"refs/heads/{pull.base_ref}",
                "head_commit": {"id": sha, "message": f"Merge #{number} (queue)"},
            },
            **self._envelope(who.login),
        }
        self._emit("merge_group", payload, sender=who.login, cause="person", number=number)
        return sha

    def _queue_step(self) -> None:
        for number, (sha, _ref) in list(self._queue.items()):
            pull = self.gh.pull(self.repo, number)
            protection = self.protection[pull.base_ref]
            states = [check_state(self, sha, c) for c in protection.checks]
            if all(s == "success" for s in states):
                del self._queue[number]
                self._land(number, sha, "github-merge-queue[bot]")
            elif "failure" in states:
                del self._queue[number]

    # ------------------------------------------------------------ the oracle

    def merge_box(self, number: int, *, for_queue: bool = False) -> Verdict:
        """Can #number merge now (or, with a merge queue, be added to it), and if not, why."""
        verdict = merge_box(self, number)
        pull = self.gh.pull(self.repo, number)
        protection = self.protection.get(pull.base_ref)
        if protection is not None and protection.merge_queue and not for_queue and verdict:
            return Verdict(True, ["via the merge queue"])
        return verdict

    def _record_verdicts(self) -> None:
        for (repo, number), pull in list(self.gh.state.pulls.items()):
            if repo != self.repo.lower() or pull.state != "open":
                continue
            ok = bool(merge_box(self, number))
            history = self.verdicts.setdefault(number, [])
            if not history or history[-1][1] != ok:
                history.append((self.clock.now(), ok))

    def mergeable_after(self, number: int, since: float) -> float | None:
        """Seconds from `since` until #number was first mergeable (None: never yet)."""
        state_at_since = False
        for at, ok in self.verdicts.get(number, []):
            if at <= since:
                state_at_since = ok
            elif ok:
                return at - since
        return 0.0 if state_at_since else None

    # ------------------------------------------------------------ time

    def now(self) -> float:
        return self.clock.now()

    def settle(self) -> None:
        """Run everything started so far to completion (no schedule fires)."""
        self._step_until(None)

    def advance(self, seconds: float) -> None:
        """Move time forward: runs finish, schedules fire (late, or not at all)."""
        self._step_until(self.clock.now() + seconds)

    def _step_until(self, target: float | None) -> None:
        if target is not None:
            self._scan_schedules(target)
        while True:
            self._wait_quiet()
            if self._start_pending() or self._report_flights():
                continue
            self._queue_step()
            self._record_verdicts()
            if self._pending:
                continue
            with self._cond:
                jobs = list({id(j): j for j in self._jobs.values()}.values())
                ends = [
                    j.record.ends
                    for j in jobs
                    if j.held
                    and not j.released.is_set()
                    and not j.done
                    and j.record.ends != float("inf")
                ]
            due = [at for at, _ in self._due]
            candidates = ends + (due if target is not None else [])
            if not candidates:
                break
            at = min(candidates)
            if target is not None and at > target:
                break
            if at > self.clock.now():
                self.clock.set(at)
            with self._cond:
                for job in jobs:
                    if job.record.ends <= self.clock.now():
                        job.released.set()
            for fired in [d for d in self._due if d[0] <= self.clock.now()]:
                self._due.remove(fired)
                self._tick(fired[1])
        if target is not None and target > self.clock.now():
            self.clock.set(target)

    def _wait_quiet(self) -> None:
        def quiet() -> bool:
            for flight in self._flights:
                if flight.done:
                    continue
                active = [j for j in flight.jobs if not j.done]
                # A released job is busy again, even before its thread wakes up.
                if not active or not all(j.held and not j.released.is_set() for j in active):
                    return False
            return True

        with self._cond:
            if not self._cond.wait_for(quiet, timeout=REAL_TIMEOUT):
                raise WorldError(
                    "jobs did not reach a write or their end in time\n" + self.log.describe()
                )

    # ------------------------------------------------------------ schedules

    def _default_workflows(self) -> dict[str, dict[str, Any]]:
        """path -> parsed workflow file, on the default branch's tip."""
        r = self.gh.repo(self.repo)
        return {
            path: YAML(typ="safe", pure=True).load(data) or {}
            for path, data in sorted(r.git.files_at(self.tip()).items())
            if path.startswith(".github/workflows/") and path.endswith((".yml", ".yaml"))
        }

    def _sync_workflows(self) -> None:
        """GitHub lists (and dispatches) the workflows the default branch holds."""
        for path, data in self._default_workflows().items():
            # The state lock, not self._cond: a request thread holds it when it gets here.
            with self.gh.state.lock:
                if path not in self._workflow_ids:
                    name = str(data.get("name") or path)
                    self._workflow_ids[path] = self.gh.add_workflow(self.repo, path, name=name)

    def _crons(self) -> list[str]:
        crons = []
        for data in self._default_workflows().values():
            on = data.get("on") or {}
            if isinstance(on, dict):
                crons += [entry["cron"] for entry in on.get("schedule") or []]
        return crons

    def _scan_schedules(self, target: float) -> None:
        crons = self._crons()
        minute = (int(self._scanned_until) // 60 + 1) * 60
        r = self.gh.repo(self.repo)
        while minute <= target:
            inactive = not r.private and minute - self._last_activity > SIXTY_DAYS
            if not (inactive and self.gh.rules(rules.SCHEDULE_INACTIVE)):
                for cron in crons:
                    if cron_matches(cron, minute):
                        if self.gh.rules(rules.SCHEDULE_DELAYS):
                            fires = self.schedules.fires_at(minute)
                        else:
                            fires = float(minute)
                        if fires is not None:
                            self._due.append((fires, cron))
            minute += 60
        self._scanned_until = target

    def _tick(self, cron: str) -> None:
        payload = payloads.schedule(self.gh, self.repo, cron)
        self._emit("schedule", payload, sender="github", cause="github")

    # ------------------------------------------------------------ starting runs

    def _start_pending(self) -> bool:
        with self._cond:
            pending, self._pending = self._pending, []
        for event, depth, starts in pending:
            self._start(event, depth, starts)
        return bool(pending)

    def _resolve(self, event: Event, depth: int) -> list[tuple[str, Any]]:
        """At emission: which triggers the event starts, and where (GitHub decides then)."""
        if event.name not in WORKFLOW_EVENTS:
            return []
        exempt = event.name in ("workflow_dispatch", "repository_dispatch")
        if (
            event.cause == "github-token"
            and not exempt
            and self.gh.rules(rules.TOKEN_EVENTS_START_NOTHING)
        ):
            event.why_nothing = "caused by GITHUB_TOKEN"
            return []
        if event.name == "workflow_run" and depth > 3 and self.gh.rules(rules.WORKFLOW_RUN_DEPTH):
            event.why_nothing = "workflow_run chains at most three levels"
            return []
        triggers = (
            ["pull_request", "pull_request_target"]
            if event.name == "pull_request"
            else [event.name]
        )
        return [(t, where) for t in triggers if (where := self._where(event, t)) is not None]

    def _start(self, event: Event, depth: int, starts: list[tuple[str, Any]]) -> None:
        for trigger, (sha, ref, changed) in starts:
            flight = _Flight(event, trigger, depth)
            with self._cond:
                self._flights.append(flight)
            threading.Thread(
                target=self._fly,
                args=(flight, sha, ref, changed),
                daemon=True,
                name=f"run-{trigger}",
            ).start()

    def _where(self, event: Event, trigger: str) -> tuple[str, str, list[str] | None] | None:
        """(sha, ref, changed files) GitHub runs `trigger` at, or None if it runs nothing."""
        payload = event.payload
        default = f"refs/heads/{self.default_branch}"
        if trigger.startswith("pull_request"):
            number = event.number
            assert number is not None
            pull = self.gh.pull(self.repo, number)
            changed = self.changed_files(number)
            if trigger == "pull_request_target":
                base = (
                    default
                    if self.gh.rules(rules.PRT_DEFAULT_BRANCH)
                    else f"refs/heads/{pull.base_ref}"
                )
                return self.tip(base.removeprefix("refs/heads/")), base, changed
            if not self.gh.rules(rules.PR_MERGE_REF):
                return self.tip(pull.base_ref), f"refs/heads/{pull.base_ref}", changed
            merge = self.git.merge(
                self.tip(pull.base_ref),
                pull.head_sha,
                f"Merge {pull.head_sha} into {pull.base_ref}",
            )
            if merge is None and self.gh.rules(rules.CONFLICT_NO_RUN):
                event.why_nothing = "the pull request has conflicts"
                return None
            ref = f"refs/pull/{number}/merge"
            if merge is not None:
                self.git.update_ref(ref, merge)
            return (merge or pull.head_sha), ref, changed
        if trigger == "merge_group":
            group = payload["merge_group"]
            if not self.gh.rules(rules.MERGE_QUEUE_REF):
                return self.tip(), default, None
            return group["head_sha"], group["head_ref"], None
        if trigger == "push":
            return payload["after"], payload["ref"], None
        if trigger == "workflow_dispatch":
            return self.tip(payload["ref"].removeprefix("refs/heads/")), payload["ref"], None
        return self.tip(), default, None

    def _fly(self, flight: _Flight, sha: str, ref: str, changed: list[str] | None) -> None:
        self._local.flight = flight
        try:
            self.runner.trigger(
                flight.trigger, flight.event.payload, sha=sha, ref=ref, changed=changed
            )
        except BaseException as exc:  # reported by _report_flights in the scenario's thread
            flight.error = exc
        finally:
            with self._cond:
                flight.done = True
                self._cond.notify_all()

    def _register_run(
        self, workflow: Workflow, trigger: str, payload: dict[str, Any], sha: str, ref: str
    ) -> int:
        flight: _Flight = self._local.flight
        with self.gh.state.lock:
            if workflow.path not in self._workflow_ids:
                self._workflow_ids[workflow.path] = self.gh.add_workflow(
                    self.repo, workflow.path, name=workflow.name
                )
        head_sha, head_repo, head_branch, numbers = (
            sha,
            self.repo,
            ref.removeprefix("refs/heads/"),
            [],
        )
        if flight.event.number is not None and trigger.startswith("pull_request"):
            pull = self.gh.pull(self.repo, flight.event.number)
            head_sha, head_repo, head_branch = pull.head_sha, pull.head_repo, pull.head_ref
            numbers = [pull.number] if head_repo.lower() == self.repo.lower() else []
        run_id = self.gh.add_run(
            self.repo,
            self._workflow_ids[workflow.path],
            head_sha=head_sha,
            head_repo=head_repo,
            head_branch=head_branch,
            pull_numbers=numbers,
            status="in_progress",
            event=trigger,
            actor=flight.event.sender if flight.event.sender != "github" else "github-actions[bot]",
        )
        source_is_pr = not self._on_default_branch(sha)
        record = RunRecord(
            run_id,
            workflow.path,
            workflow.name,
            flight.event,
            trigger,
            sha,
            ref,
            flight.depth,
            self.clock.now(),
            source_is_pr,
        )
        with self._cond:
            self.log.runs[run_id] = record
            flight.runs.append(record)
            flight.event.started.append(run_id)
        return run_id

    def _on_default_branch(self, sha: str) -> bool:
        return self.git.is_ancestor(sha, self.tip())

    def _duration(self, workflow: str, job: str, trigger: str) -> float:
        """Most specific first: file@trigger:job, file@trigger, file:job, file."""
        name = workflow.rsplit("/", 1)[-1]
        for key in (f"{name}@{trigger}:{job}", f"{name}@{trigger}", f"{name}:{job}", name):
            if key in self.durations:
                return self.durations[key]
        return self.default_duration

    # ------------------------------------------------------------ jobs

    def _job_started(self, ctx: JobContext) -> None:
        record = self.log.runs[ctx.run.run_id]
        flight = self._local_flight(record)
        now = self.clock.now()
        job_record = JobRecord(record.id, record.workflow, ctx.job_id, now, float("inf"))
        job_record.tokens[ctx.token] = dict(self.gh.state.tokens[ctx.token].permissions)
        job_record.executes_pr_code = record.source_is_pr
        job_record.concurrency = ctx.concurrency
        job = _Job(job_record, flight)
        with self._cond:
            self._jobs[ctx.token] = job
            flight.jobs.append(job)
            record.jobs[ctx.job_id] = job_record
            self._cond.notify_all()
        try:
            self._enter_group(job, ctx.concurrency)
        except JobCancelled:
            with self._cond:
                job.done = True
                job_record.result = "cancelled"
                self._cond.notify_all()
            raise
        job_record.started = self.clock.now()
        job_record.ends = job_record.started + self._duration(
            record.workflow, ctx.job_id, record.trigger
        )
        if self._extra_job_hook is not None:
            self._extra_job_hook(ctx)

    def _local_flight(self, record: RunRecord) -> _Flight:
        with self._cond:
            return next(f for f in self._flights if record in f.runs)

    def _enter_group(self, job: _Job, concurrency: Any) -> None:
        if not concurrency or not self.gh.rules(rules.CONCURRENCY):
            return
        group = str(concurrency["group"] if isinstance(concurrency, dict) else concurrency)
        cancel = (
            isinstance(concurrency, dict)
            and str(concurrency.get("cancel-in-progress")).lower() == "true"
        )
        with self._cond:
            holder = self._groups.get(group)
            if holder is not None and not holder.done:
                if cancel:
                    self._cancel(holder)
                else:
                    older = self._waiting.get(group)
                    if older is not None:
                        older.cancel_pending = True
                    self._waiting[group] = job
                    job.held = True
                    self._cond.notify_all()
                    self._cond.wait_for(
                        lambda: holder.done or job.cancel_pending, timeout=REAL_TIMEOUT
                    )
                    job.held = False
                    if self._waiting.get(group) is job:
                        del self._waiting[group]
                    if job.cancel_pending:
                        raise JobCancelled(f"a newer job of concurrency group {group!r} is pending")
            self._groups[group] = job

    def _cancel(self, job: _Job) -> None:
        """GitHub cancels the job: its tokens stop working, its result is cancelled."""
        job.record.result = "cancelled"
        job.record.ends = self.clock.now()
        for token in job.record.tokens:
            self.gh.state.tokens.pop(token, None)
        job.released.set()

    def _gate(self, method: str, path: str, token: str | None) -> None:
        """Before a request: a job's write waits for the job's simulated end."""
        if method == "GET" or token is None:
            return
        with self._cond:
            job = self._jobs.get(token)
            if job is None or job.released.is_set() or job.done:
                return
            job.held = True
            self._cond.notify_all()
        job.released.wait(timeout=REAL_TIMEOUT)
        with self._cond:
            job.held = False

    def close(self) -> None:
        """Release every job still waiting for its simulated end, so that no run's
        thread outlives the test (a pending run would hold the interpreter's exit)."""
        with self._cond:
            for job in self._jobs.values():
                job.released.set()
            self._cond.notify_all()

    def _job_finished(self, ctx: JobContext, result: JobResult) -> None:
        job = self._jobs[ctx.token]
        if not job.released.is_set():
            with self._cond:
                job.held = True
                self._cond.notify_all()
            job.released.wait(timeout=REAL_TIMEOUT)
        default_tip = self.tip()
        pr_checkout = any(
            sha != default_tip and not self._on_default_branch(sha) for _, sha, _ in ctx.checkouts
        )
        with self._cond:
            job.held = False
            job.done = True
            job.record.executes_pr_code = job.record.executes_pr_code or pr_checkout
            if job.record.result != "cancelled":
                job.record.result = result.result
            job.record.finished = self.clock.now()
            if self.gh.rules(rules.TOKEN_EXPIRES):
                for token in job.record.tokens:
                    self.gh.state.tokens.pop(token, None)
            self._cond.notify_all()

    def _report_flights(self) -> bool:
        """Finished deliveries: record conclusions, and emit workflow_run completed."""
        reported = False
        for flight in list(self._flights):
            if not flight.done or flight.reported:
                continue
            flight.reported = reported = True
            if flight.error is not None:
                raise WorldError(f"a run failed to run: {flight.error!r}") from flight.error
            for record in flight.runs:
                run = next(r for r in self.runner.runs if r.run_id == record.id)
                conclusion = run.conclusion
                if any(j.result == "cancelled" for j in record.jobs.values()):
                    conclusion = "cancelled"  # GitHub cancelled a job (its concurrency group)
                record.finished, record.conclusion = self.clock.now(), conclusion
                with self.gh.state.lock:
                    stored = next(r for r in self.gh.state.runs if r.id == record.id)
                    stored.status, stored.conclusion = "completed", conclusion
                    stored.updated_at = self.gh.state.now()
                    rendered = self.gh.render.run(stored)
                    workflow = next(
                        w for w in self.gh.state.workflows if w.id == stored.workflow_id
                    )
                    rendered_workflow = self.gh.render.workflow(workflow)
                payload = {
                    "action": "completed",
                    "workflow_run": rendered,
                    "workflow": rendered_workflow,
                    **self._envelope(stored.actor),
                }
                self._emit(
                    "workflow_run",
                    payload,
                    sender=stored.actor,
                    cause="github",
                    number=flight.event.number,
                    depth=flight.depth + 1,
                )
        return reported
