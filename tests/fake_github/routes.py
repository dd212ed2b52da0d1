"""The REST endpoints the fake serves, one handler per GitHub path template.

Templates are the ones GitHub's docs and @octokit/openapi use, so that
permissions.py and the schema test can key on them.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fake_github.gitstore import EMPTY_TREE, Identity, TreeEntry
from fake_github.render import diff_entry, node_id
from fake_github.rules import rule
from fake_github.state import (
    ACTIONS,
    INSTALLATION,
    CheckRun,
    Comment,
    Dispatch,
    Pull,
    Repo,
    Review,
    Status,
    Token,
)

if TYPE_CHECKING:
    from fake_github.server import FakeGitHub

DOCS = "https://docs.github.com/rest"
ORG_MEMBERS_DOCS = f"{DOCS}/orgs/members"
REQUESTING_REVIEWS_DOCS = (
    "https://docs.github.com/en/pull-requests/how-tos/create-pull-requests/"
    "requesting-a-pull-request-review"
)

PRIVATE_MEMBERSHIP = rule(
    "private-org-membership-hidden",
    "Check or list organization members: a requester who is not an organization member "
    "(GITHUB_TOKEN included) sees public members only; the check answers 302 to the "
    "public_members URL. An App token with members permission sees private members.",
    f"{ORG_MEMBERS_DOCS}#check-organization-membership-for-a-user",
)
ACTIONS_CREATE_OR_APPROVE = rule(
    "actions-cannot-create-or-approve-pulls",
    "A GITHUB_TOKEN cannot open a pull request or approve one unless the repository "
    "allows it (Settings > Actions > 'Allow GitHub Actions to create and approve pull "
    "requests', off by default): 403 'GitHub Actions is not permitted to create or "
    "approve pull requests.'",
    "https://github.blog/changelog/2022-05-03-github-actions-prevent-github-actions-"
    "from-creating-and-approving-pull-requests/",
)
DISMISSAL_RESTRICTIONS = rule(
    "dismissal-restrictions",
    "With 'Restrict who can dismiss pull request reviews', only administrators and the "
    "listed people, teams and Apps may dismiss a review; anyone else (GITHUB_TOKEN "
    "included) gets 403.",
    f"{DOCS}/pulls/reviews#dismiss-a-review-for-a-pull-request",
)
REVIEW_REQUEST_AUTHOR = rule(
    "review-request-not-the-author",
    "Requesting a review from the pull request's author is a 422 'Review cannot be "
    "requested from pull request author.'",
    REQUESTING_REVIEWS_DOCS,
    documented=False,
)
REVIEW_REQUEST_COLLABORATORS = rule(
    "review-request-collaborators-only",
    "Reviews may only be requested from collaborators: one non-collaborator makes the "
    "whole call a 422 and nobody is requested (the docs say only 'a person or team with "
    "read access'; collaborators only is the stricter reading).",
    REQUESTING_REVIEWS_DOCS,
    documented=False,
)
REVIEW_REQUEST_MAX = rule(
    "review-request-at-most-15",
    "At most 15 reviewers can be requested on a pull request; more is a 422.",
    REQUESTING_REVIEWS_DOCS,
    documented=False,
)
STATUSES_PER_CONTEXT = rule(
    "statuses-at-most-1000-per-sha-and-context",
    "At most 1,000 statuses per SHA and context in a repository; the 1,001st is a 422 "
    "'This SHA and context has reached the maximum number of statuses.'",
    f"{DOCS}/commits/statuses#create-a-commit-status",
)
DISPATCH_PAYLOAD = rule(
    "repository-dispatch-payload-limits",
    "repository_dispatch: event_type at most 100 characters, client_payload at most 10 "
    "top-level properties and 65,535 characters; otherwise 422.",
    f"{DOCS}/repos/repos#create-a-repository-dispatch-event",
)
CHECK_RUN_OWNER = rule(
    "check-runs-updated-only-by-their-app",
    "A check run belongs to the GitHub App that created it (a check suite is the runs of "
    "one App); another App's token, GITHUB_TOKEN included, gets 403 'Invalid app_id' "
    "when it updates it.",
    "https://docs.github.com/en/rest/guides/using-the-rest-api-to-interact-with-checks",
    documented=False,
)
COLLABORATOR_PUSH_ACCESS = rule(
    "collaborator-endpoints-need-push-access",
    "Checking a collaborator or their permission needs push access to the repository: "
    "a user token of someone without write access gets 403. App installation tokens "
    "(GITHUB_TOKEN too) need only metadata: read, which every token holds.",
    f"{DOCS}/collaborators/collaborators#check-if-a-user-is-a-repository-collaborator",
)


@dataclass
class Request:
    gh: FakeGitHub
    method: str
    path: str
    query: dict[str, str]
    body: Any
    params: dict[str, str]
    token: Token | None
    template: str

    @property
    def repo(self) -> Repo:
        """The repository named in the path (existence checked before the handler)."""
        repo = self.gh.state.repo(f"{self.params['owner']}/{self.params['repo']}")
        assert repo is not None
        return repo

    @property
    def actor(self) -> str:
        return self.token.login if self.token else "ghost"

    def field(
        self, name: str, kind: type | tuple[type, ...] = str, *, required: bool = True
    ) -> Any:
        body = self.body if isinstance(self.body, dict) else {}
        if name not in body or body[name] is None:
            if required:
                raise validation_failed(
                    [{"resource": _resource(self.template), "field": name, "code": "missing_field"}]
                )
            return None
        value = body[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ApiError(
                422,
                {
                    "message": f"Invalid request.\n\nFor '{name}', {value!r} is not a "
                    f"{getattr(kind, '__name__', 'valid value')}.",
                    "documentation_url": docs_url(self.template),
                    "status": "422",
                },
            )
        return value


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(f"{status} {body.get('message')}")
        self.status, self.body, self.headers = status, body, headers or {}


def docs_url(template: str) -> str:
    if not template:
        return DOCS
    parts = template.split()[-1].strip("/").split("/")
    section = parts[3] if len(parts) > 3 and parts[0] == "repos" else parts[0]
    return f"{DOCS}/{section}"


def _resource(template: str) -> str:
    if "/pulls" in template:
        return "PullRequest"
    if "/issues" in template:
        return "IssueComment"
    if "/statuses" in template:
        return "Status"
    if "/git/" in template:
        return "Git"
    return "Repository"


def not_found(template: str = "") -> ApiError:
    return ApiError(
        404,
        {
            "message": "Not Found",
            "documentation_url": docs_url(template) if template else DOCS,
            "status": "404",
        },
    )


def validation_failed(
    errors: list[Any], message: str = "Validation Failed", doc: str = DOCS
) -> ApiError:
    return ApiError(
        422, {"message": message, "errors": errors, "documentation_url": doc, "status": "422"}
    )


def unprocessable(message: str, doc: str = DOCS) -> ApiError:
    return ApiError(422, {"message": message, "documentation_url": doc, "status": "422"})


# -- routing -----------------------------------------------------------------

Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # "GET /repos/{owner}/{repo}/pulls"
    regex: re.Pattern[str]
    handler: Handler

    @property
    def needs_repo(self) -> bool:
        return "{owner}/{repo}" in self.template


ROUTES: list[Route] = []


def _compile(path: str) -> re.Pattern[str]:
    # File paths and git refs may contain slashes; every other parameter is one segment.
    out = ""
    segments = path.strip("/").split("/")
    for i, seg in enumerate(segments):
        m = re.fullmatch(r"\{(\w+)\}", seg)
        if m:
            name = m.group(1)
            # GitHub marks compare's `basehead` multi-segment: branch names hold '/'.
            greedy = name in ("path", "basehead") or (
                name == "ref" and i > 0 and segments[i - 1] in {"ref", "refs", "matching-refs"}
            )
            out += f"/(?P<{name}>{'.+' if greedy else '[^/]+'})"
        else:
            out += "/" + re.escape(seg)
    return re.compile(out + "/?")


def route(template: str) -> Callable[[Handler], Handler]:
    method, path = template.split(" ", 1)

    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, template, _compile(path), handler))
        return handler

    return register


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route for a request; None for an unknown path."""
    for r in ROUTES:
        m = r.regex.fullmatch(path)
        if m and r.method == method:
            return r, m.groupdict()
    return None


