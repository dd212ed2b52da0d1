"""The review facts gathered from GitHub (the fake, over HTTP) and the writes."""

from __future__ import annotations

import pytest
from fake_github import FakeGitHub
from fake_github.client import call
from repowarden.runtime.config import Config, parse_config
from repowarden.runtime.github import GitHub
from repowarden.runtime.reviews import (
    fetch_files,
    gather,
    original_reviewers,
    pull_facts,
    remove_requests,
    verdict_for,
)

MAP_ONLY = """\
repository: o/r
review:
  admins: [admin1, admin2]
  reviewers: {alice: [bob, carol], "*": [admin1, admin2]}
"""
WITH_RULES = (
    MAP_ONLY
    + """\
  groups: {core: [alice, bob, carol], docs: [dora]}
  rules:
    - name: code
      if: {author: {is: [internal]}, no_paths: [/docs/]}
      require: {approvals: 1, from: [core]}
    - name: docs
      if: {paths: [/docs/]}
      require: {approvals: 1, from: [docs]}
"""
)


def client(github: FakeGitHub, scopes: dict[str, str] | None = None) -> GitHub:
    return GitHub("o/r", token=github.token(scopes or {"pull-requests": "read"}))


@pytest.fixture
def repo(github: FakeGitHub) -> str:
    github.add_repo("o/r")
    return "o/r"


def test_files_come_from_every_page(github: FakeGitHub, repo: str) -> None:
    """GET …/pulls/{n}/files is paginated (100 a page here)."""
    pr = github.add_pull(repo, author="dave", files={f"src/f{i}.py": "x\n" for i in range(250)})
    gh = client(github)
    changes = fetch_files(gh, pull_facts(gh, pr))
    assert len(changes.files) == 250
    assert not changes.truncated
    assert {f.additions for f in changes.files} == {1}
    assert len(github.calls_matching("GET", "/files$")) == 3


@pytest.mark.slow
def test_a_pull_request_over_githubs_file_cap_is_truncated(github: FakeGitHub, repo: str) -> None:
    """GitHub's REST docs, "List pull requests files": responses include a maximum of 3000 files;
    the pull request's `changed_files` says there were more."""
    pr = github.add_pull(repo, author="dave", files={f"f/{i}.txt": "x\n" for i in range(3001)})
    gh = client(github)
    changes = fetch_files(gh, pull_facts(gh, pr))
    assert (len(changes.files), changes.truncated) == (3000, True)


def test_a_map_only_policy_never_reads_the_files(github: FakeGitHub, repo: str) -> None:
    """The call economy of before: reviews only (plus membership when it matters)."""
    pr = github.add_pull(repo, author="alice")
    github.add_review(repo, pr, user="bob", state="APPROVED")
    gh = client(github)
    pull = pull_facts(gh, pr)
    start = len(github.calls)
    verdict = verdict_for(gh, parse_config(MAP_ONLY), pull)
    assert not verdict.approved
    assert [c.path.rsplit("/", 1)[-1] for c in github.calls[start:]] == ["reviews"]


def test_rules_read_the_files_once(github: FakeGitHub, repo: str) -> None:
    pr = github.add_pull(repo, author="alice", files={"docs/intro.md": "hello\n"})
    github.add_review(repo, pr, user="bob", state="APPROVED")
    github.add_review(repo, pr, user="carol", state="APPROVED")
    config: Config = parse_config(WITH_RULES)
    gh = client(github)
    pull = pull_facts(gh, pr)
    start = len(github.calls)
    facts = gather(gh, config, pull)
    assert facts.changes.names == ("docs/intro.md",)
    assert [c.path.rsplit("/", 1)[-1] for c in github.calls[start:]] == ["reviews", "files"]
    verdict = facts.verdict(config.review)
    assert not verdict.approved  # the map's bob + carol, but the docs rule wants dora
    assert "rule 'docs': applies, missing 1 more approval(s) from dora" in verdict.reasons
    github.add_review(repo, pr, user="dora", state="APPROVED")
    assert verdict_for(gh, config, pull).approved


def test_backport_reviewers_are_the_originals(github: FakeGitHub, repo: str) -> None:
    """assign_test.go TestBackportReviewers: pending requests and reviewers of the
    original, no bots (backport-reviewed-by-bot), never the backport's author."""
    original = github.add_pull(repo, author="baz")
    github.add_collaborator(repo, "3")
    gh = client(github, {"pull-requests": "write"})
    gh.request(
        "POST", gh.repo_path(f"/pulls/{original}/requested_reviewers"), data={"reviewers": ["3"]}
    )
    github.add_review(repo, original, user="4", state="APPROVED")
    github.add_review(repo, original, user="espa[bot]lini", state="APPROVED")
    github.add_review(repo, original, user="9", state="APPROVED")
    assert original_reviewers(gh, original, author="9") == ["3", "4"]
    assert original_reviewers(gh, 999, author="9") is None  # backport-original-not-found


