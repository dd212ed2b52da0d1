"""Compare two commits answers as GitHub documents it (docs.github.com/rest/commits/
commits#compare-two-commits; the same text is in @octokit/openapi 23.0.2)."""

from __future__ import annotations

from typing import Any

import pytest

from fake_github import FakeGitHub
from fake_github.client import Answer, call

REPO = "org/app"
COMPARE = f"/repos/{REPO}/compare"


@pytest.fixture
def gh(github: FakeGitHub) -> FakeGitHub:
    github.add_repo(REPO, files={"README.md": "hello\n", "lib/a.py": "a = 1\n"})
    return github


def compare(gh: FakeGitHub, basehead: str, **query: Any) -> Answer:
    token = gh.token({"contents": "read"}, repo=REPO)
    return call(gh, "GET", f"{COMPARE}/{basehead}", token=token, query=query or None)


def files(answer: Answer) -> list[str]:
    return [item["filename"] for item in answer.json["files"]]


def test_status_and_counts_follow_the_histories(gh: FakeGitHub) -> None:
    """ahead: base is an ancestor of head; behind: the reverse; diverged: both have
    commits of their own; identical: the same commit. ahead_by/behind_by count them."""
    main = gh.commit(REPO, {"lib/b.py": "b\n"})
    topic = gh.commit(REPO, {"lib/c.py": "c\n"}, branch="topic")
    topic2 = gh.commit(REPO, {"lib/d.py": "d\n"}, branch="topic")

    ahead = compare(gh, f"{main}...topic").json
    assert (ahead["status"], ahead["ahead_by"], ahead["behind_by"]) == ("ahead", 2, 0)
    assert ahead["total_commits"] == 2
    assert [c["sha"] for c in ahead["commits"]] == [topic, topic2]  # oldest first
    assert ahead["merge_base_commit"]["sha"] == ahead["base_commit"]["sha"] == main

    behind = compare(gh, f"topic...{main}").json
    assert (behind["status"], behind["ahead_by"], behind["behind_by"]) == ("behind", 0, 2)
    assert behind["commits"] == []
    assert behind["files"] == []

    assert compare(gh, "topic...topic").json["status"] == "identical"

    later = gh.commit(REPO, {"lib/e.py": "e\n"})
    diverged = compare(gh, f"{later}...topic").json
    assert (diverged["status"], diverged["ahead_by"], diverged["behind_by"]) == ("diverged", 2, 1)
    assert diverged["merge_base_commit"]["sha"] == main


def test_files_are_the_changes_from_the_merge_base_to_the_head(gh: FakeGitHub) -> None:
    """A three-dot comparison: what the base gained since the merge base is not listed."""
    start = gh.commit(REPO, {"lib/b.py": "b\n"})
    gh.commit(REPO, {"lib/pr.py": "pr\n"}, branch="topic")
    gh.commit(REPO, {"README.md": "changed on main\n"})
    answer = compare(gh, "main...topic")
    assert files(answer) == ["lib/pr.py"]
    item = answer.json["files"][0]
    assert (item["status"], item["additions"], item["deletions"]) == ("added", 1, 0)
    assert files(compare(gh, f"{start}...main")) == ["README.md"]


def test_a_merge_of_the_base_into_the_head_lists_only_the_bases_files(gh: FakeGitHub) -> None:
    """What "Update branch" makes: approved...merge is ahead, listing the base's files."""
    approved = gh.commit(REPO, {"lib/pr.py": "pr\n"}, branch="topic")
    base = gh.commit(REPO, {"docs/new.md": "new\n"})
    git = gh.state.repo(REPO).git  # type: ignore[union-attr]
    tree = git.commit_files({"lib/pr.py": "pr\n", "docs/new.md": "new\n"}, parent=base, message="m")
    merge = git.commit_tree(git.tree_of(tree), [approved, base], "Merge branch 'main' into topic")
    answer = compare(gh, f"{approved}...{merge}").json
    assert (answer["status"], answer["ahead_by"]) == ("ahead", 2)
    assert [f["filename"] for f in answer["files"]] == ["docs/new.md"]


def test_at_most_300_files(gh: FakeGitHub) -> None:
    gh.commit(REPO, {f"gen/{i:03}.txt": f"{i}\n" for i in range(301)}, branch="big")
    assert len(compare(gh, "main...big").json["files"]) == 300


def test_unpaged_the_last_250_commits_paged_the_files_on_the_first_page(gh: FakeGitHub) -> None:
    git = gh.state.repo(REPO).git  # type: ignore[union-attr]
    head = git.resolve("main")
    assert head is not None
    tree = git.tree_of(head)
    shas = []
    for i in range(252):
        head = git.commit_tree(tree, [head], f"empty {i}")
        shas.append(head)
    git.update_ref("refs/heads/long", head)

    unpaged = compare(gh, "main...long")
    assert [c["sha"] for c in unpaged.json["commits"]] == shas[-250:]  # the last is the newest
    assert unpaged.json["total_commits"] == 252
    assert "link" not in unpaged.headers

    first = compare(gh, "main...long", per_page=100)
    assert [c["sha"] for c in first.json["commits"]] == shas[:100]
    assert "files" in first.json
    assert set(first.links()) == {"next", "last"}
    third = compare(gh, "main...long", per_page=100, page=3)
    assert [c["sha"] for c in third.json["commits"]] == shas[200:]
    assert "files" not in third.json


