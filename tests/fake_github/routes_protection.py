"""Repository settings the review gate relies on: branch protection, rulesets, environments.

Only what `repowarden protect --apply` reads and writes, with GitHub's shapes (checked
by test_schema.py against @octokit/openapi) and its rules: every route needs the
`administration` permission (docs.github.com/rest/branches/branch-protection,
/rest/repos/rules, /rest/deployments/environments, /rest/deployments/branch-policies:
"Administration" repository permissions), and an environment accepts deployment
branch policies only while `custom_branch_policies` is on (404 otherwise, as the
docs say for POST …/deployment-branch-policies).

Two reads need less: "Get a branch" (contents: read, /rest/branches/branches) says
whether a branch is `protected` by branch protection or a ruleset (the docs' words
for the `protected` filter of "List branches"), and "Get rules for a branch"
(metadata: read, /rest/repos/rules) lists the rules of every `active` ruleset whose
ref_name condition takes the branch (include minus exclude; fnmatch patterns on
`refs/heads/…` where `*` stays within one `/` segment and `**` crosses them, plus
`~DEFAULT_BRANCH` and `~ALL`). A branch name in the path is one URL-quoted segment
(`release%2F1.2`, `main%23x`), decoded here as GitHub does.

Imported at the end of routes.py so that its routes register with the others.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from fake_github.routes import (
    Request,
    Response,
    _int,
    get_repo_commit,
    not_found,
    paginate,
    route,
    validation_failed,
)
from fake_github.rules import rule


@dataclass
class Environment:
    id: int
    name: str
    policy: dict[str, bool] | None = None  # deployment_branch_policy; None: any branch
    branch_policies: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Settings:
    """One fake GitHub's repository settings, keyed by lower-case repository name."""

    protection: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    rulesets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    environments: dict[tuple[str, str], Environment] = field(default_factory=dict)


def settings(gh: Any) -> Settings:
    found = gh.__dict__.get("repo_settings")
    if found is None:
        found = gh.__dict__["repo_settings"] = Settings()
    return found


def _key(req: Request, name: str) -> tuple[str, str]:
    return (req.repo.full_name.lower(), name)


def _branch(req: Request) -> str:
    """The `{branch}` path parameter, URL-decoded: `release%2F1.2` is `release/1.2`."""
    return unquote(req.params["branch"])


BRANCH_PROTECTED_BY_RULESETS = rule(
    "branch-protected-by-rulesets",
    "A branch is `protected` when branch protection or an active ruleset targets it.",
    "https://docs.github.com/en/rest/branches/branches#list-branches",
)


def _ref_pattern(pattern: str) -> re.Pattern[str]:
    """A ruleset's fnmatch pattern: `*` and `?` stay within a segment, `**` crosses `/`."""
    out = ""
    for token in re.findall(r"\*\*|\*|\?|\[[^\]]*\]|[^*?\[]+|\[", pattern):
        if token == "**":
            out += ".*"
        elif token == "*":
            out += "[^/]*"
        elif token == "?":
            out += "[^/]"
        elif token.startswith("[") and token.endswith("]") and len(token) > 2:
            body = token[1:-1]
            out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
        else:
            out += re.escape(token)
    return re.compile(out)


def _targets(req: Request, ruleset: dict[str, Any], branch: str) -> bool:
    """Whether an active branch ruleset's ref_name condition takes `branch`."""
    if ruleset.get("enforcement") != "active" or ruleset.get("target", "branch") != "branch":
        return False
    ref_name = (ruleset.get("conditions") or {}).get("ref_name") or {}
    full = f"refs/heads/{branch}"
    default = req.repo.default_branch

    def matches(pattern: str) -> bool:
        if pattern == "~ALL":
            return True
        if pattern == "~DEFAULT_BRANCH":
            return branch == default
        return bool(_ref_pattern(pattern).fullmatch(full))

    return any(map(matches, ref_name.get("include") or ())) and not any(
        map(matches, ref_name.get("exclude") or ())
    )


def _active_rulesets(req: Request, branch: str) -> list[dict[str, Any]]:
    stored = settings(req.gh).rulesets.get(req.repo.full_name.lower(), [])
    return [r for r in stored if _targets(req, r, branch)]


# -- branches --------------------------------------------------------------------------------


