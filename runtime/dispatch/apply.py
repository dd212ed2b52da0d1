"""The privileged side of a patch operation: apply a verified patch through the API.

Nothing untrusted is checked out or executed here. The current file contents are
read as blobs through the Git Data API, the hunks are applied in Python
(patch.py: exact match, no fuzz), and the result is written back as blobs, a tree
on the base commit's tree, a commit, and a ref:

- no PR: branch `repowarden/<operation>/<id>` off the dispatched default-branch
  commit, and a pull request into the default branch;
- `format` on a same-repository PR: a fast-forward push to the PR's own head branch,
  only from the exact head the unprivileged job ran on (a moved head is refused,
  never forced), and never to the default branch or a protected one (branch
  protection, or an active ruleset with any rule beyond creation/deletion; a branch
  whose protection cannot be read counts as protected);
- another operation on a same-repository PR: the branch as above, with a pull
  request into the PR's branch;
- a fork PR: nothing is pushed; the patch goes into the PR comment.

Re-running (same id) is idempotent: a branch whose tip already has the computed
tree, or a PR head that is already our commit, is left alone.

Every URL path segment built from data is quoted: a branch may be named `main#x`,
which unquoted would end the path at `main` (the rest read as a URL fragment).

With an App (`app:` in the config) the pushes and pull requests are made with its
installation token (`pusher`), so GitHub starts the PR's workflows for them; made
with GITHUB_TOKEN they start none, and the result says so.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any, assert_never
from urllib.parse import quote

from repowarden.runtime.config import Config
from repowarden.runtime.dispatch.artifact import Verification
from repowarden.runtime.dispatch.kinds import kind_of
from repowarden.runtime.dispatch.patch import FilePatch, PatchError, apply_hunks
from repowarden.runtime.dispatch.payload import DispatchRequest
from repowarden.runtime.dispatch.report import MAX_COMMENT, NOTHING, SUCCESS, marker
from repowarden.runtime.github import GitHub, NotFound, PermissionDenied

NO_CI = (
    "CI will not run on this commit by itself: GitHub starts no workflow run for a push "
    "or a pull request made with a workflow's GITHUB_TOKEN. Configure a GitHub App "
    "(`app:` in `.github/repowarden.yml`, see repowarden's README) so results are pushed "
    "with its token; until then, close and reopen the pull request to run CI."
)


class ApplyRefused(Exception):
    """The verified patch cannot be applied safely; the message says why."""


@dataclass(frozen=True)
class Applied:
    state: str  # report.SUCCESS or report.NOTHING
    detail: str  # markdown for the PR comment and the job summary
    pushed: bool  # a ref moved in this run


def branch_name(request: DispatchRequest) -> str:
    return f"repowarden/{request.operation}/{request.id}"


def segment(value: str) -> str:
    """A git object id or branch name as one URL path segment (`release/1.2` is
    `release%2F1.2`)."""
    return quote(value, safe="")


def ref_segments(ref: str) -> str:
    """A branch name as URL path segments: its slashes stay, `#`, `?` and `%` are quoted."""
    return quote(ref, safe="/")


class _Trees:
    """Reads of one repository's trees, each fetched once."""

    def __init__(self, gh: GitHub) -> None:
        self.gh = gh
        self._cache: dict[str, list[dict[str, Any]]] = {}

    def entries(self, tree_sha: str) -> list[dict[str, Any]]:
        if tree_sha not in self._cache:
            body = self.gh.get(self.gh.repo_path(f"/git/trees/{segment(tree_sha)}"))
            self._cache[tree_sha] = list(body.get("tree") or [])
        return self._cache[tree_sha]

    def lookup(self, tree_sha: str, path: str) -> dict[str, Any] | None:
        current = tree_sha
        parts = path.split("/")
        for index, part in enumerate(parts):
            entry = next((e for e in self.entries(current) if e.get("path") == part), None)
            if entry is None:
                return None
            if index == len(parts) - 1:
                return entry
            if entry.get("type") != "tree":
                return None
            current = entry["sha"]
        return None


def _commit(gh: GitHub, sha: str) -> dict[str, Any]:
    try:
        result: dict[str, Any] = gh.get(gh.repo_path(f"/git/commits/{segment(sha)}"))
    except NotFound:
        raise ApplyRefused(f"commit {sha} does not exist in {gh.repository}") from None
    return result


def _read_blob(gh: GitHub, sha: str) -> bytes:
    body = gh.get(gh.repo_path(f"/git/blobs/{segment(sha)}"))
    if body.get("encoding") != "base64":
        raise ApplyRefused(f"blob {sha} came back in encoding {body.get('encoding')!r}")
    return base64.b64decode(body.get("content") or "")


