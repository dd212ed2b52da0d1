"""GitHub-shaped JSON for the fake's objects.

Every object carries the fields @octokit/openapi marks required for it (ids,
node_ids, urls, nested users and repositories), derived consistently from the
stored data; test_schema.py validates them against the trimmed schema.
"""

from __future__ import annotations

import base64
import zlib
from typing import Any

from fake_github.gitstore import DiffEntry
from fake_github.rules import RuleSwitches, rule
from fake_github.state import (
    CheckRun,
    Comment,
    Job,
    Pull,
    Repo,
    Review,
    Run,
    State,
    Status,
    User,
    Workflow,
)

HTML = "https://github.com"
EPOCH = "2024-01-01T00:00:00Z"

PRIVATE_MEMBERS_ASSOCIATION = rule(
    "private-members-are-not-member-association",
    "author_association is MEMBER only for public members of the owning organization; "
    "a private member shows as CONTRIBUTOR (has a merged pull request here) or NONE.",
    "https://docs.github.com/en/graphql/reference/enums#commentauthorassociation",
    documented=False,
)

RUN_PULL_REQUESTS_SAME_REPOSITORY = rule(
    "run-pull-requests-exclude-forks",
    "A workflow run's `pull_requests` (REST and the workflow_run payload) lists only pull "
    "requests whose head is in the run's repository: it is empty for runs from forks.",
    "https://github.com/github/docs/issues/22501",
    documented=False,
)


def node_id(kind: str, ident: int | str) -> str:
    # GitHub's legacy global ids: base64 of "<len>:<Type><id>".
    raw = f"0{len(kind)}:{kind}{ident}"
    return base64.b64encode(raw.encode()).decode().rstrip("=")


