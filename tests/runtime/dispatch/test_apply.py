"""Turning a verified patch into new blobs through the API (the command tests cover the refs)."""

from __future__ import annotations

import re

import pytest
from fake_github import FakeGitHub
from repowarden.runtime.dispatch.apply import ApplyRefused, new_contents
from repowarden.runtime.dispatch.patch import parse_patch
from repowarden.runtime.github import GitHub

NEW_FILE = (
    b"diff --git a/docs/x.txt b/docs/x.txt\nnew file mode 100644\n"
    b"--- /dev/null\n+++ b/docs/x.txt\n@@ -0,0 +1 @@\n+hi\n"
)
EDIT = (
    b"diff --git a/docs/a.txt b/docs/a.txt\n--- a/docs/a.txt\n+++ b/docs/a.txt\n"
    b"@@ -1,2 +1,2 @@\n one\n-two\n+TWO\n"
)


@pytest.fixture
def api(github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> tuple[GitHub, str]:
    repo = github.add_repo(
        "o/r", files={"docs/a.txt": "one\ntwo\n", "docs/x.txt": "exists\n", "bin": "x"}
    )
    monkeypatch.setenv("GITHUB_TOKEN", github.token({"contents": "read"}))
    sha = repo.git.resolve("main")
    assert sha is not None
    return GitHub("o/r"), repo.git.tree_of(sha)


def test_edits_read_the_current_blob_through_the_api(api: tuple[GitHub, str]) -> None:
    gh, tree = api
    assert new_contents(gh, tree, parse_patch(EDIT)) == [("docs/a.txt", "100644", b"one\nTWO\n")]


def test_a_new_file_must_not_exist_yet(api: tuple[GitHub, str]) -> None:
    gh, tree = api
    with pytest.raises(
        ApplyRefused, match=re.escape("docs/x.txt: the patch creates it, but it already exists")
    ):
        new_contents(gh, tree, parse_patch(NEW_FILE))


def test_an_edit_needs_a_file(api: tuple[GitHub, str]) -> None:
    gh, tree = api
    missing = EDIT.replace(b"docs/a.txt", b"docs/gone.txt")
    with pytest.raises(
        ApplyRefused, match=re.escape("docs/gone.txt: not a file in the base commit")
    ):
        new_contents(gh, tree, parse_patch(missing))
    under_a_file = EDIT.replace(b"docs/a.txt", b"bin/a.txt")
    with pytest.raises(ApplyRefused, match=re.escape("bin/a.txt: not a file in the base commit")):
        new_contents(gh, tree, parse_patch(under_a_file))