def path_known(path: str) -> bool:
    return any(r.regex.fullmatch(path) for r in ROUTES)


# -- pagination ------------------------------------------------------------------


def paginate(
    req: Request,
    items: list[Any],
    key: str | None = None,
    render: Callable[[Any], Any] | None = None,
) -> Response:
    """One page of `items` and GitHub's Link header (absolute URLs, rel next/last/prev/first).

    `render` turns a stored item into GitHub's JSON; only the page's items are
    rendered, so a long listing costs O(page), not O(listing), per request.
    """
    try:
        per_page = max(1, min(100, int(req.query.get("per_page", 30))))
        page = max(1, int(req.query.get("page", 1)))
    except ValueError:
        per_page, page = 30, 1
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    if render is not None:
        chunk = [render(item) for item in chunk]

    def link(n: int) -> str:
        query = {**req.query, "per_page": str(per_page), "page": str(n)}
        return f"<{req.gh.url}{req.path}?{urlencode(query)}>"

    rels = []
    if page < last:
        rels += [f'{link(page + 1)}; rel="next"', f'{link(last)}; rel="last"']
    if page > 1:
        rels = [f'{link(page - 1)}; rel="prev"', *rels, f'{link(1)}; rel="first"']
        rels = [r for r in rels if r]
    headers = {"Link": ", ".join(rels)} if rels else {}
    body: Any = chunk if key is None else {"total_count": len(items), key: chunk}
    return Response(200, body, headers)