class Renderer:
    def __init__(self, api: str, state: State, rules: RuleSwitches | None = None) -> None:
        self.api = api.rstrip("/")
        self.state = state
        self.rules = rules or RuleSwitches()

    # -- users ------------------------------------------------------------------

    def user(self, login_or_user: str | User) -> dict[str, Any]:
        u = login_or_user if isinstance(login_or_user, User) else self.state.user(login_or_user)
        url = f"{self.api}/users/{u.login}"
        return {
            "login": u.login,
            "id": u.id,
            "node_id": node_id("Bot" if u.type == "Bot" else "User", u.id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{u.id}?v=4",
            "gravatar_id": "",
            "url": url,
            "html_url": f"{HTML}/{u.login}",
            "followers_url": f"{url}/followers",
            "following_url": f"{url}/following{{/other_user}}",
            "gists_url": f"{url}/gists{{/gist_id}}",
            "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{url}/subscriptions",
            "organizations_url": f"{url}/orgs",
            "repos_url": f"{url}/repos",
            "events_url": f"{url}/events{{/privacy}}",
            "received_events_url": f"{url}/received_events",
            "type": u.type,
            "user_view_type": "public",
            "site_admin": u.site_admin,
        }

    def public_user(self, u: User) -> dict[str, Any]:
        return self.user(u) | {
            "name": u.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": sum(1 for r in self.state.repos.values() if r.owner == u.login),
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": EPOCH,
            "updated_at": EPOCH,
        }

    # -- repositories -------------------------------------------------------------

    def repo(self, r: Repo, *, full: bool = False) -> dict[str, Any]:
        url = f"{self.api}/repos/{r.full_name}"
        owner = self.state.user(r.owner)
        data: dict[str, Any] = {
            "id": r.id,
            "node_id": node_id("Repository", r.id),
            "name": r.name,
            "full_name": r.full_name,
            "owner": self.user(owner),
            "private": r.private,
            "html_url": f"{HTML}/{r.full_name}",
            "description": None,
            "fork": r.fork,
            "url": url,
            "archive_url": f"{url}/{{archive_format}}{{/ref}}",
            "assignees_url": f"{url}/assignees{{/user}}",
            "blobs_url": f"{url}/git/blobs{{/sha}}",
            "branches_url": f"{url}/branches{{/branch}}",
            "collaborators_url": f"{url}/collaborators{{/collaborator}}",
            "comments_url": f"{url}/comments{{/number}}",
            "commits_url": f"{url}/commits{{/sha}}",
            "compare_url": f"{url}/compare/{{base}}...{{head}}",
            "contents_url": f"{url}/contents/{{+path}}",
            "contributors_url": f"{url}/contributors",
            "deployments_url": f"{url}/deployments",
            "downloads_url": f"{url}/downloads",
            "events_url": f"{url}/events",
            "forks_url": f"{url}/forks",
            "git_commits_url": f"{url}/git/commits{{/sha}}",
            "git_refs_url": f"{url}/git/refs{{/sha}}",
            "git_tags_url": f"{url}/git/tags{{/sha}}",
            "git_url": f"git://github.com/{r.full_name}.git",
            "issue_comment_url": f"{url}/issues/comments{{/number}}",
            "issue_events_url": f"{url}/issues/events{{/number}}",
            "issues_url": f"{url}/issues{{/number}}",
            "keys_url": f"{url}/keys{{/key_id}}",
            "labels_url": f"{url}/labels{{/name}}",
            "languages_url": f"{url}/languages",
            "merges_url": f"{url}/merges",
            "milestones_url": f"{url}/milestones{{/number}}",
            "notifications_url": f"{url}/notifications{{?since,all,participating}}",
            "pulls_url": f"{url}/pulls{{/number}}",
            "releases_url": f"{url}/releases{{/id}}",
            "ssh_url": f"git@github.com:{r.full_name}.git",
            "stargazers_url": f"{url}/stargazers",
            "statuses_url": f"{url}/statuses/{{sha}}",
            "subscribers_url": f"{url}/subscribers",
            "subscription_url": f"{url}/subscription",
            "tags_url": f"{url}/tags",
            "teams_url": f"{url}/teams",
            "trees_url": f"{url}/git/trees{{/sha}}",
            # The bare repository on disk: clones from it work (GitHub's is https).
            "clone_url": r.git.path.as_uri(),
            "mirror_url": None,
            "hooks_url": f"{url}/hooks",
            "svn_url": f"{HTML}/{r.full_name}",
            "homepage": None,
            "language": "Python",
            "forks_count": 0,
            "forks": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "watchers": 0,
            "size": 0,
            "default_branch": r.default_branch,
            "open_issues_count": 0,
            "open_issues": 0,
            "is_template": False,
            "topics": [],
            "has_issues": True,
            "has_projects": True,
            "has_wiki": True,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "visibility": "private" if r.private else "public",
            "pushed_at": r.created_at,
            "created_at": r.created_at,
            "updated_at": r.created_at,
            "allow_forking": True,
            "web_commit_signoff_required": False,
            "license": None,
        }
        if full:
            data |= {"network_count": 0, "subscribers_count": 0}
        return data

    # -- pulls ------------------------------------------------------------------------

    def _branch(self, repo_name: str, ref: str, sha: str) -> dict[str, Any]:
        repo = self.state.repo(repo_name)
        owner = repo_name.split("/", 1)[0]
        return {
            "label": f"{owner}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self.user(owner),
            "repo": self.repo(repo) if repo else None,
        }

    def association(self, repo: str, login: str) -> str:
        """What GitHub shows everyone (webhooks, GITHUB_TOKEN): private membership hidden."""
        r = self.state.repo(repo)
        key, org = login.lower(), repo.split("/")[0].lower()
        if r and key == r.owner.lower():
            return "OWNER"
        members = self.state.org_members.get(org, set())
        if self.rules(PRIVATE_MEMBERS_ASSOCIATION):
            members = members - self.state.private_members.get(org, set())
        if key in members:
            return "MEMBER"
        if r and key in r.collaborators:
            return "COLLABORATOR"
        if any(
            p.merged and p.author.lower() == key and p.repo.lower() == repo.lower()
            for p in self.state.pulls.values()
        ):
            return "CONTRIBUTOR"
        return "NONE"

    def pull(self, p: Pull, *, full: bool = False) -> dict[str, Any]:
        repo = self.state.repo(p.repo)
        assert repo is not None
        url = f"{self.api}/repos/{repo.full_name}/pulls/{p.number}"
        issue_url = f"{self.api}/repos/{repo.full_name}/issues/{p.number}"
        html = f"{HTML}/{repo.full_name}/pull/{p.number}"
        base_sha = repo.git.resolve(p.base_ref) or ""
        data: dict[str, Any] = {
            "url": url,
            "id": p.id,
            "node_id": node_id("PullRequest", p.id),
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": issue_url,
            "commits_url": f"{url}/commits",
            "review_comments_url": f"{url}/comments",
            "review_comment_url": f"{self.api}/repos/{repo.full_name}/pulls/comments{{/number}}",
            "comments_url": f"{issue_url}/comments",
            "statuses_url": f"{self.api}/repos/{repo.full_name}/statuses/{p.head_sha}",
            "number": p.number,
            "state": p.state,
            "locked": False,
            "title": p.title,
            "user": self.user(p.author),
            "body": p.body,
            "labels": [self.label(repo, name) for name in p.labels],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": p.created_at,
            "updated_at": p.updated_at,
            "closed_at": p.closed_at,
            "merged_at": p.closed_at if p.merged else None,
            "merge_commit_sha": None,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [self.user(login) for login in p.requested_reviewers],
            "requested_teams": [],
            "head": self._branch(p.head_repo, p.head_ref, p.head_sha),
            "base": self._branch(repo.full_name, p.base_ref, base_sha),
            "_links": {
                "self": {"href": url},
                "html": {"href": html},
                "issue": {"href": issue_url},
                "comments": {"href": f"{issue_url}/comments"},
                "review_comments": {"href": f"{url}/comments"},
                "review_comment": {
                    "href": f"{self.api}/repos/{repo.full_name}/pulls/comments{{/number}}"
                },
                "commits": {"href": f"{url}/commits"},
                "statuses": {"href": f"{self.api}/repos/{repo.full_name}/statuses/{p.head_sha}"},
            },
            "author_association": self.association(repo.full_name, p.author),
            "auto_merge": None,
            "draft": p.draft,
        }
        if full:
            files = self.state_files(p)
            data |= {
                "merged": p.merged,
                "mergeable": None if p.merged else True,
                "rebaseable": None,
                "mergeable_state": "unknown",
                "merged_by": None,
                "comments": len(self.state.comments_of(repo.full_name, p.number)),
                "review_comments": 0,
                "maintainer_can_modify": p.maintainer_can_modify,
                "commits": 1,
                "additions": sum(f["additions"] for f in files),
                "deletions": sum(f["deletions"] for f in files),
                "changed_files": len(files),
            }
        return data

    def label(self, repo: Repo, name: str) -> dict[str, Any]:
        ident = zlib.crc32(f"{repo.id}:{name}".encode())
        return {
            "id": ident,
            "node_id": node_id("Label", ident),
            "url": f"{self.api}/repos/{repo.full_name}/labels/{name}",
            "name": name,
            "description": None,
            "color": "ededed",
            "default": False,
        }

    def state_files(self, p: Pull) -> list[dict[str, Any]]:
        """The PR's changed files (diff-entry objects), from git or as given."""
        if p.files is not None:
            return p.files
        repo = self.state.repo(p.repo)
        assert repo is not None
        base = repo.git.resolve(p.base_ref)
        if base is None or not repo.git.exists(p.head_sha):
            return []
        merge_base = repo.git.merge_base(base, p.head_sha) or base
        return [
            diff_entry(d, api=self.api, repo=p.head_repo, ref=p.head_sha)
            for d in repo.git.diff(merge_base, p.head_sha)
        ]

    def review(self, rv: Review) -> dict[str, Any]:
        html = f"{HTML}/{rv.repo}/pull/{rv.number}"
        pull_url = f"{self.api}/repos/{rv.repo}/pulls/{rv.number}"
        data = {
            "id": rv.id,
            "node_id": node_id("PullRequestReview", rv.id),
            "user": self.user(rv.user),
            "body": rv.body,
            "state": rv.state,
            "html_url": f"{html}#pullrequestreview-{rv.id}",
            "pull_request_url": pull_url,
            "_links": {
                "html": {"href": f"{html}#pullrequestreview-{rv.id}"},
                "pull_request": {"href": pull_url},
            },
            "author_association": self.association(rv.repo, rv.user),
            "commit_id": rv.commit_id,
        }
        # A PENDING review has no submitted_at at all in REST answers.
        if rv.state != "PENDING":
            data["submitted_at"] = rv.submitted_at
        return data

    def review_request(self, p: Pull) -> dict[str, Any]:
        return {"users": [self.user(login) for login in p.requested_reviewers], "teams": []}

    def comment(self, c: Comment) -> dict[str, Any]:
        url = f"{self.api}/repos/{c.repo}/issues/comments/{c.id}"
        return {
            "id": c.id,
            "node_id": node_id("IssueComment", c.id),
            "url": url,
            "html_url": f"{HTML}/{c.repo}/pull/{c.number}#issuecomment-{c.id}",
            "body": c.body,
            "user": self.user(c.user),
            "created_at": c.created_at,
            "updated_at": c.updated_at,
            "issue_url": f"{self.api}/repos/{c.repo}/issues/{c.number}",
            "author_association": self.association(c.repo, c.user),
            "performed_via_github_app": None,
            "reactions": {
                "url": f"{url}/reactions",
                "total_count": 0,
                "+1": 0,
                "-1": 0,
                "laugh": 0,
                "confused": 0,
                "heart": 0,
                "hooray": 0,
                "eyes": 0,
                "rocket": 0,
            },
        }

    # -- statuses and checks --------------------------------------------------------

    def status(self, s: Status, *, with_creator: bool = True) -> dict[str, Any]:
        creator = self.state.user(s.creator)
        data = {
            "url": f"{self.api}/repos/{s.repo}/statuses/{s.sha}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{creator.id}?v=4",
            "id": s.id,
            "node_id": node_id("StatusContext", s.id),
            "state": s.state,
            "description": s.description,
            "target_url": s.target_url,
            "context": s.context,
            "created_at": s.created_at,
            "updated_at": s.updated_at,
        }
        if with_creator:
            data["creator"] = self.user(creator)
        return data

    def combined_status(self, repo: Repo, sha: str) -> dict[str, Any]:
        latest = sorted(
            self.state.latest_statuses(repo.full_name, sha).values(), key=lambda s: s.id
        )
        states = {s.state for s in latest}
        if not latest:
            combined = "pending"
        elif states & {"error", "failure"}:
            combined = "failure"
        elif "pending" in states:
            combined = "pending"
        else:
            combined = "success"
        return {
            "state": combined,
            "statuses": [self.status(s, with_creator=False) for s in latest],
            "sha": sha,
            "total_count": len(latest),
            "repository": self.minimal_repo(repo),
            "commit_url": f"{self.api}/repos/{repo.full_name}/commits/{sha}",
            "url": f"{self.api}/repos/{repo.full_name}/commits/{sha}/status",
        }

    def minimal_repo(self, r: Repo) -> dict[str, Any]:
        # minimal-repository is the repository object without the clone urls & counts.
        return self.repo(r)

    def app(self, slug: str) -> dict[str, Any]:
        registered = self.state.apps.get(slug.lower())
        ident = 15368 if slug == "github-actions" else zlib.crc32(slug.encode()) % 10**6
        owner = "github" if slug == "github-actions" else slug
        client_id = f"Iv1.{ident:016x}"
        name = "GitHub Actions" if slug == "github-actions" else slug
        permissions = {"checks": "write", "metadata": "read"}
        if registered is not None:
            ident, client_id, name = registered.id, registered.client_id, registered.name
            slug = registered.slug
            permissions = {"metadata": "read", **registered.permissions}
        return {
            "id": ident,
            "slug": slug,
            "client_id": client_id,
            "node_id": node_id("App", ident),
            "owner": self.user(owner),
            "name": name,
            "description": "",
            "external_url": f"{HTML}/features/actions",
            "html_url": f"{HTML}/apps/{slug}",
            "created_at": EPOCH,
            "updated_at": EPOCH,
            "permissions": {k.replace("-", "_"): v for k, v in permissions.items()},
            "events": [],
        }

    def check_run(self, c: CheckRun) -> dict[str, Any]:
        url = f"{self.api}/repos/{c.repo}/check-runs/{c.id}"
        suite_id = c.id + 50_000_000
        return {
            "id": c.id,
            "node_id": node_id("CheckRun", c.id),
            "head_sha": c.head_sha,
            "external_id": c.external_id or "",
            "url": url,
            "html_url": f"{HTML}/{c.repo}/runs/{c.id}",
            "details_url": c.details_url or f"{HTML}/{c.repo}/runs/{c.id}",
            "status": c.status,
            "conclusion": c.conclusion,
            "started_at": c.started_at,
            "completed_at": c.completed_at,
            "output": {
                "title": c.output.get("title"),
                "summary": c.output.get("summary"),
                "text": c.output.get("text"),
                "annotations_count": len(c.output.get("annotations", [])),
                "annotations_url": f"{url}/annotations",
            },
            "name": c.name,
            "check_suite": {"id": suite_id},
            "app": self.app(c.app),
            "pull_requests": [
                self.pull_minimal(p)
                for p in self.state.pulls.values()
                if p.repo.lower() == c.repo.lower()
                and p.head_sha == c.head_sha
                and p.head_repo.lower() == p.repo.lower()
            ],
        }

    def pull_minimal(self, p: Pull) -> dict[str, Any]:
        repo = self.state.repo(p.repo)
        head_repo = self.state.repo(p.head_repo) or repo
        assert repo is not None
        assert head_repo is not None

        def small(r: Repo) -> dict[str, Any]:
            return {"id": r.id, "url": f"{self.api}/repos/{r.full_name}", "name": r.name}

        return {
            "id": p.id,
            "number": p.number,
            "url": f"{self.api}/repos/{repo.full_name}/pulls/{p.number}",
            "head": {"ref": p.head_ref, "sha": p.head_sha, "repo": small(head_repo)},
            "base": {
                "ref": p.base_ref,
                "sha": repo.git.resolve(p.base_ref) or "",
                "repo": small(repo),
            },
        }

    # -- actions ---------------------------------------------------------------------

    def workflow(self, w: Workflow) -> dict[str, Any]:
        return {
            "id": w.id,
            "node_id": node_id("Workflow", w.id),
            "name": w.name,
            "path": w.path,
            "state": w.state,
            "created_at": w.created_at,
            "updated_at": w.created_at,
            "url": f"{self.api}/repos/{w.repo}/actions/workflows/{w.id}",
            "html_url": f"{HTML}/{w.repo}/blob/main/{w.path}",
            "badge_url": f"{HTML}/{w.repo}/workflows/{w.name}/badge.svg",
        }

    def run(self, r: Run) -> dict[str, Any]:
        repo = self.state.repo(r.repo)
        assert repo is not None
        head_repo = self.state.repo(r.head_repo) or repo
        wf = next((w for w in self.state.workflows if w.id == r.workflow_id), None)
        url = f"{self.api}/repos/{repo.full_name}/actions/runs/{r.id}"
        pulls = [self.state.pull(repo.full_name, n) for n in r.pull_numbers]
        return {
            "id": r.id,
            "name": wf.name if wf else None,
            "node_id": node_id("WorkflowRun", r.id),
            "check_suite_id": r.id + 40_000_000,
            "check_suite_node_id": node_id("CheckSuite", r.id + 40_000_000),
            "head_branch": r.head_branch,
            "head_sha": r.head_sha,
            "path": wf.path if wf else "",
            "run_number": r.run_number,
            "run_attempt": r.run_attempt,
            "event": r.event,
            "display_title": r.display_title,
            "status": r.status,
            "conclusion": r.conclusion,
            "workflow_id": r.workflow_id,
            "url": url,
            "html_url": f"{HTML}/{repo.full_name}/actions/runs/{r.id}",
            # GitHub lists only pull requests whose head is in this repository:
            # the list is empty for runs from forks (docs/github-facts.md).
            "pull_requests": [
                self.pull_minimal(p)
                for p in pulls
                if p is not None
                and (
                    p.head_repo.lower() == repo.full_name.lower()
                    or not self.rules(RUN_PULL_REQUESTS_SAME_REPOSITORY)
                )
            ],
            "created_at": r.created_at,
            "updated_at": r.updated_at,
            "run_started_at": r.created_at,
            "actor": self.user(r.actor),
            "triggering_actor": self.user(r.actor),
            "jobs_url": f"{url}/jobs",
            "logs_url": f"{url}/logs",
            "check_suite_url": f"{self.api}/repos/{repo.full_name}/check-suites/"
            f"{r.id + 40_000_000}",
            "artifacts_url": f"{url}/artifacts",
            "cancel_url": f"{url}/cancel",
            "rerun_url": f"{url}/rerun",
            "previous_attempt_url": f"{url}/attempts/{r.run_attempt - 1}"
            if r.run_attempt > 1
            else None,
            "workflow_url": f"{self.api}/repos/{repo.full_name}/actions/workflows/{r.workflow_id}",
            "head_commit": {
                "id": r.head_sha,
                "tree_id": _tree_or_zero(head_repo, r.head_sha),
                "message": r.display_title,
                "timestamp": r.created_at,
                "author": {"name": "Fake GitHub", "email": "fake@github.invalid"},
                "committer": {"name": "Fake GitHub", "email": "fake@github.invalid"},
            },
            "repository": self.minimal_repo(repo),
            "head_repository": self.minimal_repo(head_repo),
            "head_repository_id": head_repo.id,
            "referenced_workflows": [],
        }

    def job(self, j: Job) -> dict[str, Any]:
        run = next(r for r in self.state.runs if r.id == j.run_id)
        wf = next((w for w in self.state.workflows if w.id == run.workflow_id), None)
        return {
            "id": j.id,
            "run_id": j.run_id,
            "run_url": f"{self.api}/repos/{j.repo}/actions/runs/{j.run_id}",
            "run_attempt": run.run_attempt,
            "node_id": node_id("CheckRun", j.id),
            "head_sha": run.head_sha,
            "head_branch": run.head_branch,
            "url": f"{self.api}/repos/{j.repo}/actions/jobs/{j.id}",
            "html_url": f"{HTML}/{j.repo}/actions/runs/{j.run_id}/job/{j.id}",
            "status": j.status,
            "conclusion": j.conclusion,
            "created_at": j.started_at,
            "started_at": j.started_at,
            "completed_at": j.completed_at,
            "name": j.name,
            "steps": j.steps,
            "check_run_url": f"{self.api}/repos/{j.repo}/check-runs/{j.id}",
            "labels": j.labels,
            "runner_id": 1,
            "runner_name": "GitHub Actions 1",
            "runner_group_id": 1,
            "runner_group_name": "GitHub Actions",
            "workflow_name": wf.name if wf else None,
        }


def _tree_or_zero(repo: Repo, sha: str) -> str:
    if repo.git.object_type(sha) == "commit":
        return repo.git.tree_of(sha)
    return "0" * 40


def diff_entry(d: DiffEntry, *, api: str, repo: str, ref: str) -> dict[str, Any]:
    """A changed file as the REST API lists it (`diff-entry`), its URLs at `repo`@`ref`."""
    return {
        "sha": d.sha,
        "filename": d.path,
        "status": d.status,
        "additions": d.additions,
        "deletions": d.deletions,
        "changes": d.additions + d.deletions,
        "blob_url": f"{HTML}/{repo}/blob/{ref}/{d.path}",
        "raw_url": f"{HTML}/{repo}/raw/{ref}/{d.path}",
        "contents_url": f"{api}/repos/{repo}/contents/{d.path}?ref={ref}",
        "patch": d.patch,
    }