def new_contents(
    gh: GitHub, base_tree: str, patches: list[FilePatch]
) -> list[tuple[str, str, bytes]]:
    """(path, mode, new bytes) per patched file, from the base tree's current blobs."""
    trees = _Trees(gh)
    out = []
    for fp in patches:
        entry = trees.lookup(base_tree, fp.path)
        if fp.new_file:
            if entry is not None:
                raise ApplyRefused(f"{fp.path}: the patch creates it, but it already exists")
            original, mode = b"", fp.new_mode or "100644"
        else:
            if entry is None or entry.get("type") != "blob":
                raise ApplyRefused(f"{fp.path}: not a file in the base commit")
            if entry.get("mode") not in ("100644", "100755"):
                raise ApplyRefused(f"{fp.path}: mode {entry.get('mode')} is not a regular file")
            original, mode = _read_blob(gh, entry["sha"]), entry["mode"]
        try:
            out.append((fp.path, mode, apply_hunks(original, fp)))
        except PatchError as exc:
            raise ApplyRefused(str(exc)) from None
    return out


def _write_tree(gh: GitHub, base_tree: str, files: list[tuple[str, str, bytes]]) -> str:
    entries = []
    for path, mode, data in files:
        blob = gh.request(
            "POST",
            gh.repo_path("/git/blobs"),
            data={"content": base64.b64encode(data).decode("ascii"), "encoding": "base64"},
        )
        entries.append({"path": path, "mode": mode, "type": "blob", "sha": blob["sha"]})
    tree = gh.request(
        "POST", gh.repo_path("/git/trees"), data={"base_tree": base_tree, "tree": entries}
    )
    return str(tree["sha"])


def _ref_sha(gh: GitHub, branch: str) -> str | None:
    try:
        body = gh.get(gh.repo_path(f"/git/ref/heads/{ref_segments(branch)}"))
    except NotFound:
        return None
    return str(body["object"]["sha"])


# Ruleset rules that say nothing about updating an existing branch; every other type,
# known or not, makes the branch one that repowarden does not push to (fail closed).
RULES_NOT_ABOUT_UPDATES = frozenset({"creation", "deletion"})


def refuse_protected(gh: GitHub, branch: str) -> None:
    """ApplyRefused unless GitHub says `branch` is unprotected and no active rule gates updates.

    Two reads: "Get a branch" (its `protected` flag covers branch protection and
    rulesets) and "Get rules for a branch" (the active rules on it, at any level).
    """
    where = f"the PR's head branch {_code(branch)}"
    quoted = segment(branch)
    try:
        body = gh.get(gh.repo_path(f"/branches/{quoted}"))
        if not isinstance(body, dict) or body.get("protected") is not False:
            raise ApplyRefused(
                f"{where} is protected (branch protection or a ruleset); repowarden never "
                "pushes to a protected branch (open the PR from an unprotected branch)"
            )
        rules = list(gh.paginate(gh.repo_path(f"/rules/branches/{quoted}")))
    except (NotFound, PermissionDenied) as exc:
        raise ApplyRefused(
            f"whether {where} is protected could not be read ({exc.message}); repowarden "
            "pushes only to a branch it knows is unprotected"
        ) from None
    kinds = {str(r.get("type")) if isinstance(r, dict) else "?" for r in rules}
    gating = sorted(kinds - RULES_NOT_ABOUT_UPDATES)
    if gating:
        raise ApplyRefused(
            f"active ruleset rules restrict updates to {where} "
            f"({', '.join(_code(t) for t in gating)}); repowarden never pushes to a "
            "protected branch (open the PR from an unprotected branch)"
        )


def _code(text: str) -> str:
    """Inline code for a path or ref from the PR: no backtick can end it early."""
    return "`" + text.replace("`", "'")[:200] + "`"