def test_a_fork_branch_is_named_username_colon_ref(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory", head_repo="mallory/app", files={"x.py": "x\n"})
    head = gh.pull(REPO, number).head_sha
    answer = compare(gh, "main...mallory:patch-1")
    assert answer.status == 200, answer.json
    assert [c["sha"] for c in answer.json["commits"]] == [head]
    assert compare(gh, "main...stranger:patch-1").status == 404
    # A commit only the fork has, named by its SHA: found in the network.
    fork = gh.state.repo("mallory/app")
    assert fork is not None
    only_fork = fork.git.commit_files({"y.py": "y\n"}, parent=head, message="fork only")
    answer = compare(gh, f"main...{only_fork}")
    assert answer.status == 200, answer.json
    assert answer.json["ahead_by"] == 2


def test_unknown_refs_unrelated_histories_and_two_dots_are_404(gh: FakeGitHub) -> None:
    assert compare(gh, "main...nope").status == 404
    assert compare(gh, "main..main").status == 404
    git = gh.state.repo(REPO).git  # type: ignore[union-attr]
    orphan = git.commit_files({"other": "o\n"}, parent=None, message="orphan")
    answer = compare(gh, f"main...{orphan}")
    assert answer.status == 404
    assert "No common ancestor" in answer.json["message"]


def test_branch_names_with_slashes(gh: FakeGitHub) -> None:
    gh.commit(REPO, {"r.txt": "r\n"}, branch="release/v1")
    assert compare(gh, "main...release/v1").json["ahead_by"] == 1


def test_contents_read_is_needed(gh: FakeGitHub) -> None:
    token = gh.token({"pull-requests": "write"}, repo=REPO)
    answer = call(gh, "GET", f"{COMPARE}/main...main", token=token)
    assert answer.status == 403
    assert answer.json["message"] == "Resource not accessible by integration"


# -- Update a pull request branch --------------------------------------------------------


def update(gh: FakeGitHub, number: int, token: str, body: Any = None) -> Answer:
    return call(gh, "PUT", f"/repos/{REPO}/pulls/{number}/update-branch", token=token, body=body)


def test_update_branch_merges_the_base_into_the_head(gh: FakeGitHub) -> None:
    """The new head is a merge (old head first) whose comparison with the old head is
    ahead and lists only what the base gained: the exemption's documented shape."""
    number = gh.add_pull(REPO, author="alice", files={"lib/pr.py": "pr\n"})
    old = gh.pull(REPO, number).head_sha
    base = gh.commit(REPO, {"docs/new.md": "new\n"})
    maintainer = gh.token({"pull-requests": "write", "contents": "write"}, login="maria")
    answer = update(gh, number, maintainer, {"expected_head_sha": old})
    assert answer.status == 202, answer.json
    assert answer.json["message"] == "Updating pull request branch."
    head = gh.pull(REPO, number).head_sha
    info = gh.state.repo(REPO).git.commit_info(head)  # type: ignore[union-attr]
    assert info.parents == [old, base]
    assert info.author.name == "maria"
    assert files(compare(gh, f"{old}...{head}")) == ["docs/new.md"]
    # Up to date now: nothing more to merge.
    again = update(gh, number, maintainer)
    assert again.status == 422
    assert again.json["message"] == "There are no new commits on the base branch."


def test_update_branch_refusals(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="alice", files={"lib/pr.py": "pr\n"})
    gh.commit(REPO, {"docs/new.md": "new\n"})
    person = gh.token({"pull-requests": "write", "contents": "write"}, login="maria")
    stale = update(gh, number, person, {"expected_head_sha": "0" * 40})
    assert stale.status == 422
    # GITHUB_TOKEN (an App) needs contents: write besides pull-requests: write.
    assert update(gh, number, gh.token({"pull-requests": "write"})).status == 403
    # A fork's branch only with the author's "allow edits by maintainers".
    fork = gh.add_pull(REPO, author="mallory", head_repo="mallory/app", files={"x.py": "x\n"})
    gh.commit(REPO, {"docs/more.md": "more\n"})
    assert update(gh, fork, person).status == 403
    gh.pull(REPO, fork).maintainer_can_modify = True
    assert update(gh, fork, person).status == 202


def test_update_branch_with_a_conflict_is_422(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="alice", files={"lib/a.py": "a = 2\n"})
    gh.commit(REPO, {"lib/a.py": "a = 3\n"})
    person = gh.token({"pull-requests": "write", "contents": "write"}, login="maria")
    answer = update(gh, number, person)
    assert answer.status == 422
    assert answer.json["message"] == "merge conflict between base and head"
