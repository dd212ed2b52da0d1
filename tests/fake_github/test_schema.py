"""Every endpoint the fake serves answers in the shape GitHub's OpenAPI description gives.

The schema is schema/api.github.com.trimmed.json (see schema/README.md). OpenAPI
3.0's `nullable` is turned into JSON Schema's `null` type before validating.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from fake_github import FakeGitHub
from fake_github.client import call
from fake_github.routes import ROUTES

SCHEMA_FILE = Path(__file__).parent / "schema" / "api.github.com.trimmed.json"
REPO = "org/app"
ALL_WRITE = {
    scope: "write"
    for scope in ("actions", "checks", "contents", "issues", "pull-requests", "statuses")
}


def _nullable_to_jsonschema(node: Any, *, names: bool = False) -> Any:
    if isinstance(node, list):
        return [_nullable_to_jsonschema(v) for v in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {k: _nullable_to_jsonschema(v) for k, v in node.items()}
    out = {k: _nullable_to_jsonschema(v, names=k == "properties") for k, v in node.items()}
    if out.pop("nullable", False) is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            return {"anyOf": [out, {"type": "null"}]}
    return out


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return _nullable_to_jsonschema(json.loads(SCHEMA_FILE.read_text()))


def _response_schema(spec: dict[str, Any], template: str, status: int) -> dict[str, Any] | None:
    method, path = template.split(" ", 1)
    response = spec["paths"][path][method.lower()]["responses"].get(str(status))
    assert response is not None, f"GitHub documents no {status} for {template}"
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    content = response.get("content", {}).get("application/json")
    return None if content is None else content["schema"]


@dataclass
class World:
    gh: FakeGitHub
    token: str
    number: int
    head: str
    approval: int
    to_dismiss: int
    comment: int
    check_run: int
    workflow: int
    run: int
    run_to_delete: int
    job: int
    blob: str
    tree: str
    main: str
    behind: int


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    gh = FakeGitHub(tmp_path_factory.mktemp("schema-fake")).start()
    gh.add_repo(REPO, files={"README.md": "hello\n", "src/app.py": "print(1)\n"})
    for login in ("bob", "carol", "dave"):
        gh.add_collaborator(REPO, login)
    # The all-write token is a GITHUB_TOKEN: let it open and approve pull requests.
    gh.set_workflow_permissions(REPO, can_approve_pull_request_reviews=True)
    gh.add_org_member("org", "alice")
    number = gh.add_pull(
        REPO, author="mallory", head_repo="mallory/app", files={"src/app.py": "print(2)\n"}
    )
    head = gh.pull(REPO, number).head_sha
    approval = gh.add_review(REPO, number, user="bob", state="APPROVED", body="lgtm")
    to_dismiss = gh.add_review(REPO, number, user="carol", state="APPROVED")
    gh.add_review(REPO, number, user="dave", state="PENDING")
    gh.push(REPO, number, files={"more.txt": "x\n"})
    gh.pull(REPO, number).requested_reviewers = ["dave"]
    comment = gh.add_comment(REPO, number, user="bob", body="hello")
    check_run = gh.add_check_run(REPO, head, name="repowarden/review")
    workflow = gh.add_workflow(REPO, path=".github/workflows/repowarden-check.yml")
    run = gh.add_run(REPO, workflow, head_sha=head, head_repo="mallory/app", head_branch="patch-1")
    same_repo = gh.add_pull(REPO, author="alice", head_ref="feature-x")
    run_to_delete = gh.add_run(
        REPO,
        workflow,
        head_sha=gh.pull(REPO, same_repo).head_sha,
        head_branch="feature-x",
        pull_numbers=[same_repo],
    )
    job = gh.add_job(
        REPO,
        run,
        name="check",
        steps=[
            {
                "name": "Set up job",
                "status": "completed",
                "conclusion": "success",
                "number": 1,
                "started_at": "2024-01-01T00:00:00Z",
                "completed_at": "2024-01-01T00:00:01Z",
            }
        ],
    )
    # A same-repository PR whose base moved on: its branch can be updated.
    behind = gh.add_pull(REPO, author="alice", head_ref="behind-x", files={"b.txt": "b\n"})
    gh.commit(REPO, {"docs/later.md": "later\n"})
    git = gh.state.repo(REPO).git  # type: ignore[union-attr]
    main = git.resolve("main")
    assert main is not None
    gh.commit(REPO, {"t": "1"}, branch="topic")
    gh.commit(REPO, {"f": "1"}, branch="feature")
    blob = git.write_blob(b"blob\n")
    world = World(
        gh=gh,
        token=gh.token(ALL_WRITE),
        number=number,
        head=head,
        approval=approval,
        to_dismiss=to_dismiss,
        comment=comment,
        check_run=check_run,
        workflow=workflow,
        run=run,
        run_to_delete=run_to_delete,
        job=job,
        blob=blob,
        tree=git.tree_of(main),
        main=main,
        behind=behind,
    )
    yield world
    gh.stop()
    assert not gh.errors, gh.errors


@dataclass(frozen=True)
class Case:
    template: str
    status: int
    request: Callable[[World], tuple[str, Any]]  # -> (path, body)
    perms: dict[str, str] | None = None  # None: the all-write token
    login: str | None = None  # a personal token of this user (perms or all-write)

    @property
    def id(self) -> str:
        return f"{self.template} -> {self.status}"


R = f"/repos/{REPO}"


def _pulls(w: World, suffix: str = "") -> str:
    return f"{R}/pulls/{w.number}{suffix}"


ADMIN = {"administration": "write"}
PROTECTION = {
    "required_status_checks": {
        "strict": False,
        "checks": [{"context": "repowarden/review", "app_id": 15368}],
    },
    "enforce_admins": True,
    "required_pull_request_reviews": {"require_code_owner_reviews": True},
    "restrictions": None,
}
RULESET = {
    "name": "repowarden",
    "target": "branch",
    "enforcement": "active",
    "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
    "rules": [
        {
            "type": "pull_request",
            "parameters": {
                "require_code_owner_review": True,
                "required_approving_review_count": 0,
                "dismiss_stale_reviews_on_push": False,
                "require_last_push_approval": False,
                "required_review_thread_resolution": False,
            },
        }
    ],
}
ENV = f"{R}/environments/gate"
CUSTOM = {"deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True}}


def _first_ruleset(w: World) -> int:
    return int(call(w.gh, "GET", f"{R}/rulesets", token=w.gh.token(ADMIN)).json[0]["id"])


def _first_policy(w: World) -> int:
    answer = call(w.gh, "GET", f"{ENV}/deployment-branch-policies", token=w.gh.token(ADMIN))
    return int(answer.json["branch_policies"][0]["id"])


CASES = [
    Case("GET /users/{username}", 200, lambda w: ("/users/mallory", None)),
    Case("GET /users/{username}", 404, lambda w: ("/users/nobody-at-all", None)),
    Case("GET /orgs/{org}/members", 200, lambda w: ("/orgs/org/members", None)),
    Case(
        "GET /orgs/{org}/members/{username}",
        204,
        lambda w: ("/orgs/org/members/alice", None),
        login="alice",
    ),
    Case("GET /orgs/{org}/members/{username}", 302, lambda w: ("/orgs/org/members/alice", None)),
    Case(
        "GET /orgs/{org}/public_members/{username}",
        204,
        lambda w: ("/orgs/org/public_members/alice", None),
    ),
    Case("GET /repos/{owner}/{repo}", 200, lambda w: (R, None)),
    Case("GET /repos/{owner}/{repo}", 404, lambda w: ("/repos/org/nope", None)),
    Case("GET /repos/{owner}/{repo}/collaborators", 200, lambda w: (f"{R}/collaborators", None)),
    Case(
        "GET /repos/{owner}/{repo}/collaborators/{username}",
        204,
        lambda w: (f"{R}/collaborators/bob", None),
    ),
    Case(
        "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
        200,
        lambda w: (f"{R}/collaborators/bob/permission", None),
    ),
    Case("GET /repos/{owner}/{repo}/pulls", 200, lambda w: (f"{R}/pulls?state=all", None)),
    Case(
        "POST /repos/{owner}/{repo}/pulls",
        201,
        lambda w: (f"{R}/pulls", {"title": "t", "head": "feature", "base": "main", "body": "b"}),
    ),
    Case(
        "POST /repos/{owner}/{repo}/pulls",
        422,
        lambda w: (f"{R}/pulls", {"title": "t", "head": "missing", "base": "main"}),
    ),
    Case(
        "POST /repos/{owner}/{repo}/pulls",
        403,
        lambda w: (f"{R}/pulls", {"title": "t", "head": "feature", "base": "main"}),
        perms={"pull-requests": "read"},
    ),
    Case("GET /repos/{owner}/{repo}/pulls/{pull_number}", 200, lambda w: (_pulls(w), None)),
    Case("GET /repos/{owner}/{repo}/pulls/{pull_number}", 404, lambda w: (f"{R}/pulls/999", None)),
    Case(
        "PATCH /repos/{owner}/{repo}/pulls/{pull_number}",
        200,
        lambda w: (_pulls(w), {"body": "edited"}),
    ),
    Case(
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/files",
        200,
        lambda w: (_pulls(w, "/files"), None),
    ),
    Case(
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
        200,
        lambda w: (_pulls(w, "/reviews"), None),
    ),
    Case(
        "POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews",
        200,
        lambda w: (_pulls(w, "/reviews"), {"event": "COMMENT", "body": "noted"}),
    ),
    Case(
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}",
        200,
        lambda w: (_pulls(w, f"/reviews/{w.approval}"), None),
    ),
    Case(
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}",
        404,
        lambda w: (_pulls(w, "/reviews/1"), None),
    ),
    Case(
        "PUT /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals",
        200,
        lambda w: (_pulls(w, f"/reviews/{w.to_dismiss}/dismissals"), {"message": "new head"}),
    ),
    Case(
        "PUT /repos/{owner}/{repo}/pulls/{pull_number}/update-branch",
        202,
        lambda w: (f"{R}/pulls/{w.behind}/update-branch", None),
    ),
    Case(  # a fork's author did not allow edits by maintainers
        "PUT /repos/{owner}/{repo}/pulls/{pull_number}/update-branch",
        403,
        lambda w: (_pulls(w, "/update-branch"), None),
    ),
    Case(
        "PUT /repos/{owner}/{repo}/pulls/{pull_number}/update-branch",
        422,
        lambda w: (f"{R}/pulls/{w.behind}/update-branch", {"expected_head_sha": "0" * 40}),
    ),
    Case(
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
        200,
        lambda w: (_pulls(w, "/requested_reviewers"), None),
    ),
    Case(
        "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
        201,
        lambda w: (_pulls(w, "/requested_reviewers"), {"reviewers": ["carol"]}),
    ),
    Case(
        "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
        422,
        lambda w: (_pulls(w, "/requested_reviewers"), {"reviewers": ["mallory"]}),
    ),
    Case(
        "DELETE /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
        200,
        lambda w: (_pulls(w, "/requested_reviewers"), {"reviewers": ["dave"]}),
    ),
    Case(
        "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
        200,
        lambda w: (f"{R}/issues/{w.number}/comments", None),
    ),
    Case(
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
        201,
        lambda w: (f"{R}/issues/{w.number}/comments", {"body": "hi"}),
    ),
    Case(
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
        403,
        lambda w: (f"{R}/issues/{w.number}/comments", {"body": "hi"}),
        perms={"pull-requests": "read"},
    ),
    Case(
        "GET /repos/{owner}/{repo}/issues/comments/{comment_id}",
        200,
        lambda w: (f"{R}/issues/comments/{w.comment}", None),
    ),
    Case(
        "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
        200,
        lambda w: (f"{R}/issues/comments/{w.comment}", {"body": "edited"}),
    ),
    Case(
        "POST /repos/{owner}/{repo}/statuses/{sha}",
        201,
        lambda w: (
            f"{R}/statuses/{w.head}",
            {"state": "failure", "context": "repowarden/review", "target_url": "https://x.test/"},
        ),
    ),
    Case(
        "GET /repos/{owner}/{repo}/commits/{ref}/statuses",
        200,
        lambda w: (f"{R}/commits/{w.head}/statuses", None),
    ),
    Case(
        "GET /repos/{owner}/{repo}/commits/{ref}/status",
        200,
        lambda w: (f"{R}/commits/{w.head}/status", None),
    ),
    Case(
        "POST /repos/{owner}/{repo}/check-runs",
        201,
        lambda w: (
            f"{R}/check-runs",
            {"name": "x", "head_sha": w.head, "output": {"title": "t", "summary": "s"}},
        ),
    ),
    Case(
        "GET /repos/{owner}/{repo}/check-runs/{check_run_id}",
        200,
        lambda w: (f"{R}/check-runs/{w.check_run}", None),
    ),
    Case(
        "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}",
        200,
        lambda w: (f"{R}/check-runs/{w.check_run}", {"conclusion": "failure"}),
    ),
    Case(
        "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
        200,
        lambda w: (f"{R}/commits/{w.head}/check-runs", None),
    ),
    Case(
        "GET /repos/{owner}/{repo}/actions/workflows",
        200,
        lambda w: (f"{R}/actions/workflows", None),
    ),
    Case(
        "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}",
        200,
        lambda w: (f"{R}/actions/workflows/repowarden-check.yml", None),
    ),
    Case(
        "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
        200,
        lambda w: (f"{R}/actions/workflows/{w.workflow}/runs", None),
    ),
    Case(
        "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
        204,
        lambda w: (f"{R}/actions/workflows/{w.workflow}/dispatches", {"ref": "main"}),
    ),
    Case("GET /repos/{owner}/{repo}/actions/runs", 200, lambda w: (f"{R}/actions/runs", None)),
    Case(
        "GET /repos/{owner}/{repo}/actions/runs/{run_id}",
        200,
        lambda w: (f"{R}/actions/runs/{w.run}", None),
    ),
    Case(
        "DELETE /repos/{owner}/{repo}/actions/runs/{run_id}",
        204,
        lambda w: (f"{R}/actions/runs/{w.run_to_delete}", None),
    ),
    Case(
        "GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs",
        200,
        lambda w: (f"{R}/actions/runs/{w.run}/jobs", None),
    ),
    Case(
        "GET /repos/{owner}/{repo}/actions/jobs/{job_id}",
        200,
        lambda w: (f"{R}/actions/jobs/{w.job}", None),
    ),
    Case(
        "POST /repos/{owner}/{repo}/dispatches",
        204,
        lambda w: (
            f"{R}/dispatches",
            {"event_type": "repowarden", "client_payload": {"operation": "build", "id": "a"}},
        ),
    ),
    Case(
        "POST /repos/{owner}/{repo}/dispatches",
        422,
        lambda w: (f"{R}/dispatches", {"event_type": ""}),
    ),
    Case(
        "GET /repos/{owner}/{repo}/git/ref/{ref}",
        200,
        lambda w: (f"{R}/git/ref/heads/main", None),
    ),
    Case(
        "GET /repos/{owner}/{repo}/git/ref/{ref}",
        404,
        lambda w: (f"{R}/git/ref/heads/nope", None),
    ),
    Case(
        "GET /repos/{owner}/{repo}/git/matching-refs/{ref}",
        200,
        lambda w: (f"{R}/git/matching-refs/heads/", None),
    ),
    Case(
        "POST /repos/{owner}/{repo}/git/refs",
        201,
        lambda w: (f"{R}/git/refs", {"ref": "refs/heads/new", "sha": w.main}),
    ),
    Case(
        "POST /repos/{owner}/{repo}/git/refs",
        422,
        lambda w: (f"{R}/git/refs", {"ref": "refs/heads/main", "sha": w.main}),
    ),
    Case(
        "PATCH /repos/{owner}/{repo}/git/refs/{ref}",
        200,
        lambda w: (f"{R}/git/refs/heads/topic", {"sha": w.main, "force": True}),
    ),
    Case(
        "DELETE /repos/{owner}/{repo}/git/refs/{ref}",
        204,
        lambda w: (f"{R}/git/refs/heads/feature", None),
    ),
    Case(
        "POST /repos/{owner}/{repo}/git/blobs",
        201,
        lambda w: (f"{R}/git/blobs", {"content": "text", "encoding": "utf-8"}),
    ),
    Case(
        "GET /repos/{owner}/{repo}/git/blobs/{file_sha}",
        200,
        lambda w: (f"{R}/git/blobs/{w.blob}", None),
    ),
    Case(
        "POST /repos/{owner}/{repo}/git/trees",
        201,
        lambda w: (
            f"{R}/git/trees",
            {"base_tree": w.tree, "tree": [{"path": "a/b.txt", "mode": "100644", "content": "x"}]},
        ),
    ),
    Case(
        "GET /repos/{owner}/{repo}/git/trees/{tree_sha}",
        200,
        lambda w: (f"{R}/git/trees/{w.tree}?recursive=1", None),
    ),
    Case(
        "POST /repos/{owner}/{repo}/git/commits",
        201,
        lambda w: (
            f"{R}/git/commits",
            {
                "message": "m",
                "tree": w.tree,
                "parents": [w.main],
                "author": {"name": "A", "email": "a@example.com", "date": "2024-02-01T00:00:00Z"},
            },
        ),
    ),
    Case(
        "GET /repos/{owner}/{repo}/git/commits/{commit_sha}",
        200,
        lambda w: (f"{R}/git/commits/{w.main}", None),
    ),
    Case(
        "GET /repos/{owner}/{repo}/contents/{path}",
        200,
        lambda w: (f"{R}/contents/src/app.py", None),
    ),
    Case(
        "GET /repos/{owner}/{repo}/contents/{path}",
        200,
        lambda w: (f"{R}/contents/src?ref=main", None),
    ),
    Case(
        "GET /repos/{owner}/{repo}/commits/{ref}",
        200,
        lambda w: (f"{R}/commits/{w.head}", None),
    ),
    Case(
        "GET /repos/{owner}/{repo}/compare/{basehead}",
        200,
        lambda w: (f"{R}/compare/{w.main}...{w.head}", None),
    ),
    Case(  # diverged branches, one page of commits (files on the first page only)
        "GET /repos/{owner}/{repo}/compare/{basehead}",
        200,
        lambda w: (f"{R}/compare/{w.head}...feature-x?per_page=1&page=2", None),
    ),
    Case(
        "GET /repos/{owner}/{repo}/compare/{basehead}",
        404,
        lambda w: (f"{R}/compare/main...no-such-branch", None),
    ),
    # Repository settings (routes_protection.py): administration permission.
    Case(
        "GET /repos/{owner}/{repo}/branches/{branch}/protection",
        404,
        lambda w: (f"{R}/branches/main/protection", None),
        ADMIN,
    ),
    Case(
        "PUT /repos/{owner}/{repo}/branches/{branch}/protection",
        200,
        lambda w: (f"{R}/branches/main/protection", PROTECTION),
        ADMIN,
    ),
    Case(
        "PUT /repos/{owner}/{repo}/branches/{branch}/protection",
        403,
        lambda w: (f"{R}/branches/main/protection", PROTECTION),
    ),
    Case(
        "GET /repos/{owner}/{repo}/branches/{branch}/protection",
        200,
        lambda w: (f"{R}/branches/main/protection", None),
        ADMIN,
    ),
    Case("POST /repos/{owner}/{repo}/rulesets", 201, lambda w: (f"{R}/rulesets", RULESET), ADMIN),
    Case("GET /repos/{owner}/{repo}/rulesets", 200, lambda w: (f"{R}/rulesets", None), ADMIN),
    Case(
        "GET /repos/{owner}/{repo}/rulesets/{ruleset_id}",
        200,
        lambda w: (f"{R}/rulesets/{_first_ruleset(w)}", None),
        ADMIN,
    ),
    Case(
        "PUT /repos/{owner}/{repo}/rulesets/{ruleset_id}",
        200,
        lambda w: (f"{R}/rulesets/{_first_ruleset(w)}", RULESET),
        ADMIN,
    ),
    Case(
        "PUT /repos/{owner}/{repo}/environments/{environment_name}",
        200,
        lambda w: (ENV, CUSTOM),
        ADMIN,
    ),
    Case(
        "GET /repos/{owner}/{repo}/environments/{environment_name}",
        200,
        lambda w: (ENV, None),
        ADMIN,
    ),
    Case(
        "POST /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies",
        200,
        lambda w: (f"{ENV}/deployment-branch-policies", {"name": "main", "type": "branch"}),
        ADMIN,
    ),
    Case(
        "GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies",
        200,
        lambda w: (f"{ENV}/deployment-branch-policies", None),
        ADMIN,
    ),
    Case(
        "DELETE /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies/"
        "{branch_policy_id}",
        204,
        lambda w: (f"{ENV}/deployment-branch-policies/{_first_policy(w)}", None),
        ADMIN,
    ),
    # Branches and their rules (routes_protection.py): no administration needed. By now
    # main has branch protection and the ruleset above targets ~DEFAULT_BRANCH.
    Case(
        "GET /repos/{owner}/{repo}/branches/{branch}",
        200,
        lambda w: (f"{R}/branches/main", None),
        {"contents": "read"},
    ),
    Case(
        "GET /repos/{owner}/{repo}/branches/{branch}",
        404,
        lambda w: (f"{R}/branches/release%2F1.2", None),
    ),
    Case(
        "GET /repos/{owner}/{repo}/rules/branches/{branch}",
        200,
        lambda w: (f"{R}/rules/branches/main", None),
        {"issues": "read"},  # metadata: read, which every token holds
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_answer_matches_githubs_schema(case: Case, world: World, spec: dict[str, Any]) -> None:
    method = case.template.split(" ", 1)[0]
    path, body = case.request(world)
    token = world.token if case.perms is None else world.gh.token(case.perms)
    if case.login is not None:
        token = world.gh.token(case.perms or ALL_WRITE, login=case.login)
    answer = call(world.gh, method, path, token=token, body=body)
    assert answer.status == case.status, answer.json
    schema = _response_schema(spec, case.template, case.status)
    if schema is None and case.status >= 400:
        # GitHub documents no body here but sends its usual error object.
        schema = {"$ref": "#/components/schemas/basic-error"}
    if schema is None:
        assert answer.json is None
        return
    resolver_root = {**schema, "components": spec["components"]}
    jsonschema.Draft4Validator(resolver_root).validate(answer.json)


def test_every_route_is_exercised() -> None:
    assert {c.template for c in CASES} == {r.template for r in ROUTES}


def test_schema_file_names_its_source() -> None:
    info = json.loads(SCHEMA_FILE.read_text())["info"]
    assert "@octokit/openapi@" in info["x-source"]


def test_validation_catches_a_missing_required_field(world: World, spec: dict[str, Any]) -> None:
    # The check above would be worthless if the schema accepted anything.
    answer = call(world.gh, "GET", _pulls(world), token=world.token)
    broken = dict(answer.json)
    del broken["head"]
    schema = _response_schema(spec, "GET /repos/{owner}/{repo}/pulls/{pull_number}", 200)
    assert schema is not None
    validator = jsonschema.Draft4Validator({**schema, "components": spec["components"]})
    assert not validator.is_valid(broken)
    nested = json.loads(json.dumps(answer.json))
    del nested["head"]["repo"]["owner"]["node_id"]
    assert not validator.is_valid(nested)
    assert validator.is_valid(answer.json)
    assert base64.b64decode(
        call(world.gh, "GET", f"{R}/git/blobs/{world.blob}", token=world.token).json["content"]
    ) == (b"blob\n")


def test_branch_and_its_rules_reflect_the_stored_protection(world: World) -> None:
    # Runs after the cases above stored main's protection and the ~DEFAULT_BRANCH ruleset.
    branch = call(world.gh, "GET", f"{R}/branches/main", token=world.token).json
    assert (branch["name"], branch["protected"]) == ("main", True)
    assert branch["commit"]["sha"] == world.gh.state.repo(REPO).git.resolve("main")
    rules = call(world.gh, "GET", f"{R}/rules/branches/main", token=world.token).json
    assert [r["type"] for r in rules] == ["pull_request"]
    assert rules[0]["ruleset_id"] == _first_ruleset(world)
    other = call(world.gh, "GET", f"{R}/rules/branches/feature-x", token=world.token).json
    assert other == []
    # Contents: read is needed for the branch (GitHub's schema lists no 403; its usual
    # "Resource not accessible by integration" answer comes all the same).
    no_contents = world.gh.token({"issues": "read"})
    assert call(world.gh, "GET", f"{R}/branches/main", token=no_contents).status == 403