def _int(value: str, template: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise not_found(template) from None


def _pull(req: Request) -> Pull:
    pull = req.gh.state.pull(req.repo.full_name, _int(req.params["pull_number"], req.template))
    if pull is None:
        raise not_found(req.template)
    return pull


def _r(req: Request) -> Any:
    return req.gh.render


# -- users, orgs, repositories ---------------------------------------------------------


@route("GET /users/{username}")
def get_user(req: Request) -> Response:
    user = req.gh.state.users.get(req.params["username"].lower())
    if user is None:
        raise not_found(req.template)
    return Response(200, _r(req).public_user(user))


def _org_known(req: Request, org: str) -> bool:
    state = req.gh.state
    return org.lower() in state.org_members or any(
        r.owner.lower() == org.lower() for r in state.repos.values()
    )


def _sees_private_members(req: Request, org: str) -> bool:
    """Org members and App tokens with `members` see private membership; no one else."""
    if not req.gh.rules(PRIVATE_MEMBERSHIP):
        return True
    token = req.token
    if token is None or token.kind == ACTIONS:
        return False
    if token.kind == INSTALLATION:
        return "members" in token.permissions
    return token.login.lower() in req.gh.state.org_members.get(org.lower(), set())


def _public_members(req: Request, org: str) -> set[str]:
    state = req.gh.state
    return state.org_members.get(org.lower(), set()) - state.private_members.get(org.lower(), set())


@route("GET /orgs/{org}/members")
def list_org_members(req: Request) -> Response:
    org = req.params["org"]
    if not _org_known(req, org):
        raise not_found(req.template)
    members = req.gh.state.org_members.get(org.lower(), set())
    if not _sees_private_members(req, org):
        members = _public_members(req, org)
    return paginate(req, sorted(members), render=_r(req).user)


@route("GET /orgs/{org}/members/{username}")
def check_org_member(req: Request) -> Response:
    org, login = req.params["org"], req.params["username"]
    if not _sees_private_members(req, org):
        # "Response if requester is not an organization member": a redirect to the
        # public membership check, which answers for public members only.
        return Response(302, None, {"Location": f"{req.gh.url}/orgs/{org}/public_members/{login}"})
    if login.lower() in req.gh.state.org_members.get(org.lower(), set()):
        return Response(204)
    raise not_found(req.template)


@route("GET /orgs/{org}/public_members/{username}")
def check_public_org_member(req: Request) -> Response:
    # Members are public unless added with add_org_member(..., public=False).
    org, login = req.params["org"].lower(), req.params["username"].lower()
    hidden = req.gh.state.private_members.get(org, set())
    if login in req.gh.state.org_members.get(org, set()) - hidden:
        return Response(204)
    raise not_found(req.template)


@route("GET /repos/{owner}/{repo}")
def get_repo(req: Request) -> Response:
    return Response(200, _r(req).repo(req.repo, full=True))


def _collaborators(repo: Repo) -> set[str]:
    return repo.collaborators | {repo.owner.lower()}


@route("GET /repos/{owner}/{repo}/collaborators")
def list_collaborators(req: Request) -> Response:
    logins = sorted(_collaborators(req.repo))
    users = []
    for login in logins:
        user = _r(req).user(req.gh.state.user(login).login)
        user["permissions"] = {
            "admin": False,
            "maintain": False,
            "push": True,
            "triage": True,
            "pull": True,
        }
        user["role_name"] = "write"
        users.append(user)
    return paginate(req, users)


def _need_push_access(req: Request) -> None:
    """The collaborator endpoints answer only callers who could push to the repository."""
    if not req.gh.rules(COLLABORATOR_PUSH_ACCESS):
        return
    token = req.token
    if token is None:
        raise ApiError(
            401,
            {
                "message": "Requires authentication",
                "documentation_url": docs_url(req.template),
                "status": "401",
            },
        )
    if token.kind in (ACTIONS, INSTALLATION):
        return  # the App permission table asks for metadata: read only
    if token.login.lower() not in _collaborators(req.repo):
        raise ApiError(
            403,
            {
                "message": "Must have push access to view repository collaborators.",
                "documentation_url": docs_url(req.template),
                "status": "403",
            },
        )


@route("GET /repos/{owner}/{repo}/collaborators/{username}")
def check_collaborator(req: Request) -> Response:
    _need_push_access(req)
    if req.params["username"].lower() in _collaborators(req.repo):
        return Response(204)
    raise not_found(req.template)


@route("GET /repos/{owner}/{repo}/collaborators/{username}/permission")
def collaborator_permission(req: Request) -> Response:
    _need_push_access(req)
    login = req.params["username"]
    if req.gh.state.users.get(login.lower()) is None:
        raise not_found(req.template)
    repo = req.repo
    if login.lower() == repo.owner.lower():
        role = "admin"
    elif login.lower() in repo.collaborators:
        role = "write"
    else:
        role = "none" if repo.private else "read"
    user = _r(req).user(req.gh.state.user(login).login)
    user["permissions"] = {
        "admin": role == "admin",
        "maintain": role == "admin",
        "push": role in {"admin", "write"},
        "triage": role in {"admin", "write"},
        "pull": role != "none",
    }
    user["role_name"] = role
    return Response(200, {"permission": role, "role_name": role, "user": user})


# -- pulls ---------------------------------------------------------------------------


@route("GET /repos/{owner}/{repo}/pulls")
def list_pulls(req: Request) -> Response:
    state_filter = req.query.get("state", "open")
    if state_filter not in {"open", "closed", "all"}:
        raise validation_failed([{"resource": "Issue", "field": "state", "code": "invalid"}])
    pulls = [p for p in req.gh.state.pulls.values() if p.repo.lower() == req.repo.full_name.lower()]
    if state_filter != "all":
        pulls = [p for p in pulls if p.state == state_filter]
    if "head" in req.query:
        owner, _, ref = req.query["head"].partition(":")
        pulls = [
            p
            for p in pulls
            if p.head_repo.split("/")[0].lower() == owner.lower() and (not ref or p.head_ref == ref)
        ]
    if "base" in req.query:
        pulls = [p for p in pulls if p.base_ref == req.query["base"]]
    sort = req.query.get("sort", "created")
    direction = req.query.get("direction", "desc" if sort == "created" else "asc")
    sort_key: Callable[[Pull], Any] = {
        "created": lambda p: (p.created_at, p.number),
        "updated": lambda p: (p.updated_at, p.number),
    }.get(sort, lambda p: (p.created_at, p.number))
    pulls.sort(key=sort_key, reverse=direction == "desc")
    return paginate(req, pulls, render=_r(req).pull)


def _refuse_actions_create_or_approve(req: Request) -> None:
    token = req.token
    if (
        token is not None
        and token.kind == ACTIONS
        and not req.repo.can_approve_pull_request_reviews
        and req.gh.rules(ACTIONS_CREATE_OR_APPROVE)
    ):
        raise ApiError(
            403,
            {
                "message": "GitHub Actions is not permitted to create or approve pull requests.",
                "documentation_url": docs_url(req.template),
                "status": "403",
            },
        )


@route("POST /repos/{owner}/{repo}/pulls")
def create_pull(req: Request) -> Response:
    _refuse_actions_create_or_approve(req)
    title = req.field("title")
    head = req.field("head")
    base = req.field("base")
    body = req.field("body", required=False)
    draft = bool(req.field("draft", bool, required=False))
    repo = req.repo
    head_owner, sep, head_ref = head.partition(":")
    if not sep:
        head_owner, head_ref = repo.owner, head
    head_repo = (
        repo
        if head_owner.lower() == repo.owner.lower()
        else next(
            (
                r
                for r in req.gh.state.repos.values()
                if r.owner.lower() == head_owner.lower() and r.name == repo.name
            ),
            None,
        )
    )
    errors = []
    head_sha = head_repo.git.resolve(f"refs/heads/{head_ref}") if head_repo else None
    if head_sha is None:
        errors.append({"resource": "PullRequest", "field": "head", "code": "invalid"})
    base_sha = repo.git.resolve(f"refs/heads/{base}")
    if base_sha is None:
        errors.append({"resource": "PullRequest", "field": "base", "code": "invalid"})
    if errors:
        raise validation_failed(errors, doc=docs_url(req.template))
    assert head_repo is not None
    assert head_sha is not None
    for p in req.gh.state.pulls.values():
        if (
            p.repo.lower() == repo.full_name.lower()
            and p.state == "open"
            and p.head_repo.lower() == head_repo.full_name.lower()
            and p.head_ref == head_ref
            and p.base_ref == base
        ):
            raise validation_failed(
                [
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": f"A pull request already exists for {head_owner}:{head_ref}.",
                    }
                ],
                doc=docs_url(req.template),
            )
    if head_sha == base_sha or repo.git.is_ancestor(head_sha, base_sha):
        raise validation_failed(
            [
                {
                    "resource": "PullRequest",
                    "code": "custom",
                    "message": f"No commits between {base} and {head_ref}",
                }
            ],
            doc=docs_url(req.template),
        )
    number = req.gh._new_pull(
        repo,
        author=req.actor,
        head_sha=head_sha,
        head_repo=head_repo.full_name,
        head_ref=head_ref,
        base_ref=base,
        title=title,
        body=body,
        draft=draft,
    )
    pull = req.gh.state.pull(repo.full_name, number)
    assert pull is not None
    return Response(201, _r(req).pull(pull, full=True))


@route("GET /repos/{owner}/{repo}/pulls/{pull_number}")
def get_pull(req: Request) -> Response:
    return Response(200, _r(req).pull(_pull(req), full=True))


@route("PATCH /repos/{owner}/{repo}/pulls/{pull_number}")
def update_pull(req: Request) -> Response:
    pull = _pull(req)
    title = req.field("title", required=False)
    body = req.field("body", required=False)
    state = req.field("state", required=False)
    base = req.field("base", required=False)
    if state is not None and state not in {"open", "closed"}:
        raise validation_failed([{"resource": "PullRequest", "field": "state", "code": "invalid"}])
    if base is not None and req.repo.git.resolve(f"refs/heads/{base}") is None:
        raise validation_failed([{"resource": "PullRequest", "field": "base", "code": "invalid"}])
    if title is not None:
        pull.title = title
    if body is not None:
        pull.body = body
    if base is not None:
        pull.base_ref = base
    if state is not None and state != pull.state:
        pull.state = state
        pull.closed_at = req.gh.state.now() if state == "closed" else None
    pull.updated_at = req.gh.state.now()
    return Response(200, _r(req).pull(pull, full=True))


@route("GET /repos/{owner}/{repo}/pulls/{pull_number}/files")
def list_pull_files(req: Request) -> Response:
    files = _r(req).state_files(_pull(req))[:3000]  # GitHub stops at 3,000 files
    return paginate(req, files)


@route("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews")
def list_reviews(req: Request) -> Response:
    pull = _pull(req)
    reviews = sorted(req.gh.state.reviews_of(req.repo.full_name, pull.number), key=lambda r: r.id)
    return paginate(req, reviews, render=_r(req).review)


def _review(req: Request) -> Review:
    pull = _pull(req)
    review_id = _int(req.params["review_id"], req.template)
    for r in req.gh.state.reviews_of(req.repo.full_name, pull.number):
        if r.id == review_id:
            return r
    raise not_found(req.template)


@route("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}")
def get_review(req: Request) -> Response:
    return Response(200, _r(req).review(_review(req)))


