"""Which token permission each route needs, in GitHub's fine-grained permission names.

Source: GitHub's "Permissions required for GitHub Apps" / fine-grained token pages
(the same table `x-github.permissions` lines in the docs). A route maps to a tuple
of alternatives: any one of them is enough (comments on a PR take issues OR
pull-requests). `write` implies `read`. Every token implicitly holds
`metadata: read`, as GitHub grants it to every installation token. An empty tuple
means the route needs no permission at all (public data).
"""

from __future__ import annotations

Need = tuple[tuple[str, str], ...]

READ, WRITE = "read", "write"

NONE: Need = ()


def _one(scope: str, level: str) -> Need:
    return ((scope, level),)


PERMISSIONS: dict[str, Need] = {
    # users, orgs, repositories
    "GET /users/{username}": NONE,
    "GET /orgs/{org}/members": NONE,
    "GET /orgs/{org}/members/{username}": NONE,
    "GET /orgs/{org}/public_members/{username}": NONE,
    "GET /repos/{owner}/{repo}": _one("metadata", READ),
    "GET /repos/{owner}/{repo}/collaborators": _one("metadata", READ),
    "GET /repos/{owner}/{repo}/collaborators/{username}": _one("metadata", READ),
    "GET /repos/{owner}/{repo}/collaborators/{username}/permission": _one("metadata", READ),
    # pulls
    "GET /repos/{owner}/{repo}/pulls": _one("pull-requests", READ),
    "POST /repos/{owner}/{repo}/pulls": _one("pull-requests", WRITE),
    "GET /repos/{owner}/{repo}/pulls/{pull_number}": _one("pull-requests", READ),
    "PATCH /repos/{owner}/{repo}/pulls/{pull_number}": _one("pull-requests", WRITE),
    "GET /repos/{owner}/{repo}/pulls/{pull_number}/files": _one("pull-requests", READ),
    # Apps (GITHUB_TOKEN too) also need contents: write (routes_compare.py)
    "PUT /repos/{owner}/{repo}/pulls/{pull_number}/update-branch": _one("pull-requests", WRITE),
    "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews": _one("pull-requests", READ),
    "POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews": _one("pull-requests", WRITE),
    "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}": _one(
        "pull-requests", READ
    ),
    "PUT /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/dismissals": _one(
        "pull-requests", WRITE
    ),
    "GET /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers": _one(
        "pull-requests", READ
    ),
    "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers": _one(
        "pull-requests", WRITE
    ),
    "DELETE /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers": _one(
        "pull-requests", WRITE
    ),
    # comments on a PR are issue comments: either permission works
    "GET /repos/{owner}/{repo}/issues/{issue_number}/comments": (
        ("issues", READ),
        ("pull-requests", READ),
    ),
    "POST /repos/{owner}/{repo}/issues/{issue_number}/comments": (
        ("issues", WRITE),
        ("pull-requests", WRITE),
    ),
    "GET /repos/{owner}/{repo}/issues/comments/{comment_id}": (
        ("issues", READ),
        ("pull-requests", READ),
    ),
    "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}": (
        ("issues", WRITE),
        ("pull-requests", WRITE),
    ),
    # commit statuses
    "POST /repos/{owner}/{repo}/statuses/{sha}": _one("statuses", WRITE),
    "GET /repos/{owner}/{repo}/commits/{ref}/statuses": _one("statuses", READ),
    "GET /repos/{owner}/{repo}/commits/{ref}/status": _one("statuses", READ),
    # check runs
    "POST /repos/{owner}/{repo}/check-runs": _one("checks", WRITE),
    "GET /repos/{owner}/{repo}/check-runs/{check_run_id}": _one("checks", READ),
    "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}": _one("checks", WRITE),
    "GET /repos/{owner}/{repo}/commits/{ref}/check-runs": _one("checks", READ),
    # actions
    "GET /repos/{owner}/{repo}/actions/workflows": _one("actions", READ),
    "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}": _one("actions", READ),
    "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs": _one("actions", READ),
    "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches": _one("actions", WRITE),
    "GET /repos/{owner}/{repo}/actions/runs": _one("actions", READ),
    "GET /repos/{owner}/{repo}/actions/runs/{run_id}": _one("actions", READ),
    "DELETE /repos/{owner}/{repo}/actions/runs/{run_id}": _one("actions", WRITE),
    "GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs": _one("actions", READ),
    "GET /repos/{owner}/{repo}/actions/jobs/{job_id}": _one("actions", READ),
    # repository_dispatch needs contents: write (docs/github-facts.md)
    "POST /repos/{owner}/{repo}/dispatches": _one("contents", WRITE),
    # git data and contents
    "GET /repos/{owner}/{repo}/git/ref/{ref}": _one("contents", READ),
    "GET /repos/{owner}/{repo}/git/matching-refs/{ref}": _one("contents", READ),
    "POST /repos/{owner}/{repo}/git/refs": _one("contents", WRITE),
    "PATCH /repos/{owner}/{repo}/git/refs/{ref}": _one("contents", WRITE),
    "DELETE /repos/{owner}/{repo}/git/refs/{ref}": _one("contents", WRITE),
    "POST /repos/{owner}/{repo}/git/blobs": _one("contents", WRITE),
    "GET /repos/{owner}/{repo}/git/blobs/{file_sha}": _one("contents", READ),
    "POST /repos/{owner}/{repo}/git/trees": _one("contents", WRITE),
    "GET /repos/{owner}/{repo}/git/trees/{tree_sha}": _one("contents", READ),
    "POST /repos/{owner}/{repo}/git/commits": _one("contents", WRITE),
    "GET /repos/{owner}/{repo}/git/commits/{commit_sha}": _one("contents", READ),
    "GET /repos/{owner}/{repo}/contents/{path}": _one("contents", READ),
    "GET /repos/{owner}/{repo}/commits/{ref}": _one("contents", READ),
    "GET /repos/{owner}/{repo}/compare/{basehead}": _one("contents", READ),
    # branches and the rules on them (routes_protection.py): readable without administration
    "GET /repos/{owner}/{repo}/branches/{branch}": _one("contents", READ),
    "GET /repos/{owner}/{repo}/rules/branches/{branch}": _one("metadata", READ),
    # repository settings (routes_protection.py): "Administration" repository permission
    "GET /repos/{owner}/{repo}/branches/{branch}/protection": _one("administration", READ),
    "PUT /repos/{owner}/{repo}/branches/{branch}/protection": _one("administration", WRITE),
    "GET /repos/{owner}/{repo}/rulesets": _one("administration", READ),
    "POST /repos/{owner}/{repo}/rulesets": _one("administration", WRITE),
    "GET /repos/{owner}/{repo}/rulesets/{ruleset_id}": _one("administration", READ),
    "PUT /repos/{owner}/{repo}/rulesets/{ruleset_id}": _one("administration", WRITE),
    "GET /repos/{owner}/{repo}/environments/{environment_name}": _one("administration", READ),
    "PUT /repos/{owner}/{repo}/environments/{environment_name}": _one("administration", WRITE),
    "GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies": _one(
        "administration", READ
    ),
    "POST /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies": _one(
        "administration", WRITE
    ),
    "DELETE /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies/"
    "{branch_policy_id}": _one("administration", WRITE),
}


def allows(need: Need, granted: dict[str, str]) -> bool:
    """Whether a token with `granted` may call a route that needs `need`."""
    if not need:
        return True
    for scope, level in need:
        if scope == "metadata":
            return True  # every token has metadata: read, and no route needs more
        have = granted.get(scope)
        if have == WRITE or (have == READ and level == READ):
            return True
    return False


def header(need: Need) -> str:
    """GitHub's X-Accepted-GitHub-Permissions value: alternatives split by "; "."""
    return "; ".join(f"{scope.replace('-', '_')}={level}" for scope, level in need)
