"""operate: the unprivileged job, on real git checkouts of the fake GitHub's repositories."""

from __future__ import annotations

import json
import os
import sys

import pytest
from fake_github import FakeGitHub
from support.dispatch_pipeline import Pipeline, git

ENV_DUMP = """\
import os, pathlib
pathlib.Path("src/demo/__init__.py").write_text("NAMES = " + repr(sorted(os.environ)) + "\\n")
"""
SPRAY = """\
import pathlib
pathlib.Path("setup.py").write_text("evil\\n")
pathlib.Path(".github/workflows").mkdir(parents=True)
pathlib.Path(".github/workflows/x.yml").write_text("on: push\\n")
pathlib.Path("src/demo/__init__.py").write_text("VALUE = 2\\n")
pathlib.Path("src/demo/new.py").write_text("X = 1\\n")  # allowed path, but format only edits
"""


def run_script(pipeline: Pipeline, script: str) -> None:
    """Make the repository's own (untrusted) script the formatter."""
    pipeline.gh.commit("o/r", {"tools/script.py": script})
    pipeline.sha = pipeline.head()
    set_format_commands(pipeline, [[sys.executable, "tools/script.py"]])


def set_format_commands(pipeline: Pipeline, commands: list[list[str]]) -> None:
    text = pipeline.config_path.read_text()
    start = text.index("      commands: ")
    end = text.index("\n", start)
    pipeline.config_path.write_text(
        text[:start] + f"      commands: {json.dumps(commands)}" + text[end:]
    )


def manifest(pipeline: Pipeline) -> dict[str, object]:
    return json.loads((pipeline.artifacts("unprivileged") / "manifest.json").read_text())