@route("POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews")
def create_review(req: Request) -> Response:
    pull = _pull(req)
    event = req.field("event", required=False)
    body = req.field("body", required=False) or ""
    commit_id = req.field("commit_id", required=False) or pull.head_sha
    states = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}
    if event is not None and event not in states:
        raise validation_failed(
            [{"resource": "PullRequestReview", "field": "event", "code": "invalid"}]
        )
    if event == "APPROVE":
        _refuse_actions_create_or_approve(req)
    if req.actor.lower() == pull.author.lower() and event in {"APPROVE", "REQUEST_CHANGES"}:
        verb = "approve" if event == "APPROVE" else "request changes on"
        raise validation_failed([f"Can not {verb} your own pull request"], "Unprocessable Entity")
    if event in {"REQUEST_CHANGES", "COMMENT"} and not body:
        raise validation_failed([f"Body is required when using {event}"], "Unprocessable Entity")
    review = req.gh._new_review(
        req.repo.full_name,
        pull.number,
        req.actor,
        states.get(event or "", "PENDING"),
        commit_id,
        body,
    )
    return Response(200, _r(req).review(review))


def _may_dismiss(req: Request) -> None:
    restricted = req.repo.dismissal_restrictions
    if restricted is None or not req.gh.rules(DISMISSAL_RESTRICTIONS):
        return
    token = req.token
    if token is not None and token.login.lower() == req.repo.owner.lower():
        return  # administrators always may
    if token is not None and token.kind in (ACTIONS, INSTALLATION):
        if token.app.lower() in restricted.apps:
            return
        message = "Resource not accessible by integration"
    else:
        if token is not None and token.login.lower() in restricted.users:
            return
        # GitHub does not document this message.
        message = "You do not have permission to dismiss this review."
    raise ApiError(
        403, {"message": message, "documentation_url": docs_url(req.template), "status": "403"}
    )


@route("PUT /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals")
def dismiss_review(req: Request) -> Response:
    review = _review(req)
    message = req.field("message")
    _may_dismiss(req)
    if review.state not in {"APPROVED", "CHANGES_REQUESTED"}:
        kind = {"COMMENTED": "commented", "PENDING": "pending", "DISMISSED": "dismissed"}[
            review.state
        ]
        raise unprocessable(f"Can not dismiss a {kind} pull request review", docs_url(req.template))
    review.state = "DISMISSED"
    review.dismissal_message = message
    return Response(200, _r(req).review(review))


@route("GET /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers")
def list_requested_reviewers(req: Request) -> Response:
    return Response(200, _r(req).review_request(_pull(req)))


MAX_REVIEWERS = 15


@route("POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers")
def request_reviewers(req: Request) -> Response:
    pull = _pull(req)
    reviewers = req.field("reviewers", list, required=False) or []
    teams = req.field("team_reviewers", list, required=False) or []
    doc = f"{DOCS}/pulls/review-requests#request-reviewers-for-a-pull-request"
    if not reviewers and not teams:
        raise validation_failed(
            [{"resource": "PullRequest", "field": "reviewers", "code": "missing_field"}], doc=doc
        )
    if any(not isinstance(r, str) for r in reviewers):
        raise validation_failed(
            [{"resource": "PullRequest", "field": "reviewers", "code": "invalid"}], doc=doc
        )
    # The whole call fails on the first bad login: nothing is added.
    if req.gh.rules(REVIEW_REQUEST_AUTHOR) and any(
        r.lower() == pull.author.lower() for r in reviewers
    ):
        raise unprocessable("Review cannot be requested from pull request author.", doc)
    collaborators = _collaborators(req.repo)
    if req.gh.rules(REVIEW_REQUEST_COLLABORATORS) and (
        teams or any(r.lower() not in collaborators for r in reviewers)
    ):
        raise unprocessable(
            "Reviews may only be requested from collaborators. One or more of the users or "
            f"teams you specified is not a collaborator of the {req.repo.full_name} repository.",
            doc,
        )
    merged = list(pull.requested_reviewers)
    for login in reviewers:
        if login.lower() not in {m.lower() for m in merged}:
            merged.append(req.gh.state.user(login).login)
    if len(merged) > MAX_REVIEWERS and req.gh.rules(REVIEW_REQUEST_MAX):
        raise validation_failed(
            [f"Pull request reviews may only be requested from up to {MAX_REVIEWERS} users."],
            doc=doc,
        )
    pull.requested_reviewers = merged
    return Response(201, _r(req).pull(pull))


@route("DELETE /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers")
def remove_requested_reviewers(req: Request) -> Response:
    pull = _pull(req)
    reviewers = {r.lower() for r in req.field("reviewers", list)}
    pull.requested_reviewers = [r for r in pull.requested_reviewers if r.lower() not in reviewers]
    return Response(200, _r(req).pull(pull))


# -- issue comments ----------------------------------------------------------------------


@route("GET /repos/{owner}/{repo}/issues/{issue_number}/comments")
def list_comments(req: Request) -> Response:
    number = _int(req.params["issue_number"], req.template)
    if req.gh.state.pull(req.repo.full_name, number) is None:
        raise not_found(req.template)
    comments = sorted(req.gh.state.comments_of(req.repo.full_name, number), key=lambda c: c.id)
    return paginate(req, comments, render=_r(req).comment)


@route("POST /repos/{owner}/{repo}/issues/{issue_number}/comments")
def create_comment(req: Request) -> Response:
    number = _int(req.params["issue_number"], req.template)
    if req.gh.state.pull(req.repo.full_name, number) is None:
        raise not_found(req.template)
    body = req.field("body")
    if len(body) > 65536:
        raise validation_failed(
            [
                {
                    "resource": "IssueComment",
                    "field": "body",
                    "code": "custom",
                    "message": "body is too long (maximum is 65536 characters)",
                }
            ]
        )
    comment = Comment(req.gh.state.new_id("comment"), req.repo.full_name, number, req.actor, body)
    req.gh.state.comments.append(comment)
    return Response(201, _r(req).comment(comment))


def _comment(req: Request) -> Comment:
    ident = _int(req.params["comment_id"], req.template)
    for c in req.gh.state.comments:
        if c.id == ident and c.repo.lower() == req.repo.full_name.lower():
            return c
    raise not_found(req.template)


@route("GET /repos/{owner}/{repo}/issues/comments/{comment_id}")
def get_comment(req: Request) -> Response:
    return Response(200, _r(req).comment(_comment(req)))


@route("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}")
def update_comment(req: Request) -> Response:
    comment = _comment(req)
    comment.body = req.field("body")
    comment.updated_at = req.gh.state.now()
    return Response(200, _r(req).comment(comment))


# -- commit statuses -----------------------------------------------------------------------

_SHA = re.compile(r"[0-9a-f]{40}")


def _known_sha(req: Request, sha: str) -> bool:
    """A commit GitHub would know: in git, or a PR/run head set up without git."""
    repo = req.repo
    if repo.git.object_type(sha) == "commit":
        return True
    state = req.gh.state
    return any(
        p.head_sha == sha for p in state.pulls.values() if p.repo.lower() == repo.full_name.lower()
    ) or any(r.head_sha == sha for r in state.runs_of(repo.full_name))


