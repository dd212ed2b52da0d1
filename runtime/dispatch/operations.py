"""The unprivileged side: run an operation on a checkout and leave `artifacts/`.

This is where untrusted code runs (a PR's requirement files resolved by
pip-compile, its build backend, formatters on its code). It runs without a shell
(argv lists), with every token and runner-control variable removed from the
child's environment, and what it leaves is only data: a patch produced by git
itself, or the distributions, plus `manifest.json`. The privileged side trusts
none of it (artifact.py re-checks everything).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from repowarden.runtime.config import Config
from repowarden.runtime.dispatch.artifact import path_allowed, touches_github_dir, unsafe_path
from repowarden.runtime.dispatch.kinds import kind_of
from repowarden.runtime.dispatch.manifest import DIST, PATCH, Manifest, write_manifest
from repowarden.runtime.dispatch.payload import DispatchRequest, show
from repowarden.runtime.dispatch.sandbox import Sandbox, readable_by_all

# Names removed from the child environment: tokens, the runner's artifact/cache/OIDC
# endpoints, and the files through which a step controls later steps.
_SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "PRIVATE_KEY")
_DROPPED_PREFIXES = ("ACTIONS_", "INPUT_", "REPOWARDEN_")
_DROPPED = frozenset(
    {"GITHUB_ENV", "GITHUB_PATH", "GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"}
)
# Our own git calls ignore repository config the untrusted code could have edited.
_GIT_SAFE = (
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "diff.external=",
    "-c",
    "core.quotePath=true",
)
COMMAND_TIMEOUT = 1800.0


class OperationFailed(Exception):
    """The operation could not produce its artifact; the message says why."""


@dataclass(frozen=True)
class Outcome:
    manifest: Manifest
    changed: list[str]  # paths in the patch (empty for build)
    dropped: list[str]  # changed paths left out because the operation may not touch them


def scrubbed_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if environ is None else environ)
    for name in list(env):
        upper = name.upper()
        if (
            any(word in upper for word in _SECRET_WORDS)
            or upper.startswith(_DROPPED_PREFIXES)
            or upper in _DROPPED
        ):
            del env[name]
    return env


@dataclass
class Programs:
    """Where the operation's untrusted programs run: as the job's user, or in a sandbox.

    Our own git calls count as untrusted too: the checkout's `.git/config` and
    `.gitattributes` (filters) belong to the code under operation.
    """

    env: dict[str, str]
    sandbox: Sandbox | None = None
    extra_path: list[Path] = field(default_factory=list)

    @property
    def python(self) -> str:
        return str(self.sandbox.python) if self.sandbox else sys.executable

    def run(
        self, argv: Sequence[str], cwd: Path, *, capture: bool = False
    ) -> subprocess.CompletedProcess[bytes]:
        if self.sandbox is not None:
            return self.sandbox.run(
                argv,
                cwd,
                self.env,
                timeout=COMMAND_TIMEOUT,
                capture=capture,
                extra_path=self.extra_path,
            )
        env = dict(self.env)
        if self.extra_path:
            env["PATH"] = os.pathsep.join([*map(str, self.extra_path), env.get("PATH", "")])
        return subprocess.run(
            list(argv),
            cwd=cwd,
            env=env,
            timeout=COMMAND_TIMEOUT,
            stdin=subprocess.DEVNULL,
            capture_output=capture,
            check=False,
        )


def _trusted(argv: Sequence[str], cwd: Path, env: Mapping[str, str], what: str) -> None:
    """One of our own setup steps (no code from the checkout runs in it)."""
    _checked(argv, what, lambda: subprocess.run(list(argv), cwd=cwd, env=dict(env), check=False))


def _run(programs: Programs, argv: Sequence[str], cwd: Path, what: str) -> None:
    _checked(argv, what, lambda: programs.run(argv, cwd))


def _checked(
    argv: Sequence[str], what: str, start: Callable[[], subprocess.CompletedProcess[bytes]]
) -> None:
    print(f"$ {' '.join(argv)}", flush=True)
    try:
        proc = start()
    except FileNotFoundError:
        raise OperationFailed(f"{what}: program {argv[0]!r} not found") from None
    except subprocess.TimeoutExpired:
        raise OperationFailed(f"{what}: timed out after {COMMAND_TIMEOUT:g}s") from None
    if proc.returncode != 0:
        raise OperationFailed(f"{what}: {argv[0]} exited with status {proc.returncode}")


def _git(programs: Programs, worktree: Path, *args: str) -> bytes:
    proc = programs.run(["git", *_GIT_SAFE, *args], worktree, capture=True)
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise OperationFailed(f"git {args[0]} failed: {message}")
    return proc.stdout


def run_operation(
    config: Config,
    request: DispatchRequest,
    worktree: Path,
    output: Path,
    *,
    base_sha: str,
    workspace: Path,
    runner_temp: Path,
    environ: Mapping[str, str] | None = None,
    sandbox: Sandbox | None = None,
) -> Outcome:
    """Run the requested operation in `worktree` and write the artifact to `output`.

    With a `sandbox`, the operation works on the sandbox user's copy of `worktree`,
    and every program that reads the checkout runs as that user (sandbox.py).
    """
    op = config.dispatch.operation(request.operation) if config.dispatch else None
    if op is None:
        raise OperationFailed(f"operation {request.operation!r} is not configured")
    env = scrubbed_env(environ)
    if not (worktree / ".git").exists():
        raise OperationFailed(f"{worktree} is not a git checkout")
    programs = Programs(env, sandbox)
    if sandbox is not None:
        worktree = sandbox.take(worktree, "work")
    head_sha = _git(programs, worktree, "rev-parse", "--verify", "HEAD^{commit}").decode().strip()
    if request.pr is None and head_sha != base_sha:
        raise OperationFailed(
            f"{worktree} is at {head_sha}, but the dispatch was for {base_sha} ($GITHUB_SHA)"
        )
    if _git(programs, worktree, "status", "--porcelain", "--untracked-files=all"):
        raise OperationFailed(f"{worktree} has local changes before the operation ran")
    if output.exists() and any(output.iterdir()):
        raise OperationFailed(f"{output} is not empty")
    output.mkdir(parents=True, exist_ok=True)

    job = Job(programs, worktree, output, workspace, runner_temp)
    kind_of(op).run(op, job)
    manifest = write_manifest(
        output,
        operation=request.operation,
        id=request.id,
        repository=request.repo,
        base_sha=base_sha,
        head_sha=head_sha,
    )
    # The privileged side refuses these anyway; saying so here gives a clear failure
    # where the names were made, instead of an artifact that can only be rejected.
    unsafe = [f"{show(f.path, 200)} {why}" for f in manifest.files if (why := unsafe_path(f.path))]
    if unsafe:
        raise OperationFailed("the operation left unusable file names: " + "; ".join(unsafe))
    return Outcome(manifest, job.changed, job.dropped)


@dataclass
class Job:
    """What a kind's `run` may do (kinds/base.py `OperationJob`), for one operation."""

    programs: Programs
    worktree: Path
    output: Path
    workspace: Path
    runner_temp: Path
    changed: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    @property
    def python(self) -> str:
        return self.programs.python

    def run(self, argv: Sequence[str], what: str) -> None:
        _run(self.programs, argv, self.worktree, what)

    def add_to_path(self, directory: Path) -> None:
        self.programs.extra_path.append(directory)

    def install_tools(self, name: str, requirements: Path, what: str) -> Path:
        box = self.programs.sandbox
        venv = (box.home if box else self.runner_temp) / name
        shutil.rmtree(venv, ignore_errors=True)
        env = self.programs.env
        # No pip inside (ensurepip is slow); the runtime's pip installs into it. In a
        # sandbox the venv is built on the interpreter its user may run.
        _trusted(
            [self.python, "-m", "venv", "--without-pip", str(venv)],
            self.runner_temp,
            env,
            f"{what}: venv",
        )
        pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
        install = [*pip, "install", "--require-hashes", "-r", str(requirements)]
        _trusted(
            install, self.runner_temp, env, f"{what}: install the tools of {requirements.name}"
        )
        if box is not None:
            readable_by_all(venv)
        return venv / "bin"

    def write_patch(self, allowed: list[str], *, creates_files: bool) -> None:
        self.changed, self.dropped = _write_patch(
            self.worktree, self.output, self.programs, allowed, creates_files
        )

    def write_dists(self, argv_for_outdir: Callable[[str], Sequence[str]]) -> None:
        outdir = self.output / DIST
        outdir.mkdir(parents=True, exist_ok=True)
        box = self.programs.sandbox
        built = box.mkdir("dist") if box else outdir
        _run(self.programs, argv_for_outdir(str(built)), self.worktree, "build")
        if box is not None:
            # Only regular files leave the sandbox; a link points wherever its user chose.
            for entry in sorted(built.iterdir()):
                if not entry.is_file() or entry.is_symlink():
                    raise OperationFailed(f"build left {show(entry.name)}, which is not a file")
                shutil.copyfile(entry, outdir / entry.name, follow_symlinks=False)


