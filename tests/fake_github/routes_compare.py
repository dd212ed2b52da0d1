"""Compare two commits: `GET /repos/{owner}/{repo}/compare/{basehead}`.

As GitHub documents it (docs.github.com/rest/commits/commits#compare-two-commits,
and the same text in @octokit/openapi): `basehead` is `BASE...HEAD`, each a branch,
tag or commit SHA of the repository (a SHA may also be a fork's, in the same network),
or `USERNAME:ref` in a fork of the same network.
The answer is `git log BASE..HEAD` in chronological order (oldest first) with:
- `status`: `identical` (the same commit), `ahead` (BASE is an ancestor of HEAD),
  `behind` (HEAD is an ancestor of BASE), `diverged` (each has commits the other lacks);
- `ahead_by` / `behind_by`: commits only on HEAD / only on BASE; `total_commits` is
  `ahead_by`;
- `files`: the changes from the merge base to HEAD (a three-dot diff), at most 300;
- `commits`: without `per_page`/`page`, the last 250 (the last is the newest); with
  them, pages of GitHub's per-page size (default 30, at most 100), and the files are
  shown on the first page only.

Needs `contents: read` (fake_github/permissions.py). An unknown ref, a fork outside the
network or two histories without a common ancestor are a 404; `BASE..HEAD` (two
dots) is not documented and answers 404 too (the stricter reading).

"Update a pull request branch" (`PUT /repos/{owner}/{repo}/pulls/{pull_number}/update-branch`,
docs.github.com/rest/pulls/pulls#update-a-pull-request-branch) lives here too, since
it is what makes a head that compares as a merge of the base: it merges the base
branch's tip into the head (first parent the old head), moves the head, and answers
202 "Updating pull request branch." (GitHub does it asynchronously; the fake at once).

Imported at the end of routes.py so that its routes register with the others.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from fake_github.gitstore import GitError, GitStore, Identity
from fake_github.render import diff_entry
from fake_github.routes import (
    ApiError,
    Request,
    Response,
    _pull,
    get_repo_commit,
    paginate,
    route,
    unprocessable,
)
from fake_github.rules import rule
from fake_github.state import USER, Repo

COMPARE_DOCS = "https://docs.github.com/rest/commits/commits#compare-two-commits"
UPDATE_BRANCH_DOCS = "https://docs.github.com/rest/pulls/pulls#update-a-pull-request-branch"
FILES_CAP = 300
_SHA = re.compile(r"[0-9a-f]{40}")
UNPAGED_COMMITS = 250

COMPARE_FILES_AT_MOST_300 = rule(
    "compare-files-at-most-300",
    "Compare two commits lists at most 300 changed files for the whole comparison.",
    COMPARE_DOCS,
)
COMPARE_COMMITS_UNPAGED_LAST_250 = rule(
    "compare-commits-unpaged-last-250",
    "Compare two commits without per_page or page lists at most 250 commits, the last "
    "of them the most recent of the comparison.",
    COMPARE_DOCS,
)
COMPARE_FILES_FIRST_PAGE_ONLY = rule(
    "compare-files-first-page-only",
    "Compare two commits with per_page or page shows the changed files on the first "
    "page of results only.",
    COMPARE_DOCS,
)


def _not_found(message: str = "Not Found") -> ApiError:
    return ApiError(404, {"message": message, "documentation_url": COMPARE_DOCS, "status": "404"})


def _side(req: Request, spec: str) -> tuple[Repo, str]:
    """`ref` or `USERNAME:ref` -> (the repository it names, its commit SHA)."""
    repo = req.repo
    owner, sep, ref = spec.partition(":")
    if sep:
        named = req.gh.state.repo(f"{owner}/{repo.name}")
        if named is None or not _same_network(repo, named):
            raise _not_found()
        repo = named
    else:
        ref = spec
    sha = repo.git.resolve(ref) if ref else None
    if sha is None and not sep and _SHA.fullmatch(ref):
        # "commit SHAs that exist in different repositories within the same network"
        for other in req.gh.state.repos.values():
            if other is not repo and _same_network(repo, other):
                found = other.git.resolve(ref)
                if found is not None:
                    return other, found
    if sha is None:
        raise _not_found(f"No commit found for the ref {ref}")
    return repo, sha


def _same_network(repo: Repo, other: Repo) -> bool:
    # A fork's objects reach its parent's through git alternates (server.add_repo).
    if other is repo:
        return True
    alternates = other.git.path / "objects" / "info" / "alternates"
    return alternates.exists() and str(repo.git.path / "objects") in alternates.read_text()


def _commit(req: Request, repo: Repo, sha: str) -> dict[str, Any]:
    """A commit object as in "Get a commit" of `repo` (which holds it), without the
    stats and files compare omits."""
    params = {**req.params, "owner": repo.owner, "repo": repo.name, "ref": sha}
    body = get_repo_commit(dataclasses.replace(req, params=params)).body
    return {k: v for k, v in body.items() if k not in ("stats", "files")}


@route("GET /repos/{owner}/{repo}/compare/{basehead}")
def compare_commits(req: Request) -> Response:
    base_spec, sep, head_spec = req.params["basehead"].partition("...")
    if not sep or not base_spec or not head_spec:
        raise _not_found()
    base_repo, base = _side(req, base_spec)
    head_repo, head = _side(req, head_spec)
    # Compute where both commits are: a fork's store sees its parent's objects too.
    holder = head_repo if head_repo is not req.repo else base_repo
    git: GitStore = holder.git
    try:
        merge_base = git.merge_base(base, head)
        if merge_base is None:
            raise _not_found(f"No common ancestor between {base_spec} and {head_spec}.")
        ahead = git.commits_between(base, head)
        behind = git.commits_between(head, base)
        changed = git.diff(merge_base, head)
    except GitError:
        raise _not_found() from None
    if base == head:
        status = "identical"
    elif not behind:
        status = "ahead"
    elif not ahead:
        status = "behind"
    else:
        status = "diverged"
    if req.gh.rules(COMPARE_FILES_AT_MOST_300):
        changed = changed[:FILES_CAP]
    paged = "per_page" in req.query or "page" in req.query
    headers: dict[str, str] = {}
    if paged:
        page = paginate(req, ahead, render=lambda sha: _commit(req, holder, sha))
        commits, headers = page.body, page.headers
    else:
        shown = (
            ahead[-UNPAGED_COMMITS:] if req.gh.rules(COMPARE_COMMITS_UNPAGED_LAST_250) else ahead
        )
        commits = [_commit(req, holder, sha) for sha in shown]
    full = req.repo.full_name
    basehead = req.params["basehead"]
    html = f"https://github.com/{full}/compare/{basehead}"
    body: dict[str, Any] = {
        "url": f"{req.gh.url}/repos/{full}/compare/{basehead}",
        "html_url": html,
        "permalink_url": f"https://github.com/{full}/compare/"
        f"{base_repo.owner}:{base}...{head_repo.owner}:{head}",
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "base_commit": _commit(req, base_repo, base),
        "merge_base_commit": _commit(req, holder, merge_base),
        "status": status,
        "ahead_by": len(ahead),
        "behind_by": len(behind),
        "total_commits": len(ahead),
        "commits": commits,
    }
    first_page = req.query.get("page", "1") in ("", "1")
    if first_page or not req.gh.rules(COMPARE_FILES_FIRST_PAGE_ONLY):
        api, full = req.gh.url, req.repo.full_name
        body["files"] = [diff_entry(d, api=api, repo=full, ref=head) for d in changed]
    return Response(200, body, headers)


# -- Update a pull request branch ---------------------------------------------------------

UPDATE_BRANCH_EXPECTED_HEAD = rule(
    "update-branch-expected-head-sha",
    "Update a pull request branch: an expected_head_sha that is not the pull request's "
    "head is a 422.",
    UPDATE_BRANCH_DOCS,
)
UPDATE_BRANCH_APP_CONTENTS = rule(
    "update-branch-apps-need-contents-write",
    "Update a pull request branch on behalf of a GitHub App (GITHUB_TOKEN included) also "
    "needs contents: write; without it, 403.",
    UPDATE_BRANCH_DOCS,
)
UPDATE_BRANCH_FORK_EDITS = rule(
    "update-branch-fork-needs-maintainer-edits",
    "The branch of a fork's pull request is updated only when its author allows edits "
    "by maintainers (maintainer_can_modify); otherwise 403.",
    UPDATE_BRANCH_DOCS,
    documented=False,
)
UPDATE_BRANCH_BEHIND_ONLY = rule(
    "update-branch-only-when-behind",
    "Updating a branch that already contains the base branch's tip is a 422 'There are "
    "no new commits on the base branch.', and a merge conflict a 422 too.",
    UPDATE_BRANCH_DOCS,
    documented=False,
)


@route("PUT /repos/{owner}/{repo}/pulls/{pull_number}/update-branch")
def update_branch(req: Request) -> Response:
    pull = _pull(req)
    expected = req.field("expected_head_sha", required=False)
    token = req.token
    assert token is not None  # a PUT without a token is refused before the handler
    if (
        req.gh.rules(UPDATE_BRANCH_APP_CONTENTS)
        and token.kind != USER
        and token.permissions.get("contents") != "write"
    ):
        raise ApiError(
            403,
            {
                "message": "Resource not accessible by integration",
                "documentation_url": UPDATE_BRANCH_DOCS,
                "status": "403",
            },
        )
    fork = pull.head_repo.lower() != req.repo.full_name.lower()
    author = token.kind == USER and token.login.lower() == pull.author.lower()
    if (
        fork
        and not author
        and not pull.maintainer_can_modify
        and req.gh.rules(UPDATE_BRANCH_FORK_EDITS)
    ):
        raise ApiError(
            403,
            {
                "message": "You do not have permission to update this branch: its author "
                "does not allow edits by maintainers.",
                "documentation_url": UPDATE_BRANCH_DOCS,
                "status": "403",
            },
        )
    if (
        expected is not None
        and expected != pull.head_sha
        and req.gh.rules(UPDATE_BRANCH_EXPECTED_HEAD)
    ):
        raise unprocessable("expected head sha didn't match current head ref.", UPDATE_BRANCH_DOCS)
    git = req.repo.git
    base = git.resolve(pull.base_ref)
    if base is None or git.object_type(pull.head_sha) != "commit":
        raise unprocessable("The pull request cannot be updated.", UPDATE_BRANCH_DOCS)
    if git.is_ancestor(base, pull.head_sha) and req.gh.rules(UPDATE_BRANCH_BEHIND_ONLY):
        raise unprocessable("There are no new commits on the base branch.", UPDATE_BRANCH_DOCS)
    who = Identity(token.login, f"{token.login}@users.noreply.github.com", req.gh.state.now())
    merge = git.merge(
        pull.head_sha,
        base,
        f"Merge branch '{pull.base_ref}' into {pull.head_ref}",
        identity=who,
    )
    if merge is None:
        raise unprocessable("merge conflict between base and head", UPDATE_BRANCH_DOCS)
    req.gh.push(req.repo.full_name, pull.number, merge)
    return Response(
        202,
        {
            "message": "Updating pull request branch.",
            "url": f"https://github.com/{req.repo.full_name}/pull/{pull.number}",
        },
    )