def _resolve_ref(req: Request, ref: str) -> str:
    sha = req.repo.git.resolve(ref)
    if sha is None and _SHA.fullmatch(ref) and _known_sha(req, ref):
        sha = ref
    if sha is None:
        raise unprocessable(f"No commit found for SHA: {ref}", docs_url(req.template))
    return sha


MAX_STATUSES_PER_CONTEXT = 1000


@route("POST /repos/{owner}/{repo}/statuses/{sha}")
def create_status(req: Request) -> Response:
    sha = req.params["sha"]
    state = req.field("state")
    if state not in {"error", "failure", "pending", "success"}:
        raise validation_failed(
            [
                {
                    "resource": "Status",
                    "field": "state",
                    "code": "custom",
                    "message": "state is not included in the list",
                }
            ]
        )
    if not (_SHA.fullmatch(sha) and _known_sha(req, sha)):
        raise unprocessable(f"No commit found for SHA: {sha}", docs_url(req.template))
    description = req.field("description", required=False)
    if description is not None and len(description) > 140:
        raise validation_failed(
            [
                {
                    "resource": "Status",
                    "field": "description",
                    "code": "custom",
                    "message": "description is too long (maximum is 140 characters)",
                }
            ]
        )
    context = req.field("context", required=False) or "default"
    if req.gh.rules(STATUSES_PER_CONTEXT):
        same = sum(
            1
            for s in req.gh.state.statuses
            if s.sha == sha
            and s.context == context
            and s.repo.lower() == req.repo.full_name.lower()
        )
        if same >= MAX_STATUSES_PER_CONTEXT:
            raise validation_failed(
                [
                    {
                        "resource": "Status",
                        "code": "custom",
                        "message": "This SHA and context has reached the maximum number of "
                        "statuses.",
                    }
                ],
                doc=docs_url(req.template),
            )
    status = Status(
        id=req.gh.state.new_id("status"),
        repo=req.repo.full_name,
        sha=sha,
        state=state,
        context=context,
        creator=req.actor,
        description=description,
        target_url=req.field("target_url", required=False),
    )
    req.gh.state.statuses.append(status)
    return Response(201, _r(req).status(status))


@route("GET /repos/{owner}/{repo}/commits/{ref}/statuses")
def list_statuses(req: Request) -> Response:
    sha = _resolve_ref(req, req.params["ref"])
    return paginate(
        req, [_r(req).status(s) for s in req.gh.state.statuses_for(req.repo.full_name, sha)]
    )


@route("GET /repos/{owner}/{repo}/commits/{ref}/status")
def combined_status(req: Request) -> Response:
    sha = _resolve_ref(req, req.params["ref"])
    return Response(200, _r(req).combined_status(req.repo, sha))


# -- check runs ------------------------------------------------------------------------------


def _apply_check_fields(req: Request, run: CheckRun) -> None:
    for name in ("name", "external_id", "details_url", "started_at", "completed_at"):
        value = req.field(name, required=False)
        if value is not None:
            setattr(run, name, value)
    status = req.field("status", required=False)
    conclusion = req.field("conclusion", required=False)
    if status is not None:
        if status not in {"queued", "in_progress", "completed", "waiting", "requested", "pending"}:
            raise validation_failed(
                [{"resource": "CheckRun", "field": "status", "code": "invalid"}]
            )
        run.status = status
    if conclusion is not None:
        allowed = {
            "action_required",
            "cancelled",
            "failure",
            "neutral",
            "success",
            "skipped",
            "stale",
            "timed_out",
        }
        if conclusion not in allowed:
            raise validation_failed(
                [{"resource": "CheckRun", "field": "conclusion", "code": "invalid"}]
            )
        run.conclusion, run.status = conclusion, "completed"
    if run.status == "completed" and run.conclusion is None:
        raise validation_failed(
            [{"resource": "CheckRun", "field": "conclusion", "code": "missing_field"}]
        )
    if run.status == "completed" and run.completed_at is None:
        run.completed_at = req.gh.state.now()
    output = req.field("output", dict, required=False)
    if output is not None:
        run.output = output


@route("POST /repos/{owner}/{repo}/check-runs")
def create_check_run(req: Request) -> Response:
    name = req.field("name")
    head_sha = req.field("head_sha")
    if not (_SHA.fullmatch(head_sha) and _known_sha(req, head_sha)):
        raise unprocessable(f"No commit found for SHA: {head_sha}", docs_url(req.template))
    app = req.token.app if req.token else "github-actions"
    run = CheckRun(req.gh.state.new_id("check_run"), req.repo.full_name, head_sha, name, app)
    _apply_check_fields(req, run)
    req.gh.state.check_runs.append(run)
    return Response(201, _r(req).check_run(run))


def _check_run(req: Request) -> CheckRun:
    ident = _int(req.params["check_run_id"], req.template)
    for c in req.gh.state.check_runs:
        if c.id == ident and c.repo.lower() == req.repo.full_name.lower():
            return c
    raise not_found(req.template)


@route("GET /repos/{owner}/{repo}/check-runs/{check_run_id}")
def get_check_run(req: Request) -> Response:
    return Response(200, _r(req).check_run(_check_run(req)))


@route("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}")
def update_check_run(req: Request) -> Response:
    run = _check_run(req)
    if req.token and req.token.app != run.app and req.gh.rules(CHECK_RUN_OWNER):
        # Only the App that created a check run may update it.
        raise ApiError(
            403,
            {
                "message": f"Invalid app_id `{req.token.app}` - check run can only be "
                "modified by the GitHub App that created it.",
                "documentation_url": docs_url(req.template),
                "status": "403",
            },
        )
    _apply_check_fields(req, run)
    return Response(200, _r(req).check_run(run))


@route("GET /repos/{owner}/{repo}/commits/{ref}/check-runs")
def list_check_runs(req: Request) -> Response:
    sha = _resolve_ref(req, req.params["ref"])
    runs = [
        c
        for c in req.gh.state.check_runs
        if c.repo.lower() == req.repo.full_name.lower() and c.head_sha == sha
    ]
    if "check_name" in req.query:
        runs = [c for c in runs if c.name == req.query["check_name"]]
    if "status" in req.query:
        runs = [c for c in runs if c.status == req.query["status"]]
    if "app_id" in req.query:
        runs = [c for c in runs if str(_r(req).app(c.app)["id"]) == req.query["app_id"]]
    if req.query.get("filter", "latest") == "latest":
        latest: dict[str, CheckRun] = {}
        for c in sorted(runs, key=lambda c: c.id, reverse=True):
            latest.setdefault(c.name, c)
        runs = list(latest.values())
    runs.sort(key=lambda c: c.id, reverse=True)
    return paginate(req, runs, key="check_runs", render=_r(req).check_run)


# -- actions ---------------------------------------------------------------------------------


def _workflow(req: Request) -> Any:
    ident = req.params["workflow_id"]
    for w in req.gh.state.workflows:
        if w.repo.lower() != req.repo.full_name.lower():
            continue
        if ident == str(w.id) or ident == w.path.rsplit("/", 1)[-1]:
            return w
    raise not_found(req.template)


