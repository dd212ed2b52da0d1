"""Turning a verified patch into new blobs through the API (the command tests cover the refs)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from fake_github import FakeGitHub
from fake_github.client import call
from repowarden.runtime.dispatch.apply import ApplyRefused, new_contents, refuse_protected
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


# -- issue 11: no push to a protected branch ---------------------------------------------------

ADMIN = {"administration": "write"}
PROTECTION = {
    "required_status_checks": None,
    "enforce_admins": True,
    "required_pull_request_reviews": {"required_approving_review_count": 1},
    "restrictions": None,
}


def protect(github: FakeGitHub, branch: str) -> None:
    """Classic branch protection, stored the way an admin sets it (branch name URL-quoted)."""
    path = f"/repos/o/r/branches/{quote(branch, safe='')}/protection"
    assert call(github, "PUT", path, token=github.token(ADMIN), body=PROTECTION).status == 200


def ruleset(
    github: FakeGitHub, include: list[str], rules: list[str], enforcement: str = "active"
) -> None:
    body = {
        "name": "guard",
        "target": "branch",
        "enforcement": enforcement,
        "conditions": {"ref_name": {"include": include, "exclude": []}},
        "rules": [{"type": kind} for kind in rules],
    }
    answer = call(github, "POST", "/repos/o/r/rulesets", token=github.token(ADMIN), body=body)
    assert answer.status == 201


def test_a_branch_with_branch_protection_is_refused(
    api: tuple[GitHub, str], github: FakeGitHub
) -> None:
    gh, _ = api
    github.commit("o/r", {"R": "1\n"}, branch="release/1.2")
    protect(github, "release/1.2")
    with pytest.raises(ApplyRefused, match=r"`release/1\.2` is protected"):
        refuse_protected(gh, "release/1.2")
    assert github.calls_matching("GET", r"/branches/release%2F1\.2$")


def test_a_branch_an_active_ruleset_targets_is_refused(
    api: tuple[GitHub, str], github: FakeGitHub
) -> None:
    gh, _ = api
    github.commit("o/r", {"R": "1\n"}, branch="release/2.0/rc")
    ruleset(github, ["refs/heads/release/**"], ["update", "non_fast_forward"])
    with pytest.raises(ApplyRefused, match=r"`release/2\.0/rc` is protected"):
        refuse_protected(gh, "release/2.0/rc")
    # Should `protected` not cover rulesets, the active rules on the branch still refuse.
    with (
        github.rules.without("branch-protected-by-rulesets"),
        pytest.raises(
            ApplyRefused, match=r"active ruleset rules restrict updates .*`non_fast_forward`"
        ),
    ):
        refuse_protected(gh, "release/2.0/rc")


def test_rules_that_do_not_gate_updates_leave_a_branch_pushable(
    api: tuple[GitHub, str], github: FakeGitHub
) -> None:
    gh, _ = api
    github.commit("o/r", {"F": "1\n"}, branch="feature")
    ruleset(github, ["refs/heads/release/*"], ["update"])  # another branch
    ruleset(github, ["~ALL"], ["pull_request"], enforcement="evaluate")  # not enforced
    refuse_protected(gh, "feature")
    ruleset(github, ["~ALL"], ["deletion"])
    with github.rules.without("branch-protected-by-rulesets"):
        refuse_protected(gh, "feature")  # only deletion: updates are not gated
    with pytest.raises(ApplyRefused, match="is protected"):
        refuse_protected(gh, "feature")  # but GitHub calls the branch protected


def test_a_hash_in_the_branch_name_is_quoted_and_its_protection_found(
    api: tuple[GitHub, str], github: FakeGitHub
) -> None:
    gh, _ = api
    github.commit("o/r", {"R": "1\n"}, branch="main#x")
    protect(github, "main#x")
    with pytest.raises(ApplyRefused, match=r"`main#x` is protected"):
        refuse_protected(gh, "main#x")
    assert github.calls_matching("GET", r"/branches/main%23x$")


def test_a_protection_that_cannot_be_read_counts_as_protected(
    api: tuple[GitHub, str], github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    gh, _ = api
    github.commit("o/r", {"F": "1\n"}, branch="feature")
    with pytest.raises(ApplyRefused, match=r"whether .*`gone` is protected could not be read"):
        refuse_protected(gh, "gone")
    monkeypatch.setenv("GITHUB_TOKEN", github.token({"issues": "read"}))
    with pytest.raises(ApplyRefused, match=r"`feature` is protected could not be read"):
        refuse_protected(GitHub("o/r"), "feature")
    github.fail("GET", r"/rules/branches/", status=404, times=None)
    with pytest.raises(ApplyRefused, match="could not be read"):
        refuse_protected(gh, "feature")
