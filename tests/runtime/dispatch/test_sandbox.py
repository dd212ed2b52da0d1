"""The operation's own OS user: it cannot read other processes or find a token.

Real users, real processes, real /proc: these tests create users with useradd, so
they run only as root (the suite runs as root here, as a GitHub runner's sudo does).
A probe script, committed in the checkout like any untrusted code, tries what the
issue describes: read another user's /proc/<pid>/environ and memory, the runner
stand-in's environment, its own environment's tokens, and sudo. Its findings come
back the only way an operation's output can: as a patch to an allowed file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from repowarden.runtime.config import parse_config
from repowarden.runtime.dispatch.operations import run_operation
from repowarden.runtime.dispatch.payload import DispatchRequest
from repowarden.runtime.dispatch.sandbox import USER_PREFIX, Sandbox, sandbox_env

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("useradd") is None,
    reason="creating the operation's OS user needs root and useradd (the suite runs as root)",
)

VICTIM_TOKEN = "ghs_victimsecret0123456789"
RUNNER_TOKEN = "ghs_runnersecret0123456789"
RUNTIME_TOKEN = "actions-runtime-secret-0123"
CONFIG = parse_config(
    """\
repository: o/r
review: {admins: [a1, a2], reviewers: {"*": [a1, a2]}}
dispatch:
  senders: [{login: "app[bot]", id: 11}]
  operations:
    - {kind: format, commands: [[sh, probe.sh]], paths: ["report.txt"]}
"""
)
REQUEST = DispatchRequest("format", "iso-1", "o/r", None, "app[bot]", 11, "o/r")
# Untrusted code's best tries; every finding lands in report.txt.
PROBE = """\
raw=$(mktemp)
exec > "$raw" 2>&1
echo "uid=$(id -u)"
for pid in $(cat pids.txt); do
  echo "environ $pid:"; tr '\\0' '\\n' < /proc/$pid/environ
  echo "mem $pid:"; dd if=/proc/$pid/mem bs=1 count=1 skip=4194304 2>&1 | head -c 200
  echo "cmdline-env $pid:"; cat /proc/$pid/environ | head -c 100
done
echo "own env:"; env
echo "sudo:"; sudo -n true && echo SUDO-WORKED
echo "done"
tr -c '[:print:]\\n' '?' < "$raw" > report.txt
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def victims() -> Iterator[list[int]]:
    """A process of another user holding a token, and one of root (the runner's worker)."""
    other = Sandbox.create()
    env = {"PATH": "/usr/bin:/bin", "GITHUB_TOKEN": VICTIM_TOKEN}
    theirs = subprocess.Popen(
        ["sleep", "60"], user=other.uid, group=other.gid, extra_groups=[], env=env
    )
    worker = subprocess.Popen(
        ["sleep", "60"],
        env={
            "PATH": "/usr/bin:/bin",
            "GITHUB_TOKEN": RUNNER_TOKEN,
            "ACTIONS_RUNTIME_TOKEN": RUNTIME_TOKEN,
        },
    )
    try:
        yield [theirs.pid, worker.pid, os.getpid()]
    finally:
        for proc in (theirs, worker):
            proc.kill()
            proc.wait()
        other.remove()


def checkout(tmp_path: Path, pids: list[int]) -> Path:
    repo = tmp_path / "target"
    repo.mkdir()
    (repo / "probe.sh").write_text(PROBE)
    (repo / "pids.txt").write_text(" ".join(map(str, pids)) + "\n")
    (repo / "report.txt").write_text("nothing yet\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "probe")
    return repo


def operate(tmp_path: Path, repo: Path, sandbox: Sandbox | None) -> str:
    """Run the probe as a format operation; its report, as the patch carries it."""
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": "/root",
        "GITHUB_TOKEN": RUNNER_TOKEN,
        "ACTIONS_RUNTIME_TOKEN": RUNTIME_TOKEN,
        "PIP_INDEX_URL": "https://user:hunter2@pypi.internal/simple",
        "LANG": "C.UTF-8",
    }
    out = tmp_path / f"out-{'box' if sandbox else 'host'}"
    run_operation(
        CONFIG,
        REQUEST,
        repo,
        out,
        base_sha=git(repo, "rev-parse", "HEAD"),
        workspace=tmp_path,
        runner_temp=tmp_path,
        environ=environ,
        sandbox=sandbox,
    )
    return (out / "patch.diff").read_text()


def test_the_probe_finds_the_tokens_when_it_runs_as_the_job_s_own_user(
    tmp_path: Path, victims: list[int]
) -> None:
    # The control: without the sandbox (here, as root, like sudo on a runner) the very
    # same probe reads the other processes' tokens. So the probe can fail the test below.
    report = operate(tmp_path, checkout(tmp_path, victims), sandbox=None)
    assert VICTIM_TOKEN in report
    assert RUNTIME_TOKEN in report


def test_the_sandboxed_operation_reads_no_other_process_and_holds_no_token(
    tmp_path: Path, victims: list[int]
) -> None:
    box = Sandbox.create()
    try:
        box.install_tools()
        report = operate(tmp_path, checkout(tmp_path, victims), sandbox=box)
    finally:
        box.remove()
    assert f"+uid={box.uid}" in report
    assert "+done" in report
    for secret in (VICTIM_TOKEN, RUNNER_TOKEN, RUNTIME_TOKEN, "hunter2"):
        assert secret not in report
    for pid in victims:
        assert f"+environ {pid}:" in report
    assert report.count("Permission denied") >= 2 * len(victims)
    assert "SUDO-WORKED" not in report
    assert f"+HOME={box.home}" in report
    assert "GITHUB_" not in report.replace("GITHUB_TOKEN", "")  # no runner context at all


def test_the_user_is_fresh_without_groups_and_gone_afterwards() -> None:
    box = Sandbox.create()
    assert box.user.startswith(USER_PREFIX)
    assert os.getgrouplist(box.user, box.gid) == [box.gid]
    assert box.home.is_dir()
    # Something it leaves running is killed, not left to outlive the operation.
    lingering = subprocess.Popen(
        ["sleep", "60"], user=box.uid, group=box.gid, extra_groups=[], start_new_session=True
    )
    box.remove()
    assert lingering.wait(timeout=5) != 0
    assert not box.home.exists()
    assert subprocess.run(["id", box.user], capture_output=True).returncode != 0


def test_only_allow_listed_variables_reach_the_sandbox() -> None:
    env = sandbox_env(
        {
            "GITHUB_TOKEN": "x",
            "ACTIONS_RUNTIME_TOKEN": "x",
            "GITHUB_WORKSPACE": "/w",
            "RUNNER_TEMP": "/t",
            "LANG": "C.UTF-8",
            "PIP_FIND_LINKS": "/opt/wheels",
            "PIP_INDEX_URL": "https://u:p@host/simple",
        },
        Path("/home/rw-op-1"),
        "rw-op-1",
        "/usr/bin",
    )
    assert env == {
        "PATH": "/usr/bin",
        "HOME": "/home/rw-op-1",
        "USER": "rw-op-1",
        "LOGNAME": "rw-op-1",
        "LANG": "C.UTF-8",
        "PIP_FIND_LINKS": "/opt/wheels",
    }


def test_tools_run_as_the_user(tmp_path: Path) -> None:
    box = Sandbox.create()
    try:
        box.install_tools()
        proc = box.run(
            ["python", "-c", "import piptools, build; print('ok')"],
            box.home,
            {},
            timeout=60,
            capture=True,
        )
    finally:
        box.remove()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == b"ok"
    assert sys.version_info[:2] >= (3, 11)