@route("GET /repos/{owner}/{repo}/actions/workflows")
def list_workflows(req: Request) -> Response:
    workflows = [w for w in req.gh.state.workflows if w.repo.lower() == req.repo.full_name.lower()]
    return paginate(req, workflows, key="workflows", render=_r(req).workflow)


@route("GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}")
def get_workflow(req: Request) -> Response:
    return Response(200, _r(req).workflow(_workflow(req)))


_RUN_STATUSES = {"queued", "in_progress", "completed", "requested", "waiting", "pending"}


def _filter_runs(req: Request, runs: list[Any]) -> list[Any]:
    q = req.query
    if "status" in q:
        wanted = q["status"]
        # `status` takes a status or a conclusion, like GitHub's.
        runs = [
            r
            for r in runs
            if (r.status == wanted if wanted in _RUN_STATUSES else r.conclusion == wanted)
        ]
    if "event" in q:
        runs = [r for r in runs if r.event == q["event"]]
    if "head_sha" in q:
        runs = [r for r in runs if r.head_sha == q["head_sha"]]
    if "branch" in q:
        runs = [r for r in runs if r.head_branch == q["branch"]]
    if "actor" in q:
        runs = [r for r in runs if r.actor.lower() == q["actor"].lower()]
    if "created" in q:
        runs = [r for r in runs if _date_matches(r.created_at, q["created"])]
    # Newest first.
    return sorted(runs, key=lambda r: (r.created_at, r.id), reverse=True)


def _date_matches(stamp: str, spec: str) -> bool:
    """GitHub's date qualifiers: DATE, >DATE, >=DATE, <DATE, <=DATE, FROM..TO.

    ISO 8601 UTC stamps compare as strings; a bare date covers its whole day.
    """
    if ".." in spec:
        low, _, high = spec.partition("..")
        return (low in ("", "*") or stamp >= low) and (
            high in ("", "*") or stamp[: len(high)] <= high
        )
    for op in (">=", "<=", ">", "<"):
        if spec.startswith(op):
            value = spec[len(op) :]
            head = stamp[: len(value)]
            return {
                ">=": stamp >= value,
                "<=": head <= value,
                ">": head > value,
                "<": stamp < value,
            }[op]
    return stamp.startswith(spec)


@route("GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs")
def list_workflow_runs(req: Request) -> Response:
    wf = _workflow(req)
    runs = _filter_runs(req, req.gh.state.runs_of(req.repo.full_name, wf.id))
    return paginate(req, runs, key="workflow_runs", render=_r(req).run)


@route("POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches")
def dispatch_workflow(req: Request) -> Response:
    wf = _workflow(req)
    ref = req.field("ref")
    inputs = req.field("inputs", dict, required=False) or {}
    if req.repo.git.resolve(ref) is None:
        raise unprocessable(f"No ref found for: {ref}", docs_url(req.template))
    req.gh.state.workflow_dispatches.append(
        {"workflow_id": wf.id, "ref": ref, "inputs": inputs, "sender": req.actor}
    )
    return Response(204)


@route("GET /repos/{owner}/{repo}/actions/runs")
def list_runs(req: Request) -> Response:
    runs = _filter_runs(req, req.gh.state.runs_of(req.repo.full_name))
    return paginate(req, runs, key="workflow_runs", render=_r(req).run)


def _run(req: Request) -> Any:
    ident = _int(req.params["run_id"], req.template)
    for r in req.gh.state.runs_of(req.repo.full_name):
        if r.id == ident:
            return r
    raise not_found(req.template)


@route("GET /repos/{owner}/{repo}/actions/runs/{run_id}")
def get_run(req: Request) -> Response:
    return Response(200, _r(req).run(_run(req)))


@route("DELETE /repos/{owner}/{repo}/actions/runs/{run_id}")
def delete_run(req: Request) -> Response:
    run = _run(req)
    if run.status != "completed":
        raise ApiError(
            409,
            {
                "message": "Cannot delete a workflow run that is not completed.",
                "documentation_url": docs_url(req.template),
                "status": "409",
            },
        )
    state = req.gh.state
    state.runs.remove(run)
    state.jobs[:] = [j for j in state.jobs if j.run_id != run.id]
    state.deleted_runs.append(run)
    return Response(204)


@route("GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs")
def list_jobs(req: Request) -> Response:
    run = _run(req)
    jobs = sorted((j for j in req.gh.state.jobs if j.run_id == run.id), key=lambda j: j.id)
    return paginate(req, jobs, key="jobs", render=_r(req).job)


@route("GET /repos/{owner}/{repo}/actions/jobs/{job_id}")
def get_job(req: Request) -> Response:
    ident = _int(req.params["job_id"], req.template)
    for j in req.gh.state.jobs:
        if j.id == ident and j.repo.lower() == req.repo.full_name.lower():
            return Response(200, _r(req).job(j))
    raise not_found(req.template)


@route("POST /repos/{owner}/{repo}/dispatches")
def repository_dispatch(req: Request) -> Response:
    event_type = req.field("event_type")
    payload = req.field("client_payload", dict, required=False) or {}
    if not event_type:
        raise validation_failed(
            [{"resource": "Repository", "field": "event_type", "code": "invalid"}]
        )
    if req.gh.rules(DISPATCH_PAYLOAD):
        if len(event_type) > 100:
            raise validation_failed(
                [{"resource": "Repository", "field": "event_type", "code": "invalid"}]
            )
        if len(payload) > 10:
            raise unprocessable(
                f"Invalid request.\n\nNo more than 10 properties are allowed; {len(payload)} "
                "were supplied.",
                docs_url(req.template),
            )
        # Measured as JSON with the default separators: the longer reading of
        # "65,535 characters", so the stricter one.
        if len(json.dumps(payload)) > 65535:
            raise unprocessable("client_payload is too large", docs_url(req.template))
    req.gh.state.dispatches.append(
        Dispatch(
            req.repo.full_name,
            event_type,
            payload,
            req.actor,
            req.token.value if req.token else None,
        )
    )
    return Response(204)


# -- git data ------------------------------------------------------------------------------


def _ref_object(req: Request, full_ref: str, sha: str) -> dict[str, Any]:
    repo = req.repo
    kind = repo.git.object_type(sha) or "commit"
    api = f"{req.gh.url}/repos/{repo.full_name}"
    return {
        "ref": full_ref,
        "node_id": node_id("Ref", f"{repo.id}:{full_ref}"),
        "url": f"{api}/git/{full_ref}",
        "object": {"type": kind, "sha": sha, "url": f"{api}/git/{kind}s/{sha}"},
    }


@route("GET /repos/{owner}/{repo}/git/ref/{ref}")
def get_ref(req: Request) -> Response:
    full = "refs/" + req.params["ref"]
    sha = req.repo.git.ref_target(full) if _valid_ref(full) else None
    if sha is None:
        raise not_found(req.template)
    return Response(200, _ref_object(req, full, sha))


