"""A dispatch pipeline on the fake GitHub: config, events, runner jobs, real git checkouts.

`Pipeline(gh, monkeypatch, capsys, tmp_path)` sets up repository o/r. Each job gets its own runner
directory (workspace, RUNNER_TEMP), as on GitHub; `transfer()` stands in for
upload-artifact + download-artifact by copying the unprivileged job's
`$RUNNER_TEMP/repowarden-artifacts` into the privileged job's. Commands run
in-process through `python -m repowarden.runtime`'s `main`, with the runner's
environment set and a token minted on the fake with chosen permissions.
"""

from __future__ import annotations

import copy
import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fake_github import FakeGitHub
from support.step import Outcome, run_step

SENDER_LOGIN = "warden-app[bot]"
SENDER_ID = 4242
# A real repository_dispatch payload (see tests/runtime/dispatch/data/README.md).
DATA = Path(__file__).parents[1] / "runtime" / "dispatch" / "data"
RUFF = str(Path(sys.executable).parent / "ruff")
ANNOUNCE = {"pull-requests": "write"}
APPLY = {"contents": "write", "pull-requests": "write"}

CONFIG = """\
repository: {repo}
review:
  admins: [admin1, admin2]
  reviewers:
    "*": [admin1, admin2]
dispatch:
  senders:
    - {{login: "{login}", id: {id}, type: Bot}}
  operations:
    - kind: pip-compile
      requirements: [requirements.in]
    - kind: format
      commands: [["{ruff}", format, src]]
      paths: ["src/**/*.py"]
    - kind: build-and-publish
      project: demo-pkg
  max_file_bytes: {max_file}
"""