def test_format_on_a_pr_leaves_git_s_own_patch_and_a_manifest(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    pr = github.add_pull(
        "o/r", author="alice", files={"src/demo/__init__.py": "VALUE=1\nx = [1,2]\n"}
    )
    head = github.pull("o/r", pr).head_sha
    outcome = pipeline.unprivileged(pipeline.event("format", id="f-1", pr=pr))
    assert outcome.code == 0, outcome.out + outcome.err
    art = pipeline.artifacts("unprivileged")
    patch = (art / "patch.diff").read_text()
    assert patch.startswith("diff --git a/src/demo/__init__.py b/src/demo/__init__.py\n")
    assert "+VALUE = 1\n" in patch
    assert "+x = [1, 2]\n" in patch
    data = manifest(pipeline)
    assert data["operation"] == "format"
    assert data["id"] == "f-1"
    assert data["repository"] == "o/r"
    assert data["base_sha"] == pipeline.sha
    assert data["head_sha"] == head
    (entry,) = data["files"]  # type: ignore[misc]
    assert entry["path"] == "patch.diff"
    assert entry["size"] == len(patch.encode())


def test_untrusted_code_gets_no_token_or_runner_control_variables(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "NPM_TOKEN",
        "MY_SECRET",
        "GITHUB_ENV",
        "GITHUB_PATH",
    ):
        monkeypatch.setenv(name, "x")
    run_script(pipeline, ENV_DUMP)
    outcome = pipeline.unprivileged(pipeline.event("format", id="f-2"))
    assert outcome.code == 0, outcome.out + outcome.err
    patch = (pipeline.artifacts("unprivileged") / "patch.diff").read_text()
    names_line = next(line for line in patch.splitlines() if line.startswith("+NAMES = "))
    names = eval(names_line[len("+NAMES = ") :])  # noqa: S307 - our own repr of a list of str
    assert "PATH" in names
    for gone in (
        "GITHUB_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "NPM_TOKEN",
        "MY_SECRET",
        "GITHUB_ENV",
        "GITHUB_PATH",
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
    ):
        assert gone not in names


def test_operate_refuses_a_token(pipeline: Pipeline, github: FakeGitHub) -> None:
    event = pipeline.event("format", id="f-3")
    pipeline.checkout("unprivileged", pipeline.sha)
    outcome = pipeline.run("operate", event, job="unprivileged", permissions={"contents": "read"})
    assert outcome.code == 2
    assert (
        "GITHUB_TOKEN is set, but operate runs untrusted code and must get no token" in outcome.err
    )
    assert not pipeline.artifacts("unprivileged").exists()


def test_changes_outside_the_allowed_paths_are_left_out(pipeline: Pipeline) -> None:
    run_script(pipeline, SPRAY)
    outcome = pipeline.unprivileged(pipeline.event("format", id="f-4"))
    assert outcome.code == 0, outcome.out + outcome.err
    patch = (pipeline.artifacts("unprivileged") / "patch.diff").read_text()
    assert "src/demo/__init__.py" in patch
    assert "setup.py" not in patch
    assert ".github" not in patch
    assert "left out (not allowed for this operation): .github/workflows/x.yml" in outcome.out
    assert "left out (not allowed for this operation): setup.py" in outcome.out
    assert "left out (not allowed for this operation): src/demo/new.py" in outcome.out
    assert "new.py" not in patch


def test_a_failing_formatter_fails_the_operation(pipeline: Pipeline) -> None:
    run_script(pipeline, "raise SystemExit(3)\n")
    outcome = pipeline.unprivileged(pipeline.event("format", id="f-5"))
    assert outcome.code == 1
    assert "exited with status 3" in outcome.out


def test_the_checkout_must_be_the_dispatched_commit(pipeline: Pipeline, github: FakeGitHub) -> None:
    event = pipeline.event("format", id="f-6")
    newer = github.commit("o/r", {"README.md": "# moved\n"})
    pipeline.checkout("unprivileged", newer)
    outcome = pipeline.run("operate", event, job="unprivileged")
    assert outcome.code == 1
    assert f"is at {newer}, but the dispatch was for {pipeline.sha}" in outcome.out


def test_a_dirty_checkout_is_refused(pipeline: Pipeline) -> None:
    target = pipeline.checkout("unprivileged", pipeline.sha)
    (target / "README.md").write_text("changed before the operation\n")
    outcome = pipeline.run("operate", pipeline.event("format", id="f-7"), job="unprivileged")
    assert outcome.code == 1
    assert "has local changes before the operation ran" in outcome.out


@pytest.mark.slow
def test_pip_compile_on_a_pr_compiles_the_pr_s_requirements(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    pr = github.add_pull("o/r", author="alice", files={"requirements.in": "six==1.16.0\n"})
    outcome = pipeline.unprivileged(pipeline.event("pip-compile", id="p-1", pr=pr))
    assert outcome.code == 0, outcome.out + outcome.err
    patch = (pipeline.artifacts("unprivileged") / "patch.diff").read_text()
    assert "+six==1.16.0 \\\n" in patch
    assert "+    --hash=sha256:" in patch
    target = pipeline.job_dir("unprivileged") / "workspace" / "target"
    assert git(target, "rev-parse", "HEAD") == github.pull("o/r", pr).head_sha


@pytest.mark.slow
@pytest.mark.parametrize("upgrade", [False, True])
def test_pip_compile_keeps_pins_unless_told_to_upgrade(
    pipeline: Pipeline, github: FakeGitHub, upgrade: bool
) -> None:
    github.commit("o/r", {"requirements.txt": "six==1.15.0\n"})
    pipeline.sha = pipeline.head()
    text = pipeline.config_path.read_text()
    pipeline.config_path.write_text(
        text.replace(
            "      requirements: [requirements.in]\n",
            f"      requirements: [requirements.in]\n      upgrade: {str(upgrade).lower()}\n",
        )
    )
    outcome = pipeline.unprivileged(pipeline.event("pip-compile", id=f"u-{upgrade}"))
    assert outcome.code == 0, outcome.out + outcome.err
    patch = (pipeline.artifacts("unprivileged") / "patch.diff").read_text()
    if upgrade:
        assert "-six==1.15.0\n" in patch
        assert "+six==1.15.0" not in patch
        assert "+six==1." in patch
    else:
        assert "+six==1.15.0 \\\n" in patch


@pytest.mark.slow
def test_build_leaves_the_distributions_that_verify_accepts(pipeline: Pipeline) -> None:
    event = pipeline.event("release", id="r-1")
    outcome = pipeline.unprivileged(event)
    assert outcome.code == 0, outcome.out + outcome.err
    paths = sorted(f["path"] for f in manifest(pipeline)["files"])  # type: ignore[attr-defined]
    assert paths == ["dist/demo_pkg-1.0-py3-none-any.whl", "dist/demo_pkg-1.0.tar.gz"]
    pipeline.transfer("unprivileged", "publish")
    verified = pipeline.run("verify", event, job="publish", args=("--operation", "release"))
    assert verified.code == 0, verified.out


@pytest.mark.skipif(os.geteuid() != 0, reason="creating the operation's OS user needs root")
def test_with_isolation_the_formatter_runs_as_a_user_of_its_own(
    pipeline: Pipeline, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPOWARDEN_ISOLATE", "user")
    pr = github.add_pull("o/r", author="alice", files={"src/demo/__init__.py": "VALUE=1\n"})
    outcome = pipeline.unprivileged(pipeline.event("format", id="iso-f", pr=pr))
    assert outcome.code == 0, outcome.out + outcome.err
    assert "running the operation as user rw-op-" in outcome.out
    patch = (pipeline.artifacts("unprivileged") / "patch.diff").read_text()
    assert "+VALUE = 1\n" in patch
    # The checkout itself was only copied: the user worked on its own copy.
    target = pipeline.job_dir("unprivileged") / "workspace" / "target"
    assert git(target, "status", "--porcelain") == ""


def test_isolation_restarts_operate_under_sudo_when_not_root(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not root here is what cannot exist in this suite (it runs as root): pretend.
    started: list[list[str]] = []
    monkeypatch.setenv("REPOWARDEN_ISOLATE", "user")
    monkeypatch.setenv("PYTHONPATH", "/w/.github/repowarden")
    monkeypatch.setattr(os, "geteuid", lambda: 1001)
    monkeypatch.setattr(os, "execvp", lambda file, argv: started.append([file, *argv]))
    outcome = pipeline.unprivileged(pipeline.event("format", id="sudo-1"))
    assert outcome.code == 1  # execvp returned (it never does): no root, so no sandbox
    assert "needs root" in outcome.out
    [call] = started
    assert call[:5] == ["sudo", "sudo", "-n", "--preserve-env", "PYTHONPATH=/w/.github/repowarden"]
    assert call[5:8] == [sys.executable, "-m", "repowarden.runtime"]
    assert call[8:10] == ["operate", "--config"]


def test_an_unknown_isolation_is_refused(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPOWARDEN_ISOLATE", "container")
    outcome = pipeline.unprivileged(pipeline.event("format", id="iso-x"))
    assert outcome.code == 2
    assert "the only isolation is 'user'" in outcome.err