@route("GET /repos/{owner}/{repo}/branches/{branch}")
def get_branch(req: Request) -> Response:
    branch = _branch(req)
    sha = req.repo.git.ref_target(f"refs/heads/{branch}")
    if sha is None:
        raise not_found(req.template)  # GitHub: "Branch not found"
    protected = _key(req, branch) in settings(req.gh).protection or (
        req.gh.rules(BRANCH_PROTECTED_BY_RULESETS) and bool(_active_rulesets(req, branch))
    )
    commit = get_repo_commit(dataclasses.replace(req, params={**req.params, "ref": sha})).body
    api = f"{req.gh.url}/repos/{req.repo.full_name}/branches/{req.params['branch']}"
    return Response(
        200,
        {
            "name": branch,
            "commit": commit,
            "_links": {
                "html": f"https://github.com/{req.repo.full_name}/tree/{req.params['branch']}",
                "self": api,
            },
            "protected": protected,
            "protection": {"enabled": protected},
            "protection_url": f"{api}/protection",
        },
    )


@route("GET /repos/{owner}/{repo}/rules/branches/{branch}")
def get_branch_rules(req: Request) -> Response:
    # The branch need not exist: the rules that would apply to that name are listed.
    found = [
        {
            **applied,
            "ruleset_source_type": ruleset["source_type"],
            "ruleset_source": ruleset["source"],
            "ruleset_id": ruleset["id"],
        }
        for ruleset in _active_rulesets(req, _branch(req))
        for applied in ruleset.get("rules") or ()
    ]
    return paginate(req, found)


# -- branch protection -----------------------------------------------------------------------


@route("GET /repos/{owner}/{repo}/branches/{branch}/protection")
def get_protection(req: Request) -> Response:
    stored = settings(req.gh).protection.get(_key(req, _branch(req)))
    if stored is None:
        raise not_found(req.template)  # GitHub: "Branch not protected"
    return Response(200, stored)


@route("PUT /repos/{owner}/{repo}/branches/{branch}/protection")
def put_protection(req: Request) -> Response:
    body = req.body if isinstance(req.body, dict) else {}
    missing = [
        name
        for name in (
            "required_status_checks",
            "enforce_admins",
            "required_pull_request_reviews",
            "restrictions",
        )
        if name not in body
    ]
    if missing:  # the four keys are required (null allowed)
        raise validation_failed(
            [{"resource": "Branch", "field": name, "code": "missing_field"} for name in missing]
        )
    branch = _branch(req)
    url = f"{req.gh.url}/repos/{req.repo.full_name}/branches/{req.params['branch']}/protection"
    status = body["required_status_checks"]
    reviews = body["required_pull_request_reviews"]
    stored: dict[str, Any] = {
        "url": url,
        "enforce_admins": {"url": f"{url}/enforce_admins", "enabled": bool(body["enforce_admins"])},
    }
    if status is not None:
        stored["required_status_checks"] = {
            "url": f"{url}/required_status_checks",
            "strict": bool(status.get("strict")),
            "contexts": [c["context"] for c in status.get("checks") or ()],
            "checks": [
                {"context": c["context"], "app_id": c.get("app_id")}
                for c in status.get("checks") or ()
            ],
            "contexts_url": f"{url}/required_status_checks/contexts",
        }
    if reviews is not None:
        stored["required_pull_request_reviews"] = {
            "url": f"{url}/required_pull_request_reviews",
            "dismiss_stale_reviews": bool(reviews.get("dismiss_stale_reviews")),
            "require_code_owner_reviews": bool(reviews.get("require_code_owner_reviews")),
            "required_approving_review_count": int(
                reviews.get("required_approving_review_count") or 0
            ),
        }
    settings(req.gh).protection[_key(req, branch)] = stored
    return Response(200, stored)


# -- rulesets --------------------------------------------------------------------------------


def _ruleset(req: Request, body: dict[str, Any], ident: int) -> dict[str, Any]:
    return {
        "id": ident,
        "name": body["name"],
        "target": body.get("target", "branch"),
        "source_type": "Repository",
        "source": req.repo.full_name,
        "enforcement": body["enforcement"],
        "conditions": body.get("conditions"),
        "rules": body.get("rules", []),
        "node_id": f"RRS_{ident}",
        "created_at": req.gh.state.now(),
        "updated_at": req.gh.state.now(),
    }


def _ruleset_body(req: Request) -> dict[str, Any]:
    body = req.body if isinstance(req.body, dict) else {}
    req.field("name")
    if body.get("enforcement") not in {"disabled", "active", "evaluate"}:
        raise validation_failed(
            [{"resource": "Ruleset", "field": "enforcement", "code": "invalid"}]
        )
    return body