@route("GET /repos/{owner}/{repo}/git/matching-refs/{ref}")
def matching_refs(req: Request) -> Response:
    prefix = "refs/" + req.params["ref"]
    refs = req.repo.git.refs()
    found = [
        _ref_object(req, name, sha) for name, sha in sorted(refs.items()) if name.startswith(prefix)
    ]
    return paginate(req, found)


def _valid_ref(ref: str) -> bool:
    return bool(
        re.fullmatch(r"refs/[A-Za-z0-9._/-]+", ref)
        and ref.count("/") >= 2
        and ".." not in ref
        and not ref.endswith((".lock", "/", "."))
        and "//" not in ref
    )


@route("POST /repos/{owner}/{repo}/git/refs")
def create_ref(req: Request) -> Response:
    ref = req.field("ref")
    sha = req.field("sha")
    if not _valid_ref(ref):
        raise unprocessable(f"{ref} is not a valid ref name.", docs_url(req.template))
    git = req.repo.git
    if not _SHA.fullmatch(sha) or not git.exists(sha):
        raise unprocessable("Object does not exist", docs_url(req.template))
    if git.ref_target(ref) is not None:
        raise unprocessable("Reference already exists", docs_url(req.template))
    git.update_ref(ref, sha)
    return Response(201, _ref_object(req, ref, sha))


@route("PATCH /repos/{owner}/{repo}/git/refs/{ref}")
def update_ref(req: Request) -> Response:
    full = "refs/" + req.params["ref"]
    sha = req.field("sha")
    force = bool(req.field("force", bool, required=False))
    git = req.repo.git
    current = git.ref_target(full) if _valid_ref(full) else None
    if current is None:
        raise unprocessable("Reference does not exist", docs_url(req.template))
    if not _SHA.fullmatch(sha) or not git.exists(sha):
        raise unprocessable("Object does not exist", docs_url(req.template))
    if not force and not git.is_ancestor(current, sha):
        raise unprocessable("Update is not a fast forward", docs_url(req.template))
    git.update_ref(full, sha)
    return Response(200, _ref_object(req, full, sha))


@route("DELETE /repos/{owner}/{repo}/git/refs/{ref}")
def delete_ref(req: Request) -> Response:
    full = "refs/" + req.params["ref"]
    git = req.repo.git
    if not _valid_ref(full) or git.ref_target(full) is None:
        raise unprocessable("Reference does not exist", docs_url(req.template))
    git.delete_ref(full)
    return Response(204)


@route("POST /repos/{owner}/{repo}/git/blobs")
def create_blob(req: Request) -> Response:
    content = req.field("content")
    encoding = req.field("encoding", required=False) or "utf-8"
    if encoding == "base64":
        try:
            data = base64.b64decode(content, validate=False)
        except ValueError:
            raise validation_failed(
                [{"resource": "Blob", "field": "content", "code": "invalid"}]
            ) from None
    elif encoding in {"utf-8", "utf8"}:
        data = content.encode()
    else:
        raise validation_failed([{"resource": "Blob", "field": "encoding", "code": "invalid"}])
    sha = req.repo.git.write_blob(data)
    return Response(
        201, {"url": f"{req.gh.url}/repos/{req.repo.full_name}/git/blobs/{sha}", "sha": sha}
    )


def _b64(data: bytes) -> str:
    # GitHub wraps base64 content at 60 characters per line.
    text = base64.b64encode(data).decode()
    return "".join(text[i : i + 60] + "\n" for i in range(0, len(text), 60))


@route("GET /repos/{owner}/{repo}/git/blobs/{file_sha}")
def get_blob(req: Request) -> Response:
    sha = req.params["file_sha"]
    git = req.repo.git
    if not _SHA.fullmatch(sha) or git.object_type(sha) != "blob":
        raise not_found(req.template)
    data = git.read_blob(sha)
    return Response(
        200,
        {
            "sha": sha,
            "node_id": node_id("Blob", sha),
            "size": len(data),
            "url": f"{req.gh.url}/repos/{req.repo.full_name}/git/blobs/{sha}",
            "content": _b64(data),
            "encoding": "base64",
        },
    )


def _tree_json(req: Request, sha: str, *, recursive: bool) -> dict[str, Any]:
    api = f"{req.gh.url}/repos/{req.repo.full_name}"
    entries = req.repo.git.ls_tree(sha, recursive=recursive)
    tree = []
    for e in entries:
        item: dict[str, Any] = {"path": e.path, "mode": e.mode, "type": e.type, "sha": e.sha}
        if e.type == "blob":
            item["size"] = e.size
        if e.type in {"blob", "tree"}:
            item["url"] = f"{api}/git/{e.type}s/{e.sha}"
        tree.append(item)
    return {"sha": sha, "url": f"{api}/git/trees/{sha}", "tree": tree, "truncated": False}


@route("POST /repos/{owner}/{repo}/git/trees")
def create_tree(req: Request) -> Response:
    entries = req.field("tree", list)
    base_tree = req.field("base_tree", required=False)
    git = req.repo.git
    doc = docs_url(req.template)
    current: dict[str, TreeEntry] = {}
    if base_tree is not None:
        if git.object_type(base_tree) != "tree":
            raise unprocessable("base_tree is not a valid tree oid", doc)
        current = {e.path: e for e in git.ls_tree(base_tree, recursive=True) if e.type != "tree"}
    for raw in entries:
        if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
            raise validation_failed(
                [{"resource": "Tree", "field": "tree", "code": "invalid"}], doc=doc
            )
        path = raw["path"]
        mode = raw.get("mode", "100644")
        kind = raw.get("type", "blob")
        if (
            mode not in {"100644", "100755", "040000", "160000", "120000"}
            or kind not in {"blob", "tree", "commit"}
            or path.startswith("/")
            or path.endswith("/")
            or any(part in {"", ".", ".."} or part == ".git" for part in path.split("/"))
        ):
            raise unprocessable(f"tree.path contains a malformed path component: {path!r}", doc)
        if "content" in raw and raw["content"] is not None:
            sha = git.write_blob(str(raw["content"]).encode())
        else:
            sha = raw.get("sha")
        # A null sha deletes the path (and everything under it).
        if sha is None:
            current = {
                p: e for p, e in current.items() if p != path and not p.startswith(path + "/")
            }
            continue
        if not isinstance(sha, str) or not _SHA.fullmatch(sha) or git.object_type(sha) != kind:
            raise unprocessable(f"tree.sha {sha} is not a valid {kind}", doc)
        current = {p: e for p, e in current.items() if p != path and not p.startswith(path + "/")}
        if kind == "tree":
            for e in git.ls_tree(sha, recursive=True):
                if e.type != "tree":
                    current[f"{path}/{e.path}"] = TreeEntry(
                        e.mode, e.type, e.sha, f"{path}/{e.path}"
                    )
        else:
            current[path] = TreeEntry(mode, kind, sha, path)
    sha = git.build_tree(list(current.values())) if current else EMPTY_TREE
    if sha == EMPTY_TREE:
        git.mktree([])  # make sure the empty tree object exists
    return Response(201, _tree_json(req, sha, recursive=False))