def code_fence(text: str) -> str:
    """A backtick fence longer than any run of backticks in `text`: nothing can close it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def apply_patch(
    gh: GitHub,
    config: Config,
    request: DispatchRequest,
    verified: Verification,
    patch_text: bytes,
    *,
    run_url: str,
    pusher: GitHub | None = None,
) -> Applied:
    """Apply a verified patch artifact; ApplyRefused if it cannot be done safely.

    `pusher` (the App's client, if any) makes every write that should start CI.
    """
    manifest = verified.manifest
    if manifest is None or verified.violations:
        raise ApplyRefused("the artifact was not verified; nothing is applied")
    op = config.dispatch.operation(request.operation) if config.dispatch else None
    if op is None:
        raise ApplyRefused(f"operation {request.operation!r} is not configured")
    writer = pusher or gh
    patches = verified.patches
    pull: dict[str, Any] | None = None
    same_repo = False
    if request.pr is not None:
        pull = gh.get(gh.repo_path(f"/pulls/{request.pr}"))
        if not isinstance(pull, dict) or not isinstance(pull.get("head"), dict):
            raise ApplyRefused(f"pull request #{request.pr} could not be read")
        if pull.get("state") != "open":
            raise ApplyRefused(f"pull request #{request.pr} is not open")
        head_repo = (pull.get("head") or {}).get("repo") or {}
        same_repo = head_repo.get("full_name") == gh.repository
    elif manifest.head_sha != manifest.base_sha:
        raise ApplyRefused(
            f"manifest head_sha {manifest.head_sha} differs from base_sha {manifest.base_sha} "
            "for a dispatch without a PR"
        )
    if not patches:
        return Applied(NOTHING, "The operation changed nothing.", pushed=False)
    changed = ", ".join(_code(fp.path) for fp in patches)

    if pull is not None and not same_repo:
        # A fork: we never push to it. The author applies the patch themselves.
        if pull["head"]["sha"] != manifest.head_sha:
            raise ApplyRefused(
                f"the PR head moved to {pull['head']['sha']} since the operation ran on "
                f"{manifest.head_sha}; dispatch again"
            )
        text = patch_text.decode("utf-8", "replace")
        fence = code_fence(text)
        detail = (
            f"This PR comes from a fork, so repowarden does not push to it. It changes "
            f"{changed}. To apply the change, save the patch below as `repowarden.patch` "
            f"in your checkout of {_code(str(pull['head']['ref']))} and run:\n\n"
            "```sh\ngit apply repowarden.patch && git commit -am 'Apply repowarden "
            f"{request.operation}' && git push\n```\n\n"
            f"<details><summary>repowarden.patch</summary>\n\n{fence}diff\n{text}{fence}\n"
            "</details>"
        )
        if len(detail) > MAX_COMMENT - 2000:
            detail = (
                f"This PR comes from a fork, so repowarden does not push to it. The patch "
                f"(changing {changed}) is too large for a comment: download the artifact "
                f"`{request.id}` from the [workflow run]({run_url}) and `git apply` its "
                "`patch.diff`."
            )
        return Applied(SUCCESS, detail, pushed=False)

    base_commit = _commit(gh, manifest.head_sha)
    base_tree = base_commit["tree"]["sha"]
    files = new_contents(gh, base_tree, patches)
    tree = _write_tree(writer, base_tree, files)
    if tree == base_tree:
        return Applied(NOTHING, "The patch leaves every file as it was.", pushed=False)
    message = (
        f"repowarden {request.operation}: update {', '.join(fp.path for fp in patches)}\n\n"
        f"Dispatch {request.id}, {run_url}\n"
    )

    result = kind_of(op).result
    match result:
        case "push" if pull is not None:
            applied = _push_to_pr(
                gh, writer, config, pull, manifest.head_sha, tree, message, changed
            )
            return _with_ci_note(applied, pusher)
        case "push" | "pull-request":
            pass  # a new branch and a pull request, below
        case "publish":
            raise ApplyRefused(f"{op.kind} is published by the publish job, not applied")
        case _:
            assert_never(result)

    if pull is not None:
        base_ref = pull["head"]["ref"]
        if pull["head"]["sha"] != manifest.head_sha:
            raise ApplyRefused(
                f"the PR head moved to {pull['head']['sha']} since the operation ran on "
                f"{manifest.head_sha}; dispatch again"
            )
    else:
        base_ref = config.default_branch
    branch = branch_name(request)
    tip = _ref_sha(gh, branch)
    pushed = False
    if tip is None:
        commit = writer.request(
            "POST",
            writer.repo_path("/git/commits"),
            data={"message": message, "tree": tree, "parents": [manifest.head_sha]},
        )
        writer.request(
            "POST",
            writer.repo_path("/git/refs"),
            data={"ref": f"refs/heads/{branch}", "sha": commit["sha"]},
        )
        pushed = True
    else:
        tip_commit = _commit(gh, tip)
        if tip_commit["tree"]["sha"] != tree:
            raise ApplyRefused(
                f"branch {branch} already exists with other contents; dispatch again with a new id"
            )
    number, url = _open_or_update_pr(writer, request, branch, base_ref, changed, run_url, pusher)
    applied = Applied(
        SUCCESS,
        f"Opened [#{number}]({url}) from {_code(branch)} into {_code(base_ref)}, "
        f"changing {changed}.",
        pushed=pushed,
    )
    return _with_ci_note(applied, pusher)


def _with_ci_note(applied: Applied, pusher: GitHub | None) -> Applied:
    if pusher is not None or applied.state != SUCCESS:
        return applied
    return Applied(applied.state, f"{applied.detail}\n\n{NO_CI}", applied.pushed)


def _push_to_pr(
    reader: GitHub,
    gh: GitHub,
    config: Config,
    pull: dict[str, Any],
    worked_on: str,
    tree: str,
    message: str,
    changed: str,
) -> Applied:
    """Fast-forward the PR's own head branch from exactly `worked_on` to our commit."""
    head_sha, head_ref = str(pull["head"].get("sha")), str(pull["head"].get("ref"))
    repository = gh.get(gh.repo_path())
    defaults = {config.default_branch, str((repository or {}).get("default_branch"))}
    if head_ref in defaults:
        raise ApplyRefused(
            f"the PR's head branch {_code(head_ref)} is the default branch; repowarden never "
            "pushes to it (open the PR from another branch)"
        )
    refuse_protected(reader, head_ref)
    current = _ref_sha(gh, head_ref)
    if current is None:
        raise ApplyRefused(f"the PR's head branch {_code(head_ref)} could not be read")
    if head_sha != worked_on or current != worked_on:
        moved = current if current != worked_on else head_sha
        tip = _commit(gh, moved)
        parents = [p["sha"] for p in tip.get("parents") or []]
        if current == head_sha and parents == [worked_on] and tip["tree"]["sha"] == tree:
            return Applied(
                SUCCESS, f"Already pushed to {_code(head_ref)} ({head_sha[:12]}).", pushed=False
            )
        raise ApplyRefused(
            f"the PR head moved to {moved} since the operation ran on {worked_on}; "
            "refusing to push (dispatch again)"
        )
    commit = gh.request(
        "POST",
        gh.repo_path("/git/commits"),
        data={"message": message, "tree": tree, "parents": [worked_on]},
    )
    # The branch was at `worked_on` a moment ago and our commit's only parent is
    # `worked_on`; force=False makes GitHub refuse anything but that fast-forward.
    gh.request(
        "PATCH",
        gh.repo_path(f"/git/refs/heads/{ref_segments(head_ref)}"),
        data={"sha": commit["sha"], "force": False},
    )
    return Applied(
        SUCCESS,
        f"Pushed {commit['sha'][:12]} to {_code(head_ref)}, changing {changed}.",
        pushed=True,
    )


def _open_or_update_pr(
    gh: GitHub,
    request: DispatchRequest,
    branch: str,
    base_ref: str,
    changed: str,
    run_url: str,
    pusher: GitHub | None,
) -> tuple[int, str]:
    title = f"repowarden {request.operation}: update {changed.replace('`', '')}"[:250]
    body = (
        f"{marker(request.id, SUCCESS)}\n"
        f"repowarden ran `{request.operation}` (dispatch `{request.id}`, "
        f"[workflow run]({run_url})) and changed {changed}.\n"
    )
    existing = list(gh.paginate(gh.repo_path("/pulls"), state="all", head=f"{gh.owner}:{branch}"))
    mine = [p for p in existing if (p.get("head") or {}).get("ref") == branch]
    if mine:
        pr = mine[0]
        if pr.get("title") != title or pr.get("body") != body:
            gh.request(
                "PATCH",
                gh.repo_path(f"/pulls/{int(pr['number'])}"),
                data={"title": title, "body": body},
            )
        return int(pr["number"]), str(pr.get("html_url", ""))
    try:
        created = gh.request(
            "POST",
            gh.repo_path("/pulls"),
            data={"title": title, "head": branch, "base": base_ref, "body": body},
        )
    except PermissionDenied as exc:
        if pusher is not None:
            raise
        raise ApplyRefused(
            f"GitHub refused to open the pull request from {_code(branch)} ({exc.message}). "
            "A workflow's GITHUB_TOKEN may open pull requests only when the repository "
            "setting 'Allow GitHub Actions to create and approve pull requests' is on "
            "(Settings, Actions, General); better, configure `app:` so the App opens it "
            "and CI runs on it. The branch is pushed: open the PR by hand meanwhile."
        ) from None
    return int(created["number"]), str(created.get("html_url", ""))
