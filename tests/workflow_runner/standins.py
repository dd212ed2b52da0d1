"""Local stand-ins for the third-party actions the templates pin.

Each one honours the inputs the templates pass, rejects inputs the real action
does not have (checked against the action.yml copies in tests/generator/data/actions/, or
the input list in action-pins.json), and refuses what repowarden must never do
(persisted credentials, caches, a PyPI password). The pinned sha is ignored: the
pin format itself is checked when the workflow is loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML

from workflow_runner.records import Publish, StepFailed, Upload

if TYPE_CHECKING:
    from workflow_runner.runner import JobContext

SHARED = Path(os.environ.get("REPOWARDEN_SHARED", Path(__file__).parents[1] / "generator/data"))


@dataclass(frozen=True)
class StandIn:
    run: Callable[[JobContext, dict[str, str]], dict[str, str]]
    inputs: frozenset[str]
    defaults: dict[str, str]


def _metadata(action: str) -> tuple[frozenset[str], dict[str, str]]:
    path = SHARED / "actions" / action / "action.yml"
    if path.is_file():
        data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
        inputs = data.get("inputs") or {}
        defaults = {
            k: str(v["default"])
            for k, v in inputs.items()
            if isinstance(v, dict) and "default" in v and "${{" not in str(v["default"])
        }
        return frozenset(inputs), defaults
    pins = json.loads((SHARED / "action-pins.json").read_text(encoding="utf-8"))["pins"]
    listed = pins.get(action, {}).get("inputs")
    if listed is None:
        raise StepFailed(f"no metadata for {action}: cannot check its inputs")
    return frozenset(listed), {}


def _git(*args: str, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_GLOBAL": os.devnull},
    )
    if proc.returncode != 0:
        raise StepFailed(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def _false(value: str | None) -> bool:
    return str(value).strip().lower() == "false"


def _inside(base: Path, relative: str) -> Path:
    target = (base / relative).resolve()
    if not target.is_relative_to(base.resolve()):
        raise StepFailed(f"path {relative!r} leaves {base}")
    return target


# ---------------------------------------------------------------- actions/checkout


def checkout(ctx: JobContext, inputs: dict[str, str]) -> dict[str, str]:
    if not _false(inputs.get("persist-credentials")):
        raise StepFailed(
            "actions/checkout without `persist-credentials: false` leaves the token in "
            ".git/config for every later step (safe-checkout)"
        )
    if inputs.get("allow-unsafe-pr-checkout", "false").lower() != "false":
        raise StepFailed("allow-unsafe-pr-checkout must never be set (FACTS: checkout v7)")
    repository = inputs.get("repository") or ctx.repository
    git_dir = ctx.host.git_dir(repository)
    ref = inputs.get("ref") or ""
    if ref:
        sha = _resolve(git_dir, ref)
        if ctx.event_name == "pull_request_target" and _is_pr_ref(ref, sha, ctx.event):
            # checkout v7 refuses this unless allow-unsafe-pr-checkout is given.
            raise StepFailed(
                f"refusing to check out pull request code {ref!r} under pull_request_target"
            )
    else:
        sha = ctx.sha if repository == ctx.repository else _resolve(git_dir, "HEAD")
    dest = _inside(ctx.workspace, inputs.get("path") or ".")
    if dest.exists() and any(dest.iterdir()):
        shutil.rmtree(dest)
    dest.mkdir(parents=True, exist_ok=True)
    depth = inputs.get("fetch-depth", "1")
    _git("init", "--quiet", str(dest))
    fetch = ["fetch", "--quiet", "--no-tags"] + ([f"--depth={depth}"] if depth != "0" else [])
    _git(*fetch, f"file://{git_dir}", sha, cwd=dest)
    _git("checkout", "--quiet", "--detach", sha, cwd=dest)
    # Like checkout: origin points at the repository, and no credentials are stored.
    _git("remote", "add", "origin", f"file://{git_dir}", cwd=dest)
    ctx.checkouts.append((repository, sha, dest))
    return {"ref": ref or ctx.ref, "commit": sha}


def _resolve(git_dir: Path, ref: str) -> str:
    for candidate in (ref, f"refs/heads/{ref}", f"refs/tags/{ref}"):
        proc = subprocess.run(
            [
                "git",
                "--git-dir",
                str(git_dir),
                "rev-parse",
                "--verify",
                "--quiet",
                f"{candidate}^{{commit}}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode == 0:
            return proc.stdout.strip()
    raise StepFailed(f"checkout: {ref!r} is not a branch, tag or commit of {git_dir}")


def _is_pr_ref(ref: str, sha: str, event: dict[str, Any]) -> bool:
    head = ((event.get("pull_request") or {}).get("head") or {}).get("sha")
    return ref.startswith("refs/pull/") or sha == head


# ---------------------------------------------------------------- actions/setup-python


def setup_python(ctx: JobContext, inputs: dict[str, str]) -> dict[str, str]:
    if inputs.get("cache"):
        raise StepFailed("setup-python `cache:` is forbidden (no-caches)")
    # The test's own base interpreter stands in for the requested version (recorded),
    # the way a tool-cache Python is a fixed path shared by every job on a runner.
    python = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
    ctx.path_additions.insert(0, str(python.parent))
    ctx.python_requested.append(inputs.get("python-version", ""))
    version = ".".join(map(str, sys.version_info[:3]))
    return {"python-version": version, "python-path": str(python), "cache-hit": "false"}


# ---------------------------------------------------------------- astral-sh/setup-uv


def setup_uv(ctx: JobContext, inputs: dict[str, str]) -> dict[str, str]:
    # Its enable-cache defaults to "auto": caching, on repository_dispatch runs too.
    if not _false(inputs.get("enable-cache")):
        raise StepFailed("setup-uv caches unless told `enable-cache: false` (no-caches)")
    version = inputs.get("version", "")
    if not version or not version[0].isdigit() or any(c in version for c in "<>=~^*, "):
        raise StepFailed(
            f"setup-uv version {version!r}: the pinned action verifies only exact versions "
            "it bundles checksums for"
        )
    # The test environment's uv (the `uv` package) stands in for the downloaded binary.
    import uv

    binary = Path(uv.find_uv_bin()).resolve()
    ctx.path_additions.insert(0, str(binary.parent))
    installed = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[1]
    ctx.log(f"uv {installed} stands in for the requested {version}")
    return {
        "uv-version": installed,
        "uv-path": str(binary),
        "uvx-path": str(binary.with_name("uvx")),
        "cache-hit": "false",
    }


# ---------------------------------------------------------------- artifacts


def _collect(ctx: JobContext, spec: str, include_hidden: bool) -> tuple[Path, list[Path]]:
    paths = []
    for line in spec.splitlines():
        line = line.strip()
        if not line or line.startswith("!"):
            if line.startswith("!"):
                raise StepFailed("upload-artifact: exclude patterns are not supported here")
            continue
        line = os.path.expanduser(line)
        matches = (
            sorted(Path(ctx.workspace).glob(line))
            if not os.path.isabs(line)
            else sorted(Path("/").glob(line.lstrip("/")))
        )
        paths.extend(matches)
    if not paths:
        return Path(ctx.workspace), []
    # The artifact's root is the least common ancestor of the searched paths.
    root = Path(os.path.commonpath([p if p.is_dir() else p.parent for p in paths]))
    files: list[Path] = []
    for path in paths:
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in candidates:
            rel = file.relative_to(root)
            if not include_hidden and any(part.startswith(".") for part in rel.parts):
                continue
            files.append(file)
    return root, files


def upload_artifact(ctx: JobContext, inputs: dict[str, str]) -> dict[str, str]:
    name = inputs.get("name") or "artifact"
    if _false(inputs.get("archive", "true")):
        raise StepFailed("upload-artifact: archive: false is not supported here")
    root, files = _collect(ctx, inputs["path"], inputs.get("include-hidden-files") == "true")
    if not files:
        mode = inputs.get("if-no-files-found", "warn")
        if mode == "error":
            raise StepFailed(f"upload-artifact: no files found at {inputs['path']!r}")
        return {"artifact-id": "", "artifact-url": ""}
    if name in ctx.run.artifacts and inputs.get("overwrite", "false") != "true":
        # v4+: artifacts are immutable per name within a run.
        raise StepFailed(f"upload-artifact: an artifact named {name!r} already exists in this run")
    # Content is followed through symlinks, as the real action's glob does.
    content = {f.relative_to(root).as_posix(): f.read_bytes() for f in files}
    ctx.run.artifacts[name] = Upload(name, ctx.job_id, content)
    artifact_id = str(len(ctx.run.artifacts))
    run_url = f"{ctx.server_url}/{ctx.repository}/actions/runs/{ctx.run.run_id}"
    return {"artifact-id": artifact_id, "artifact-url": f"{run_url}/artifacts/{artifact_id}"}


def download_artifact(ctx: JobContext, inputs: dict[str, str]) -> dict[str, str]:
    for unsupported in ("artifact-ids", "pattern", "run-id", "repository", "github-token"):
        if inputs.get(unsupported):
            raise StepFailed(f"download-artifact: {unsupported!r} is not supported here")
    dest = Path(os.path.expanduser(inputs.get("path") or str(ctx.workspace)))
    if not dest.is_absolute():
        dest = ctx.workspace / dest
    name = inputs.get("name")
    names = [name] if name else sorted(ctx.run.artifacts)
    for artifact in names:
        if artifact not in ctx.run.artifacts:
            raise StepFailed(f"download-artifact: no artifact named {artifact!r} in this run")
        # With a name the files land in `path` itself; without, one folder per artifact.
        target = dest if name else dest / artifact
        for rel, data in ctx.run.artifacts[artifact].files.items():
            file = _inside(target, rel)
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(data)
    return {"download-path": str(dest)}


# ---------------------------------------------------------------- pypa/gh-action-pypi-publish


def pypi_publish(ctx: JobContext, inputs: dict[str, str]) -> dict[str, str]:
    if inputs.get("password"):
        raise StepFailed("pypi-publish: a password means a long-lived token (trusted-publishing)")
    if ctx.permissions.get("id-token") != "write":
        raise StepFailed(
            "pypi-publish: trusted publishing needs `id-token: write` on this job; "
            f"it has {ctx.permissions}"
        )
    # It is a Docker action: only GITHUB_WORKSPACE is mounted into its container
    # (as /github/workspace), so a packages-dir elsewhere, e.g. under RUNNER_TEMP, is
    # not there when it runs (scverse/napari-spatialdata#295, pypa/gh-action-pypi-publish#93).
    raw = inputs.get("packages-dir") or "dist/"
    folder = (ctx.workspace / raw).resolve()
    if not folder.is_relative_to(ctx.workspace.resolve()):
        raise StepFailed(
            f"pypi-publish: packages-dir {raw!r} is outside GITHUB_WORKSPACE "
            f"({ctx.workspace}); the action's Docker container sees only the workspace"
        )
    if not folder.is_dir():
        raise StepFailed(f"pypi-publish: packages-dir {folder} does not exist")
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
    if not files:
        raise StepFailed(f"pypi-publish: nothing to upload in {folder}")
    ctx.run.published.append(
        Publish(
            job=ctx.job_id,
            environment=ctx.environment,
            repository_url=inputs.get("repository-url"),
            files=files,
            permissions=dict(ctx.permissions),
        )
    )
    hashes = "\n".join(f"{hashlib.sha256(d).hexdigest()}  {n}" for n, d in files.items())
    ctx.log(f"would upload:\n{hashes}")
    return {}


# ---------------------------------------------------------------- actions/create-github-app-token


def create_app_token(ctx: JobContext, inputs: dict[str, str]) -> dict[str, str]:
    """An installation token with exactly the `permission-*` inputs given (none: the App's all).

    The host (the simulated world) checks the client id and the private key against the
    Apps it knows, as GitHub checks the JWT the real action signs with the key.
    """
    if inputs.get("app-id"):
        raise StepFailed("create-github-app-token: `app-id` is deprecated; use `client-id`")
    client_id, key = inputs.get("client-id", ""), inputs.get("private-key", "")
    if not client_id or not key:
        raise StepFailed("create-github-app-token: `client-id` and `private-key` are required")
    mint = getattr(ctx.host, "mint_app_token", None)
    if mint is None:
        raise StepFailed("create-github-app-token: this host has no GitHub Apps")
    permissions = {
        name.removeprefix("permission-"): value
        for name, value in inputs.items()
        if name.startswith("permission-") and value
    }
    repositories = [r.strip() for r in inputs.get("repositories", "").replace(",", "\n").split()]
    owner = inputs.get("owner") or ctx.repository.split("/")[0]
    repos = [f"{owner}/{r}" for r in repositories if r] or [ctx.repository]
    token, slug, installation = mint(ctx.token, client_id, key, permissions or None, repos)
    return {"token": token, "app-slug": slug, "installation-id": str(installation)}


_RUNNERS: dict[str, Callable[[JobContext, dict[str, str]], dict[str, str]]] = {
    "actions/checkout": checkout,
    "actions/setup-python": setup_python,
    "astral-sh/setup-uv": setup_uv,
    "actions/upload-artifact": upload_artifact,
    "actions/download-artifact": download_artifact,
    "pypa/gh-action-pypi-publish": pypi_publish,
    "actions/create-github-app-token": create_app_token,
}
_CACHE: dict[str, StandIn] = {}


def standin(action: str) -> StandIn:
    if action not in _RUNNERS:
        raise StepFailed(
            f"no local stand-in for {action!r}; the runner knows {', '.join(sorted(_RUNNERS))}"
        )
    if action not in _CACHE:
        inputs, defaults = _metadata(action)
        _CACHE[action] = StandIn(_RUNNERS[action], inputs, defaults)
    return _CACHE[action]
