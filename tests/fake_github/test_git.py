"""Git data through the API lands in a real bare repository that git can clone."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest

from fake_github import FakeGitHub
from fake_github.client import call

REPO = "org/app"


def git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def gh(github: FakeGitHub) -> FakeGitHub:
    github.add_repo(
        REPO,
        files={"README.md": "hello\n", "src/app.py": "print(1)\n", "requirements.txt": "a==1\n"},
    )
    return github


def test_blob_tree_commit_ref_round_trip_then_clone(gh: FakeGitHub, tmp_path: Path) -> None:
    token = gh.token({"contents": "write"})
    api = f"/repos/{REPO}/git"
    base = call(gh, "GET", f"{api}/ref/heads/main", token=token).json
    assert base["ref"] == "refs/heads/main"
    base_sha = base["object"]["sha"]
    base_tree = call(gh, "GET", f"{api}/commits/{base_sha}", token=token).json["tree"]["sha"]

    blob = call(
        gh,
        "POST",
        f"{api}/blobs",
        token=token,
        body={"content": base64.b64encode(b"a==2\n").decode(), "encoding": "base64"},
    )
    assert blob.status == 201
    tree = call(
        gh,
        "POST",
        f"{api}/trees",
        token=token,
        body={
            "base_tree": base_tree,
            "tree": [
                {
                    "path": "requirements.txt",
                    "mode": "100644",
                    "type": "blob",
                    "sha": blob.json["sha"],
                },
                {"path": "docs/new.md", "mode": "100644", "type": "blob", "content": "new\n"},
                {"path": "src/app.py", "mode": "100644", "type": "blob", "sha": None},
            ],
        },
    )
    assert tree.status == 201
    commit = call(
        gh,
        "POST",
        f"{api}/commits",
        token=token,
        body={"message": "Update pins", "tree": tree.json["sha"], "parents": [base_sha]},
    )
    assert commit.status == 201
    assert commit.json["parents"][0]["sha"] == base_sha
    new_sha = commit.json["sha"]
    created = call(
        gh, "POST", f"{api}/refs", token=token, body={"ref": "refs/heads/pins", "sha": new_sha}
    )
    assert created.status == 201

    clone = tmp_path / "clone"
    git("clone", "--quiet", "--branch", "pins", str(gh.git_dir(REPO)), str(clone))
    assert git("rev-parse", "HEAD", cwd=clone) == new_sha
    assert (clone / "requirements.txt").read_text() == "a==2\n"
    assert (clone / "docs/new.md").read_text() == "new\n"
    assert not (clone / "src/app.py").exists()
    assert (clone / "README.md").read_text() == "hello\n"
    assert git("log", "--format=%s", "-1", cwd=clone) == "Update pins"

    recursive = call(
        gh, "GET", f"{api}/trees/{tree.json['sha']}", token=token, query={"recursive": 1}
    )
    assert {e["path"] for e in recursive.json["tree"]} == {
        "README.md",
        "docs",
        "docs/new.md",
        "requirements.txt",
    }
    read_back = call(gh, "GET", f"{api}/blobs/{blob.json['sha']}", token=token).json
    assert base64.b64decode(read_back["content"]) == b"a==2\n"
    git("--git-dir", str(gh.git_dir(REPO)), "fsck", "--strict", "--no-dangling")


def test_ref_update_refuses_non_fast_forward_unless_forced(gh: FakeGitHub) -> None:
    token = gh.token({"contents": "write"})
    main = gh.state.repo(REPO).git.resolve("main")  # type: ignore[union-attr]
    ahead = gh.commit(REPO, {"x": "1"}, branch="topic")
    sideways = gh.commit(REPO, {"y": "1"}, branch="other")
    path = f"/repos/{REPO}/git/refs/heads/topic"
    refused = call(gh, "PATCH", path, token=token, body={"sha": sideways})
    assert refused.status == 422
    assert refused.json["message"] == "Update is not a fast forward"
    assert gh.state.repo(REPO).git.resolve("topic") == ahead  # type: ignore[union-attr]
    forced = call(gh, "PATCH", path, token=token, body={"sha": main, "force": True})
    assert forced.json["object"]["sha"] == main
    assert call(gh, "DELETE", path, token=token).status == 204
    assert call(gh, "GET", f"/repos/{REPO}/git/ref/heads/topic", token=token).status == 404
    assert call(gh, "DELETE", path, token=token).status == 422


def test_ref_creation_validates_name_object_and_existence(gh: FakeGitHub) -> None:
    token = gh.token({"contents": "write"})
    main = gh.state.repo(REPO).git.resolve("main")  # type: ignore[union-attr]
    path = f"/repos/{REPO}/git/refs"
    assert (
        call(gh, "POST", path, token=token, body={"ref": "refs/heads/main", "sha": main}).status
        == 422
    )
    assert call(gh, "POST", path, token=token, body={"ref": "heads/x", "sha": main}).status == 422
    missing = call(gh, "POST", path, token=token, body={"ref": "refs/heads/x", "sha": "1" * 40})
    assert missing.json["message"] == "Object does not exist"
    assert (
        call(
            gh,
            "POST",
            path,
            token=gh.token({"contents": "read"}),
            body={"ref": "refs/heads/y", "sha": main},
        ).status
        == 403
    )


def test_matching_refs_and_contents(gh: FakeGitHub) -> None:
    gh.commit(REPO, {"x": "1"}, branch="repowarden/format/a")
    gh.commit(REPO, {"x": "2"}, branch="repowarden/format/b")
    token = gh.token({"contents": "read"})
    refs = call(gh, "GET", f"/repos/{REPO}/git/matching-refs/heads/repowarden/", token=token).json
    assert [r["ref"] for r in refs] == [
        "refs/heads/repowarden/format/a",
        "refs/heads/repowarden/format/b",
    ]
    content = call(gh, "GET", f"/repos/{REPO}/contents/src/app.py", token=token).json
    assert content["type"] == "file"
    assert base64.b64decode(content["content"]) == b"print(1)\n"
    on_branch = call(
        gh, "GET", f"/repos/{REPO}/contents/x", token=token, query={"ref": "repowarden/format/b"}
    ).json
    assert base64.b64decode(on_branch["content"]) == b"2"
    listing = call(gh, "GET", f"/repos/{REPO}/contents/src", token=token).json
    assert [e["path"] for e in listing] == ["src/app.py"]
    assert call(gh, "GET", f"/repos/{REPO}/contents/nope", token=token).status == 404


def test_pull_heads_are_fetchable_like_githubs(gh: FakeGitHub, tmp_path: Path) -> None:
    number = gh.add_pull(
        REPO, author="mallory", head_repo="mallory/app", files={"requirements.txt": "a==3\n"}
    )
    first = gh.pull(REPO, number).head_sha
    second = gh.push(REPO, number, files={"extra.txt": "more\n"})
    clone = tmp_path / "clone"
    git("clone", "--quiet", str(gh.git_dir(REPO)), str(clone))
    git("fetch", "--quiet", "origin", f"refs/pull/{number}/head", cwd=clone)
    assert git("rev-parse", "FETCH_HEAD", cwd=clone) == second
    assert git("rev-parse", "FETCH_HEAD^", cwd=clone) == first
    # The fork has the branch too.
    fork = tmp_path / "fork"
    git("clone", "--quiet", "--branch", "patch-1", str(gh.git_dir("mallory/app")), str(fork))
    assert (fork / "requirements.txt").read_text() == "a==3\n"
    assert (fork / "extra.txt").read_text() == "more\n"

    files = call(
        gh, "GET", f"/repos/{REPO}/pulls/{number}/files", token=gh.token({"pull-requests": "read"})
    ).json
    assert {(f["filename"], f["status"]) for f in files} == {
        ("requirements.txt", "modified"),
        ("extra.txt", "added"),
    }


def test_same_files_give_the_same_shas(tmp_path: Path) -> None:
    shas = []
    for name in ("one", "two"):
        gh = FakeGitHub(tmp_path / name)
        gh.add_repo(REPO, files={"a": "1"})
        shas.append(gh.state.repo(REPO).git.resolve("main"))  # type: ignore[union-attr]
        gh.stop()
    assert shas[0] == shas[1]


def test_commit_endpoint_reports_files(gh: FakeGitHub) -> None:
    sha = gh.commit(REPO, {"README.md": "hello\nworld\n", "src/app.py": None})
    answer = call(gh, "GET", f"/repos/{REPO}/commits/{sha}", token=gh.token({"contents": "read"}))
    assert answer.json["sha"] == sha
    assert {(f["filename"], f["status"]) for f in answer.json["files"]} == {
        ("README.md", "modified"),
        ("src/app.py", "removed"),
    }
    assert answer.json["stats"] == {"additions": 1, "deletions": 1, "total": 2}


def test_objects_written_in_process_are_the_ones_git_writes(tmp_path: Path) -> None:
    gh = FakeGitHub(tmp_path / "fake")
    try:
        # "a" is a directory and sorts after "a.b" and "a-c" in git's tree order.
        files = {"a.b": "1", "a-c": "2", "a/x": "3", "a/y/z": "4", "b": b"\0binary\xff"}
        gh.add_repo(REPO, files=files)
        store = gh.state.repo(REPO).git  # type: ignore[union-attr]
        head = store.resolve("main")
        assert head is not None
        top = store.ls_tree(store.tree_of(head))
        listing = "".join(f"{e.mode} {e.type} {e.sha}\t{e.path}\n" for e in top)
        made_by_git = subprocess.run(
            ["git", "--git-dir", str(store.path), "mktree"],
            input=listing,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert made_by_git == store.tree_of(head)
        blob = (
            subprocess.run(
                ["git", "--git-dir", str(store.path), "hash-object", "--stdin"],
                input=b"\0binary\xff",
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .strip()
        )
        assert store.read_path(head, "b").sha == blob  # type: ignore[union-attr]
        fsck = subprocess.run(
            ["git", "--git-dir", str(store.path), "fsck", "--strict", "--no-dangling"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert fsck.returncode == 0, fsck.stderr + fsck.stdout
        assert store.files_at(head) == {
            k: v.encode() if isinstance(v, str) else v for k, v in files.items()
        }
    finally:
        gh.stop()