@route("GET /repos/{owner}/{repo}/git/trees/{tree_sha}")
def get_tree(req: Request) -> Response:
    ident = req.params["tree_sha"]
    git = req.repo.git
    kind = git.object_type(ident) if _SHA.fullmatch(ident) else None
    if kind is None:
        commit = git.resolve(ident)
        if commit is None:
            raise not_found(req.template)
        ident, kind = commit, "commit"
    if kind == "commit":
        ident = git.tree_of(ident)
    elif kind != "tree":
        raise not_found(req.template)
    recursive = req.query.get("recursive") not in (None, "", "0", "false")
    return Response(200, _tree_json(req, ident, recursive=recursive))


def _commit_json(req: Request, sha: str) -> dict[str, Any]:
    info = req.repo.git.commit_info(sha)
    api = f"{req.gh.url}/repos/{req.repo.full_name}"
    return {
        "sha": info.sha,
        "node_id": node_id("Commit", info.sha),
        "url": f"{api}/git/commits/{info.sha}",
        "html_url": f"https://github.com/{req.repo.full_name}/commit/{info.sha}",
        "author": {"name": info.author.name, "email": info.author.email, "date": info.author.date},
        "committer": {
            "name": info.committer.name,
            "email": info.committer.email,
            "date": info.committer.date,
        },
        "tree": {"sha": info.tree, "url": f"{api}/git/trees/{info.tree}"},
        "message": info.message,
        "parents": [
            {
                "sha": p,
                "url": f"{api}/git/commits/{p}",
                "html_url": f"https://github.com/{req.repo.full_name}/commit/{p}",
            }
            for p in info.parents
        ],
        "verification": {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        },
    }


def _identity(req: Request, name: str) -> Identity | None:
    value = req.field(name, dict, required=False)
    if value is None:
        return None
    if not isinstance(value.get("name"), str) or not isinstance(value.get("email"), str):
        raise validation_failed([{"resource": "Commit", "field": name, "code": "invalid"}])
    return Identity(value["name"], value["email"], value.get("date") or req.gh.state.now())


@route("POST /repos/{owner}/{repo}/git/commits")
def create_commit(req: Request) -> Response:
    message = req.field("message")
    tree = req.field("tree")
    parents = req.field("parents", list, required=False) or []
    git = req.repo.git
    doc = docs_url(req.template)
    if not _SHA.fullmatch(tree) or git.object_type(tree) != "tree":
        raise unprocessable("Tree SHA does not exist", doc)
    for parent in parents:
        if (
            not isinstance(parent, str)
            or not _SHA.fullmatch(parent)
            or git.object_type(parent) != "commit"
        ):
            raise unprocessable("Parent SHA does not exist or is not a commit object", doc)
    author = _identity(req, "author")
    committer = _identity(req, "committer") or author
    # Without an author GitHub uses the authenticated identity and the current time.
    actor = Identity(req.actor, f"{req.actor}@users.noreply.github.com", req.gh.state.now())
    sha = git.commit_tree(
        tree, parents, message, author=author or actor, committer=committer or actor
    )
    return Response(201, _commit_json(req, sha))


@route("GET /repos/{owner}/{repo}/git/commits/{commit_sha}")
def get_commit(req: Request) -> Response:
    sha = req.params["commit_sha"]
    if not _SHA.fullmatch(sha) or req.repo.git.object_type(sha) != "commit":
        raise not_found(req.template)
    return Response(200, _commit_json(req, sha))


@route("GET /repos/{owner}/{repo}/contents/{path}")
def get_contents(req: Request) -> Response:
    repo = req.repo
    ref = req.query.get("ref") or repo.default_branch
    commit = repo.git.resolve(ref)
    if commit is None:
        raise not_found(req.template)
    path = req.params["path"].strip("/")
    entry = repo.git.read_path(commit, path)
    if entry is None:
        raise not_found(req.template)
    api = f"{req.gh.url}/repos/{repo.full_name}"

    def item(e: TreeEntry, full_path: str) -> dict[str, Any]:
        kind = {"blob": "file", "tree": "dir", "commit": "submodule"}[e.type]
        if e.mode == "120000":
            kind = "symlink"
        self_url = f"{api}/contents/{full_path}?ref={ref}"
        git_url = f"{api}/git/{'trees' if e.type == 'tree' else 'blobs'}/{e.sha}"
        kind_path = "tree" if e.type == "tree" else "blob"
        html = f"https://github.com/{repo.full_name}/{kind_path}/{ref}/{full_path}"
        download = (
            f"https://raw.githubusercontent.com/{repo.full_name}/{ref}/{full_path}"
            if e.type == "blob"
            else None
        )
        size = e.size if e.size is not None else 0
        return {
            "type": kind,
            "size": size,
            "name": full_path.rsplit("/", 1)[-1],
            "path": full_path,
            "sha": e.sha,
            "url": self_url,
            "git_url": git_url,
            "html_url": html,
            "download_url": download,
            "_links": {"self": self_url, "git": git_url, "html": html},
        }

    if entry.type == "tree":
        children = repo.git.ls_tree(entry.sha)
        return Response(200, [item(c, f"{path}/{c.path}") for c in children])
    data = item(entry, path)
    if entry.type == "blob":
        data |= {"content": _b64(repo.git.read_blob(entry.sha)), "encoding": "base64"}
    return Response(200, data)


@route("GET /repos/{owner}/{repo}/commits/{ref}")
def get_repo_commit(req: Request) -> Response:
    git = req.repo.git
    sha = git.resolve(req.params["ref"])
    if sha is None:
        raise unprocessable(f"No commit found for SHA: {req.params['ref']}", docs_url(req.template))
    git_commit = _commit_json(req, sha)
    api = f"{req.gh.url}/repos/{req.repo.full_name}"
    info = git.commit_info(sha)
    parent = info.parents[0] if info.parents else None
    files = []
    additions = deletions = 0
    if parent:
        for d in git.diff(parent, sha):
            additions, deletions = additions + d.additions, deletions + d.deletions
            files.append(diff_entry(d, api=req.gh.url, repo=req.repo.full_name, ref=sha))
    return Response(
        200,
        {
            "url": f"{api}/commits/{sha}",
            "sha": sha,
            "node_id": node_id("Commit", sha),
            "html_url": git_commit["html_url"],
            "comments_url": f"{api}/commits/{sha}/comments",
            "commit": {
                "url": git_commit["url"],
                "author": git_commit["author"],
                "committer": git_commit["committer"],
                "message": git_commit["message"],
                "comment_count": 0,
                "tree": git_commit["tree"],
                "verification": git_commit["verification"],
            },
            "author": None,
            "committer": None,
            "parents": [
                {
                    "sha": p,
                    "url": f"{api}/commits/{p}",
                    "html_url": f"https://github.com/{req.repo.full_name}/commit/{p}",
                }
                for p in info.parents
            ],
            "stats": {
                "additions": additions,
                "deletions": deletions,
                "total": additions + deletions,
            },
            "files": files,
        },
    )


# Repository settings (branch protection, rulesets, environments) and compare: their own modules.
from fake_github import routes_compare, routes_protection  # noqa: E402, F401
