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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from repowarden.runtime.config import BuildAndPublish, Config, Format, PipCompile
from repowarden.runtime.dispatch.artifact import path_allowed, touches_github_dir, unsafe_path
from repowarden.runtime.dispatch.manifest import DIST, PATCH, Manifest, write_manifest
from repowarden.runtime.dispatch.payload import DispatchRequest, show

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


def _run(argv: Sequence[str], cwd: Path, env: Mapping[str, str], what: str) -> None:
    print(f"$ {' '.join(argv)}", flush=True)
    try:
        proc = subprocess.run(
            list(argv), cwd=cwd, env=dict(env), timeout=COMMAND_TIMEOUT, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError:
        raise OperationFailed(f"{what}: program {argv[0]!r} not found") from None
    except subprocess.TimeoutExpired:
        raise OperationFailed(f"{what}: timed out after {COMMAND_TIMEOUT:g}s") from None
    if proc.returncode != 0:
        raise OperationFailed(f"{what}: {argv[0]} exited with status {proc.returncode}")


def _git(worktree: Path, env: Mapping[str, str], *args: str) -> bytes:
    proc = subprocess.run(
        ["git", *_GIT_SAFE, *args],
        cwd=worktree,
        env=dict(env),
        capture_output=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
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
) -> Outcome:
    """Run the requested operation in `worktree` and write the artifact to `output`."""
    op = config.dispatch.operation(request.operation) if config.dispatch else None
    if op is None:
        raise OperationFailed(f"operation {request.operation!r} is not configured")
    env = scrubbed_env(environ)
    if not (worktree / ".git").exists():
        raise OperationFailed(f"{worktree} is not a git checkout")
    head_sha = _git(worktree, env, "rev-parse", "--verify", "HEAD^{commit}").decode().strip()
    if request.pr is None and head_sha != base_sha:
        raise OperationFailed(
            f"{worktree} is at {head_sha}, but the dispatch was for {base_sha} ($GITHUB_SHA)"
        )
    if _git(worktree, env, "status", "--porcelain", "--untracked-files=all"):
        raise OperationFailed(f"{worktree} has local changes before the operation ran")
    if output.exists() and any(output.iterdir()):
        raise OperationFailed(f"{output} is not empty")
    output.mkdir(parents=True, exist_ok=True)

    changed: list[str] = []
    dropped: list[str] = []
    if isinstance(op, PipCompile):
        _pip_compile(op, worktree, env)
        changed, dropped = _write_patch(worktree, output, env, op.allowed_paths)
    elif isinstance(op, Format):
        _format(op, worktree, env, workspace, runner_temp)
        changed, dropped = _write_patch(worktree, output, env, op.allowed_paths)
    elif isinstance(op, BuildAndPublish):
        _build(worktree, output / DIST, env)
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
    return Outcome(manifest, changed, dropped)


def _pip_compile(op: PipCompile, worktree: Path, env: Mapping[str, str]) -> None:
    for source in op.requirements:
        target = source.removesuffix(".in") + ".txt"
        if not (worktree / source).is_file():
            raise OperationFailed(f"pip-compile: {source} does not exist in the checkout")
        _run(
            [
                sys.executable,
                "-m",
                "piptools",
                "compile",
                "--quiet",
                "--generate-hashes",
                "--strip-extras",
                # The runner's own index settings do not belong in the repository's file.
                "--no-emit-index-url",
                "--no-emit-find-links",
                *(["--upgrade"] if op.upgrade else []),
                "--output-file",
                target,
                source,
            ],
            worktree,
            env,
            f"pip-compile {source}",
        )


def _format(
    op: Format, worktree: Path, env: dict[str, str], workspace: Path, runner_temp: Path
) -> None:
    if op.requirements:
        # The formatters come from the trusted default-branch checkout's pinned file,
        # installed with hashes into a venv of their own.
        requirements = workspace / op.requirements
        if not requirements.is_file():
            raise OperationFailed(f"format: {op.requirements} not found in {workspace}")
        venv = runner_temp / "repowarden-format-venv"
        shutil.rmtree(venv, ignore_errors=True)
        # No pip inside (ensurepip is slow); the runtime's pip installs into it.
        _run(
            [sys.executable, "-m", "venv", "--without-pip", str(venv)],
            runner_temp,
            env,
            "format: venv",
        )
        python = venv / "bin" / "python"
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(python),
                "install",
                "--require-hashes",
                "-r",
                str(requirements),
            ],
            runner_temp,
            env,
            "format: install formatters",
        )
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    for argv in op.commands:
        _run(argv, worktree, env, f"format: {' '.join(argv)}")


def _build(worktree: Path, outdir: Path, env: Mapping[str, str]) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    _run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(outdir), "."],
        worktree,
        env,
        "build",
    )


def _write_patch(
    worktree: Path, output: Path, env: Mapping[str, str], allowed: list[str]
) -> tuple[list[str], list[str]]:
    """Stage everything, keep the allowed paths, and write git's own binary diff."""
    _git(worktree, env, "add", "--all")
    names = _git(worktree, env, "diff", "--cached", "--name-only", "--no-renames", "-z", "HEAD")
    paths = [p.decode("utf-8", "surrogateescape") for p in names.split(b"\0") if p]
    keep = [p for p in paths if path_allowed(p, allowed) and not touches_github_dir(p)]
    dropped = [p for p in paths if p not in keep]
    for path in dropped:
        print(f"warning: {path!r} changed but the operation may not change it; left out")
    patch = b""
    if keep:
        patch = _git(
            worktree,
            env,
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