@route("GET /repos/{owner}/{repo}/rulesets")
def list_rulesets(req: Request) -> Response:
    return paginate(req, settings(req.gh).rulesets.get(req.repo.full_name.lower(), []))


@route("POST /repos/{owner}/{repo}/rulesets")
def create_ruleset(req: Request) -> Response:
    body = _ruleset_body(req)
    stored = _ruleset(req, body, req.gh.state.new_id("ruleset"))
    settings(req.gh).rulesets.setdefault(req.repo.full_name.lower(), []).append(stored)
    return Response(201, stored)


def _find_ruleset(req: Request) -> dict[str, Any]:
    ident = _int(req.params["ruleset_id"], req.template)
    for stored in settings(req.gh).rulesets.get(req.repo.full_name.lower(), []):
        if stored["id"] == ident:
            return stored
    raise not_found(req.template)


@route("GET /repos/{owner}/{repo}/rulesets/{ruleset_id}")
def get_ruleset(req: Request) -> Response:
    return Response(200, _find_ruleset(req))


@route("PUT /repos/{owner}/{repo}/rulesets/{ruleset_id}")
def update_ruleset(req: Request) -> Response:
    stored = _find_ruleset(req)
    stored.update(
        _ruleset(req, _ruleset_body(req), stored["id"]) | {"created_at": stored["created_at"]}
    )
    return Response(200, stored)


# -- environments ----------------------------------------------------------------------------


def _environment_json(req: Request, env: Environment) -> dict[str, Any]:
    return {
        "id": env.id,
        "node_id": f"EN_{env.id}",
        "name": env.name,
        "url": f"{req.gh.url}/repos/{req.repo.full_name}/environments/{env.name}",
        "html_url": f"https://github.com/{req.repo.full_name}/deployments/activity_log?environments_filter={env.name}",
        "created_at": req.gh.state.now(),
        "updated_at": req.gh.state.now(),
        "protection_rules": [],
        "deployment_branch_policy": env.policy,
    }


def _environment(req: Request) -> Environment:
    env = settings(req.gh).environments.get(_key(req, req.params["environment_name"]))
    if env is None:
        raise not_found(req.template)
    return env


@route("GET /repos/{owner}/{repo}/environments/{environment_name}")
def get_environment(req: Request) -> Response:
    return Response(200, _environment_json(req, _environment(req)))


@route("PUT /repos/{owner}/{repo}/environments/{environment_name}")
def put_environment(req: Request) -> Response:
    name = req.params["environment_name"]
    policy = req.field("deployment_branch_policy", dict, required=False)
    if policy is not None and bool(policy.get("protected_branches")) == bool(
        policy.get("custom_branch_policies")
    ):
        # The docs: exactly one of the two may be true.
        raise validation_failed(
            [{"resource": "Environment", "field": "deployment_branch_policy", "code": "invalid"}]
        )
    store = settings(req.gh).environments
    env = store.get(_key(req, name))
    if env is None:
        env = store[_key(req, name)] = Environment(req.gh.state.new_id("environment"), name)
    env.policy = (
        None
        if policy is None
        else {
            "protected_branches": bool(policy.get("protected_branches")),
            "custom_branch_policies": bool(policy.get("custom_branch_policies")),
        }
    )
    if env.policy is None or not env.policy["custom_branch_policies"]:
        env.branch_policies = []
    return Response(200, _environment_json(req, env))


@route("GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies")
def list_branch_policies(req: Request) -> Response:
    return paginate(req, _environment(req).branch_policies, key="branch_policies")


@route("POST /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies")
def create_branch_policy(req: Request) -> Response:
    env = _environment(req)
    if env.policy is None or not env.policy["custom_branch_policies"]:
        raise not_found(req.template)
    name = req.field("name")
    kind = req.field("type", required=False) or "branch"
    ident = req.gh.state.new_id("branch_policy")
    policy = {"id": ident, "node_id": f"DBP_{ident}", "name": name, "type": kind}
    env.branch_policies.append(policy)
    return Response(200, policy)


@route(
    "DELETE /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies/"
    "{branch_policy_id}"
)
def delete_branch_policy(req: Request) -> Response:
    env = _environment(req)
    ident = _int(req.params["branch_policy_id"], req.template)
    before = len(env.branch_policies)
    env.branch_policies = [p for p in env.branch_policies if p["id"] != ident]
    if len(env.branch_policies) == before:
        raise not_found(req.template)
    return Response(204)