# Stale on purpose: pip-compile replaces it with hash-pinned six.
FILES = {
    "README.md": "# demo\n",
    "requirements.in": "six\n",
    "requirements.txt": "# stale: nothing pinned yet\n",
    "src/demo/__init__.py": "VALUE = 1\n",
    "pyproject.toml": (
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "demo-pkg"\nversion = "1.0"\n'
    ),
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


class Pipeline:
    _steps = itertools.count(1)

    def __init__(
        self,
        gh: FakeGitHub,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        repo: str = "o/r",
        files: dict[str, str | bytes] | None = None,
        max_file: int = 20_000_000,
    ) -> None:
        self.gh, self.repo = gh, repo
        self._mp, self._capsys = monkeypatch, capsys
        self.dir = tmp_path / f"pipeline-{repo.replace('/', '-')}"
        self.dir.mkdir()
        if gh.state.repo(repo) is None:
            gh.add_repo(repo, files=dict(FILES if files is None else files))
            # apply opens its pull request with GITHUB_TOKEN, which GitHub refuses unless
            # "Allow GitHub Actions to create and approve pull requests" is on (off by
            # default; tests/fake_github/RULES.md). These repositories turn it on.
            gh.set_workflow_permissions(repo, can_approve_pull_request_reviews=True)
        self.config_path = self.dir / "repowarden.yml"
        self.config_path.write_text(
            CONFIG.format(repo=repo, login=SENDER_LOGIN, id=SENDER_ID, ruff=RUFF, max_file=max_file)
        )
        self.run_id = str(7000 + next(self._steps))
        self.sha = self.head()

    # -- state ----------------------------------------------------------------------------

    def head(self, ref: str = "main") -> str:
        repo = self.gh.state.repo(self.repo)
        assert repo is not None
        sha = repo.git.resolve(ref)
        assert sha is not None
        return sha

    def refs(self) -> dict[str, str]:
        out = git(self.gh.git_dir(self.repo), "for-each-ref", "--format=%(refname) %(objectname)")
        return dict(line.split(" ") for line in out.splitlines())

    def snapshot(self) -> dict[str, Any]:
        """What a user could see change: refs, PRs, comments, dispatches."""
        with self.gh.state.lock:
            pulls = sorted(
                (p.number, p.head_sha, p.title, p.body, p.state, p.base_ref)
                for p in self.gh.state.pulls.values()
            )
            comments = [(c.id, c.body) for c in self.gh.state.comments]
            dispatches = len(self.gh.state.dispatches)
        return {"refs": self.refs(), "pulls": pulls, "comments": comments, "d": dispatches}

    # -- events ---------------------------------------------------------------------------

    def event(
        self,
        operation: str = "pip-compile",
        id: str = "d1",
        pr: int | None = None,
        **changes: Any,
    ) -> dict[str, Any]:
        """A repository_dispatch payload (octokit's example, adjusted) for this repo."""
        event = json.loads((DATA / "repository_dispatch.json").read_text())
        event["action"] = "repowarden"
        event["repository"]["full_name"] = self.repo
        event["sender"].update(login=SENDER_LOGIN, id=SENDER_ID, type="Bot")
        payload: dict[str, Any] = {"operation": operation, "id": id, "repo": self.repo}
        if pr is not None:
            payload["pr"] = pr
        event["client_payload"] = payload
        for key, value in changes.items():
            event[key] = value
        return copy.deepcopy(event)

    # -- jobs -----------------------------------------------------------------------------

    def job_dir(self, job: str) -> Path:
        path = self.dir / job
        (path / "workspace").mkdir(parents=True, exist_ok=True)
        (path / "temp").mkdir(parents=True, exist_ok=True)
        return path

    def artifacts(self, job: str) -> Path:
        return self.job_dir(job) / "temp" / "repowarden-artifacts"

    def run(
        self,
        command: str,
        event: dict[str, Any],
        *,
        job: str,
        token: str | None = None,
        permissions: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
        attempt: int = 1,
        upstream: str | None = None,
        event_name: str = "repository_dispatch",
    ) -> Outcome:
        """One runtime step of `job`; no token at all when neither is given."""
        step = next(self._steps)
        base = self.job_dir(job)
        if token is None and permissions is not None:
            token = self.gh.token(permissions, repo=self.repo)
        env = {
            "GITHUB_REPOSITORY": self.repo,
            "GITHUB_WORKSPACE": str(base / "workspace"),
            "GITHUB_SHA": self.sha,
            "GITHUB_TOKEN": token or "",
            "GITHUB_RUN_ID": self.run_id,
            "GITHUB_RUN_ATTEMPT": str(attempt),
            "RUNNER_TEMP": str(base / "temp"),
        }
        if upstream is None:
            self._mp.delenv("REPOWARDEN_UPSTREAM_RESULT", raising=False)
        else:
            env["REPOWARDEN_UPSTREAM_RESULT"] = upstream
        self._mp.delenv("GH_TOKEN", raising=False)
        return run_step(
            self._mp,
            self._capsys,
            command,
            self.config_path,
            event_name=event_name,
            event=event,
            directory=base,
            step=step,
            env=env,
            args=args,
        )

    def checkout(self, job: str, ref: str) -> Path:
        """What actions/checkout with `ref:` and `path: target` leaves."""
        target = self.job_dir(job) / "workspace" / "target"
        if target.exists():
            shutil.rmtree(target)
        git(self.dir, "clone", "-q", str(self.gh.git_dir(self.repo)), str(target))
        git(target, "fetch", "-q", "origin", ref)
        git(target, "checkout", "-q", "--detach", "FETCH_HEAD")
        return target

    def unprivileged(self, event: dict[str, Any], job: str = "unprivileged") -> Outcome:
        """The unprivileged job: verify --event-only, checkout the ref it names, operate."""
        verified = self.run("verify", event, job=job, args=("--event-only",))
        if verified.code != 0:
            return verified
        self.checkout(job, verified.outputs["checkout-ref"])
        return self.run("operate", event, job=job)

    def transfer(self, src: str = "unprivileged", dst: str = "apply") -> Path:
        """upload-artifact + download-artifact: the same files, in the other job's temp."""
        target = self.artifacts(dst)
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(self.artifacts(src), target, symlinks=True)
        return target


def craft_patch(
    pipeline: Pipeline, changes: dict[str, str | None], base: str | None = None
) -> bytes:
    """`git diff --binary` of `changes` on top of `base`, made by git in a scratch clone.

    Stands in for what untrusted code could leave: any patch git can produce.
    """
    scratch = pipeline.dir / f"scratch-{next(Pipeline._steps)}"
    git(pipeline.dir, "clone", "-q", str(pipeline.gh.git_dir(pipeline.repo)), str(scratch))
    git(scratch, "checkout", "-q", "--detach", base or pipeline.sha)
    for path, text in changes.items():
        target = scratch / path
        if text is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    git(scratch, "add", "--all")
    return subprocess.run(
        ["git", "diff", "--cached", "--binary", "--full-index", "HEAD"],
        cwd=scratch,
        check=True,
        capture_output=True,
    ).stdout


def write_artifact(
    directory: Path,
    files: dict[str, bytes],
    *,
    operation: str,
    id: str,
    repository: str,
    base_sha: str,
    head_sha: str | None = None,
) -> None:
    """An artifact directory whose manifest matches `files` exactly."""
    from repowarden.runtime.dispatch.manifest import write_manifest

    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for path, data in files.items():
        (directory / path).parent.mkdir(parents=True, exist_ok=True)
        (directory / path).write_bytes(data)
    write_manifest(
        directory,
        operation=operation,
        id=id,
        repository=repository,
        base_sha=base_sha,
        head_sha=head_sha or base_sha,
    )