def _write_patch(
    worktree: Path, output: Path, programs: Programs, allowed: list[str], creates_files: bool
) -> tuple[list[str], list[str]]:
    """Stage everything, keep the allowed paths, and write git's own binary diff.

    New files stay out unless the kind may create them (the privileged side would
    refuse the whole patch for one).
    """
    _git(programs, worktree, "add", "--all")

    def staged(*options: str) -> list[str]:
        names = _git(
            programs, worktree, "diff", "--cached", "--name-only", "--no-renames", "-z", *options
        )
        return [p.decode("utf-8", "surrogateescape") for p in names.split(b"\0") if p]

    paths = staged("HEAD")
    new = set() if creates_files else set(staged("--diff-filter=A", "HEAD"))
    keep = [
        p for p in paths if path_allowed(p, allowed) and not touches_github_dir(p) and p not in new
    ]
    dropped = [p for p in paths if p not in keep]
    for path in dropped:
        print(f"warning: {path!r} changed but the operation may not change it; left out")
    patch = b""
    if keep:
        patch = _git(
            programs,
            worktree,
            "--literal-pathspecs",
            "diff",
            "--cached",
            "--binary",
            "--full-index",
            "--no-renames",
            "--no-ext-diff",
            "--no-textconv",
            "--no-color",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            "HEAD",
            "--",
            *keep,
        )
    (output / PATCH).write_bytes(patch)
    return keep, dropped