def test_unneeded_requests_are_withdrawn(github: FakeGitHub, repo: str) -> None:
    """check.go dismissReviewers: DELETE …/requested_reviewers."""
    for login in ("user3", "user4"):
        github.add_collaborator(repo, login)
    pr = github.add_pull(repo, author="alice")
    gh = client(github, {"pull-requests": "write"})
    gh.request(
        "POST",
        gh.repo_path(f"/pulls/{pr}/requested_reviewers"),
        data={"reviewers": ["user3", "user4"]},
    )
    remove_requests(gh, pr, ["user3"])
    assert list(github.pull(repo, pr).requested_reviewers) == ["user4"]
    start = len(github.calls)
    remove_requests(gh, pr, [])
    assert len(github.calls) == start  # nothing to withdraw: no call


KEEP_ON_UPDATE_MERGE = (
    MAP_ONLY.replace('"*": [admin1, admin2]}', '"*": [admin1, admin2]}\n  external:')
    + "    approvals: 1\n    keep_approvals_on_update_merge: true\n"
)


def approved_then_updated(github: FakeGitHub, repo: str) -> tuple[int, str]:
    """mallory's fork PR approved by admin1; the base moves; a maintainer updates the branch."""
    pr = github.add_pull(repo, author="mallory", head_repo="mallory/r")
    old = github.pull(repo, pr).head_sha
    github.add_review(repo, pr, user="admin1", state="APPROVED")
    github.commit(repo, {"docs/base.md": "moved\n"})
    github.pull(repo, pr).maintainer_can_modify = True
    maintainer = github.token({"pull-requests": "write"}, login="admin2")
    assert (
        call(github, "PUT", f"/repos/{repo}/pulls/{pr}/update-branch", token=maintainer).status
        == 202
    )
    return pr, old


def test_an_update_merge_keeps_an_older_approval(github: FakeGitHub, repo: str) -> None:
    """GET …/compare/{approved}...{head}: ahead, and none of the PR's files: it counts,
    and the reviewer's row says why."""
    pr, old = approved_then_updated(github, repo)
    gh = client(github, {"pull-requests": "read", "contents": "read"})
    verdict = verdict_for(gh, parse_config(KEEP_ON_UPDATE_MERGE), pull_facts(gh, pr))
    assert verdict.approved, verdict.reasons
    (row,) = [r for r in verdict.rows if r.login == "admin1"]
    assert row.note.startswith(f"approved {old[:7]}; the compare API shows the head")
    assert "(a merge of the base branch), so it still counts" in row.note


def test_without_the_compare_api_older_approvals_do_not_count(
    github: FakeGitHub, repo: str
) -> None:
    """GET …/compare needs contents: read: without it GitHub answers 403 (404 on a
    private repository); a job not granted it (compare=False) makes no call. Either
    way: fail closed, and say why."""
    config = parse_config(KEEP_ON_UPDATE_MERGE)
    pr, old = approved_then_updated(github, repo)
    head = github.pull(repo, pr).head_sha
    gh = client(github)
    verdict = verdict_for(gh, config, pull_facts(gh, pr))
    assert not verdict.approved
    assert verdict.reasons[1].startswith("the compare API could not be read")
    assert any(c.path.endswith(f"/compare/{old}...{head}") for c in github.calls)

    calls = len(github.calls)
    verdict = verdict_for(gh, config, pull_facts(gh, pr), compare=False)
    assert not verdict.approved
    assert verdict.reasons[1].startswith("this job was not granted contents: read")
    assert not any("/compare/" in c.path for c in github.calls[calls:])


def test_the_files_are_read_only_for_an_approval_to_compare(github: FakeGitHub, repo: str) -> None:
    """keep_approvals_on_update_merge costs nothing where no older approval is in
    question: an internal PR, or an external one approved on its head, reads no files."""
    config = parse_config(KEEP_ON_UPDATE_MERGE)
    internal = github.add_pull(repo, author="alice")
    external = github.add_pull(repo, author="mallory", head_repo="mallory/r")
    github.add_review(repo, external, user="admin1", state="APPROVED")
    gh = client(github, {"pull-requests": "read", "contents": "read"})
    for number in (internal, external):
        verdict_for(gh, config, pull_facts(gh, number))
    assert github.calls_matching("GET", "/files$") == []
    assert github.calls_matching("GET", "/compare/") == []
