"""Typed views of the webhook payloads the runtime reads from `$GITHUB_EVENT_PATH`.

Only the fields the runtime uses are modelled; everything else in GitHub's
payloads is ignored, so a new field upstream never breaks a run. Each model is
checked against every real example in `@octokit/webhooks-examples`
(tests/runtime/data/webhooks/). Event data reaches the runtime only through
`load_event`, which also checks that the payload is the event the job expects.
"""

from __future__ import annotations

import json
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .context import RunContext
from .errors import BadInput


class _Payload(BaseModel):
    # Built on first use: a job parses one event kind, not all twenty models.
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class User(_Payload):
    login: str
    id: int
    type: str = "User"


class Repository(_Payload):
    id: int
    full_name: str
    fork: bool = False


class Label(_Payload):
    name: str


class RequestedReviewer(_Payload):
    # requested_reviewers may hold teams too (no login); those are skipped by callers.
    login: str | None = None
    type: str | None = None


class PullRef(_Payload):
    ref: str
    sha: str
    # A fork that was deleted leaves `repo: null`.
    repo: Repository | None = None


class PullRequest(_Payload):
    number: int
    state: str
    user: User
    draft: bool | None = False
    head: PullRef
    base: PullRef
    labels: list[Label] = Field(default_factory=list)
    requested_reviewers: list[RequestedReviewer] = Field(default_factory=list)
    author_association: str | None = None
    # Read by review rules (backport titles) and the files-cap check.
    title: str | None = None
    body: str | None = None
    changed_files: int | None = None

    @property
    def label_names(self) -> list[str]:
        return [label.name for label in self.labels]

    @property
    def head_repo(self) -> str | None:
        return self.head.repo.full_name if self.head.repo else None

    @property
    def base_repo(self) -> str:
        return self.base.repo.full_name if self.base.repo else ""

    @property
    def from_fork(self) -> bool:
        """True when the head lives in another repository (or a deleted one)."""
        return (self.head_repo or "").casefold() != self.base_repo.casefold()


class PullRequestEvent(_Payload):
    """`pull_request` and `pull_request_target` share this payload."""

    action: str
    number: int
    pull_request: PullRequest
    repository: Repository
    sender: User


class Review(_Payload):
    id: int
    user: User | None = None
    state: str
    commit_id: str | None = None
    submitted_at: str | None = None


class PullRequestReviewEvent(_Payload):
    action: str
    review: Review
    pull_request: PullRequest
    repository: Repository
    sender: User


class RepositoryDispatchEvent(_Payload):
    action: str  # the event_type the sender chose
    branch: str | None = None
    client_payload: dict[str, Any] | None = None
    repository: Repository
    sender: User


class App(_Payload):
    slug: str | None = None


class CheckRun(_Payload):
    id: int
    name: str
    head_sha: str
    status: str
    conclusion: str | None = None
    app: App | None = None


class CheckRunEvent(_Payload):
    action: str
    check_run: CheckRun
    repository: Repository
    sender: User


class RunPullRequest(_Payload):
    number: int


class WorkflowRun(_Payload):
    id: int
    name: str | None = None
    path: str | None = None
    event: str
    status: str | None = None
    conclusion: str | None = None
    head_sha: str
    head_branch: str | None = None
    head_repository: Repository | None = None
    pull_requests: list[RunPullRequest] = Field(default_factory=list)


class WorkflowRunEvent(_Payload):
    action: str
    workflow_run: WorkflowRun
    repository: Repository
    sender: User


class WorkflowJob(_Payload):
    id: int
    run_id: int
    name: str
    head_sha: str
    status: str
    conclusion: str | None = None


class WorkflowJobEvent(_Payload):
    action: str
    workflow_job: WorkflowJob
    repository: Repository
    sender: User


class MergeGroup(_Payload):
    head_sha: str
    head_ref: str
    base_sha: str
    base_ref: str


class MergeGroupEvent(_Payload):
    action: str
    merge_group: MergeGroup
    repository: Repository
    sender: User


# GITHUB_EVENT_NAME -> the payload model of that event.
MODELS: dict[str, type[_Payload]] = {
    "pull_request": PullRequestEvent,
    "pull_request_target": PullRequestEvent,
    "pull_request_review": PullRequestReviewEvent,
    "repository_dispatch": RepositoryDispatchEvent,
    "check_run": CheckRunEvent,
    "workflow_run": WorkflowRunEvent,
    "workflow_job": WorkflowJobEvent,
    "merge_group": MergeGroupEvent,
}

Event = (
    PullRequestEvent
    | PullRequestReviewEvent
    | RepositoryDispatchEvent
    | CheckRunEvent
    | WorkflowRunEvent
    | WorkflowJobEvent
    | MergeGroupEvent
)


def parse_event(name: str, data: Any, source: str = "event payload") -> Event:
    """Validate `data` as the payload of event `name`; BadInput says what is wrong."""
    model = MODELS.get(name)
    if model is None:
        raise BadInput(f"the runtime does not handle {name!r} events")
    if not isinstance(data, dict):
        raise BadInput(f"{source}: a {name} payload is a JSON object, got {type(data).__name__}")
    try:
        event = model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()[:5]
        )
        raise BadInput(f"{source} is not a {name} payload: {problems}") from None
    return cast(Event, event)


def load_event(ctx: RunContext, *expected: str) -> Event:
    """The payload at `$GITHUB_EVENT_PATH`, if `$GITHUB_EVENT_NAME` is one of `expected`.

    A job triggered by another event, an unreadable file or a payload of the wrong
    shape raises BadInput (exit code 2): the command does nothing on input it does
    not understand.
    """
    if expected and ctx.event_name not in expected:
        raise BadInput(
            f"this command runs on {', '.join(expected)} events, "
            f"but GITHUB_EVENT_NAME is {ctx.event_name!r}"
        )
    try:
        text = ctx.event_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise BadInput(f"cannot read the event payload {ctx.event_path}: {reason}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"the event payload {ctx.event_path} is not JSON: {exc.msg} "
            f"(line {exc.lineno}, column {exc.colno})"
        ) from None
    return parse_event(ctx.event_name, data, str(ctx.event_path))
