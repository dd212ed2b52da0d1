"""Run the jobs of repowarden's rendered workflows locally, the way a GitHub runner would.

Scope: what the templates use, no more. A job gets a fresh workspace and
RUNNER_TEMP, a GITHUB_TOKEN minted on the fake GitHub with exactly its
`permissions:` map, the runner's environment variables, and its steps run with
bash as GitHub runs them. Third-party actions are local stand-ins (standins.py);
composite actions (`$/…` from the workflow's own commit, `./…` from the
workspace) run step by step. Anything outside that scope raises an error.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from workflow_runner.expressions import ExpressionError, evaluate_condition, interpolate, to_string
from workflow_runner.records import (
    JobCancelled,
    JobResult,
    RunnerError,
    StepFailed,
    StepResult,
    WorkflowRun,
)
from workflow_runner.standins import standin
from workflow_runner.workflow import (
    PIN_RE,
    Job,
    Step,
    Workflow,
    branch_matches,
    load_action,
    load_workflows,
)

SERVER_URL = "https://github.com"
# GitHub's shell templates (docs: "jobs.<job_id>.steps[*].shell").
SHELLS = {
    "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"],
    "sh": ["sh", "-e", "{0}"],
    "python": ["python", "{0}"],
}
DEFAULT_SHELL = ["bash", "-e", "{0}"]  # no `shell:` anywhere and bash is on PATH
# Rule ids (fake_github.rules, registered by the simulated world) the runner applies.
FORK_READ_ONLY = "fork-pull-request-token-read-only"
ENVIRONMENT_POLICY = "environment-deployment-branches"


class Host(Protocol):
    """The fake GitHub, as far as the runner needs it."""

    url: str

    def token(self, permissions: dict[str, str], *, repo: str) -> str: ...

    def git_dir(self, repo: str) -> Path: ...


@dataclass
class JobContext:
    """What a job's steps and stand-ins see."""

    host: Host
    run: WorkflowRun
    workflow: Workflow
    job_id: str
    repository: str
    event_name: str
    event: dict[str, Any]
    sha: str
    ref: str
    workspace: Path
    runner_temp: Path
    source: Path  # the workflow's own commit, where `$/` actions come from
    permissions: dict[str, str]
    token: str
    environment: Any
    concurrency: Any = None
    server_url: str = SERVER_URL
    path_additions: list[str] = field(default_factory=list)
    python_requested: list[str] = field(default_factory=list)
    checkouts: list[tuple[str, str, Path]] = field(default_factory=list)
    current_log: list[str] = field(default_factory=list)
    base_env: dict[str, str] = field(default_factory=dict)
    failed: bool = False

    def log(self, text: str) -> None:
        self.current_log.append(text)


@dataclass(frozen=True)
class Environment:
    """A deployment environment: its secrets reach a job only when the run's ref may deploy.

    `branches` is the deployment-branch policy (GitHub's filter patterns); None allows
    every ref. A job naming an environment whose policy rejects its ref fails before its
    steps, as on GitHub ("Branch ... is not allowed to deploy to ... due to environment
    protection rules").
    """

    secrets: Mapping[str, str] = field(default_factory=dict)
    branches: tuple[str, ...] | None = None

    def allows(self, ref: str) -> bool:
        if self.branches is None:
            return True
        if not ref.startswith("refs/heads/"):
            return False
        branch = ref.removeprefix("refs/heads/")
        return any(branch_matches(pattern, branch) for pattern in self.branches)


StepHook = Callable[[str, Step], dict[str, Any] | None]
RunIds = Callable[[Workflow, str, dict[str, Any], str, str], int]
JobHook = Callable[[JobContext], None]
AfterJobHook = Callable[[JobContext, JobResult], None]


def _permissions(workflow: Workflow, job: Job) -> dict[str, str]:
    raw = job.data.get("permissions", workflow.data.get("permissions"))
    if not isinstance(raw, dict):
        raise RunnerError(
            f"{workflow.path} job {job.id}: permissions must be an explicit map, got {raw!r} "
            "(the default token would be repository-wide)"
        )
    for scope, level in raw.items():
        if level not in ("read", "write", "none"):
            raise RunnerError(f"{workflow.path} job {job.id}: {scope}: {level!r} is not a level")
    return {str(k): str(v) for k, v in raw.items()}


def _job_order(workflow: Workflow) -> list[Job]:
    done: list[str] = []
    pending = list(workflow.jobs.values())
    while pending:
        ready = [j for j in pending if all(n in done for n in j.needs)]
        if not ready:
            raise RunnerError(
                f"{workflow.path}: `needs:` has a cycle among {[j.id for j in pending]}"
            )
        for job in ready:
            done.append(job.id)
            pending.remove(job)
    return [workflow.jobs[j] for j in done]


def _ancestors(workflow: Workflow, job: Job) -> set[str]:
    seen: set[str] = set()
    stack = list(job.needs)
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(workflow.jobs[current].needs)
    return seen


def _str_map(raw: Any, contexts: Mapping[str, Any], where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise RunnerError(f"{where}: expected a mapping, got {raw!r}")
    try:
        return {str(k): to_string(interpolate(v, contexts)) for k, v in raw.items()}
    except ExpressionError as exc:
        raise RunnerError(f"{where}: {exc}") from None


def _interpolate_map(raw: Any, contexts: Mapping[str, Any]) -> Any:
    """A string, or a mapping whose values are (`concurrency: {group: ...}`), interpolated."""
    if isinstance(raw, dict):
        return {k: interpolate(v, contexts) for k, v in raw.items()}
    return interpolate(raw, contexts)


def _parse_kv_file(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT syntax: `name=value` lines and `name<<DELIM` heredocs."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            body: list[str] = []
            while i < len(lines) and lines[i] != delim:
                body.append(lines[i])
                i += 1
            if i >= len(lines):
                raise StepFailed(f"GITHUB_OUTPUT: heredoc for {name!r} never ends with {delim!r}")
            i += 1
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        else:
            raise StepFailed(f"GITHUB_OUTPUT: malformed line {line!r}")
    return values


class Runner:
    """Runs the rendered workflows of one repository hosted on the fake GitHub."""

    def __init__(
        self,
        host: Host,
        repository: str,
        workdir: Path,
        *,
        machine_env: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        step_hook: StepHook | None = None,
        job_hook: JobHook | None = None,
        after_job: AfterJobHook | None = None,
        step_timeout: float = 300.0,
        max_parallel: int = 4,
        environments: Mapping[str, Environment] | None = None,
        run_ids: RunIds | None = None,
        rules: Callable[[str], bool] | None = None,
    ) -> None:
        self.host = host
        self.repository = repository
        self.workdir = workdir
        # Things a runner machine has set (pip's cache directory, say); never GitHub's names.
        self.machine_env = dict(machine_env or {})
        self.secrets = dict(secrets or {})
        self.step_hook = step_hook
        self.job_hook = job_hook
        self.after_job = after_job
        self.step_timeout = step_timeout
        self.max_parallel = max_parallel
        # Kept as given (not copied): the world may add environments after creating the runner.
        self.environments = environments if environments is not None else {}
        # Who numbers runs: the simulated world registers each run on the fake GitHub.
        self.run_ids = run_ids
        # Which of GitHub's rules the runner applies (fake_github.rules ids); all by default.
        self.rules = rules or (lambda _rule_id: True)
        self._ids = itertools.count(int(time.time()) % 100000 * 10 + 1)
        self._sources = itertools.count(1)
        self.runs: list[WorkflowRun] = []
        # GITHUB_RUN_NUMBER: 1 for a workflow's first run, +1 for each new run of it;
        # a re-run (same run id) keeps its number (docs: "Variables reference").
        self._run_numbers: dict[int, int] = {}
        self._numbered: dict[str, int] = {}
        self._numbering = threading.Lock()

    # ------------------------------------------------------------ events

    def _git(self, *args: str) -> str:
        proc = subprocess.run(
            ["git", "--git-dir", str(self.host.git_dir(self.repository)), *args],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RunnerError(f"git {' '.join(args)}: {proc.stderr.strip()}")
        return proc.stdout.strip()

    def _resolve(self, ref: str) -> str:
        return self._git("rev-parse", "--verify", f"{ref}^{{commit}}")

    def _event_ref(self, event_name: str, payload: dict[str, Any]) -> tuple[str, str]:
        """(sha, ref) as GitHub sets GITHUB_SHA / GITHUB_REF for the event."""
        if event_name == "pull_request_target":
            # Since 2025-12-08 the default branch's tip, whatever the PR's base
            # (changelog 2025-11-07, "Actions pull_request_target and environment
            # branch protections changes").
            default = payload["repository"]["default_branch"]
            ref = f"refs/heads/{default}"
            return self._resolve(ref), ref
        if event_name in ("pull_request", "pull_request_review"):
            number = payload["pull_request"]["number"]
            ref = f"refs/pull/{number}/merge"
            try:
                return self._resolve(ref), ref
            except RunnerError:
                raise RunnerError(
                    f"{event_name} runs from {ref}, which the fake repository lacks: "
                    "create it, or pass sha=/ref= to trigger()"
                ) from None
        if event_name == "merge_group":
            group = payload["merge_group"]
            return group["head_sha"], group["head_ref"]
        if event_name == "push":
            return payload["after"], payload["ref"]
        default = (payload.get("repository") or {}).get("default_branch")
        ref = f"refs/heads/{default}" if default else self._git("symbolic-ref", "HEAD")
        return self._resolve(ref), ref

    def _export(self, sha: str) -> Path:
        dest = self.workdir / f"source-{next(self._sources)}"
        dest.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "--git-dir", str(self.host.git_dir(self.repository)), "archive", sha],
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
        return dest

    def trigger(
        self,
        event_name: str,
        payload: dict[str, Any],
        *,
        sha: str | None = None,
        ref: str | None = None,
        run_attempt: int = 1,
        only: str | None = None,
        jobs: set[str] | None = None,
        changed: list[str] | None = None,
    ) -> list[WorkflowRun]:
        """Deliver an event: run every workflow (at the event's commit) whose `on:` matches.

        `only` restricts to one workflow file name, for tests that poke one workflow;
        `jobs` runs only those job ids, like GitHub's "re-run this job" (with run_attempt).
        """
        if sha is None or ref is None:
            event_sha, event_ref = self._event_ref(event_name, payload)
            sha, ref = sha or event_sha, ref or event_ref
        source = self._export(sha)
        matched = [
            w
            for w in load_workflows(source)
            if (only is None or Path(w.path).name == only)
            and w.matches(event_name, payload, changed)
        ]
        # Workflows triggered by one event run side by side, as on GitHub.
        with ThreadPoolExecutor(max_workers=self.max_parallel) as pool:
            futures = [
                pool.submit(
                    self.run_workflow,
                    w,
                    source,
                    event_name,
                    payload,
                    sha,
                    ref,
                    run_attempt,
                    run_id=(
                        self.run_ids(w, event_name, payload, sha, ref)
                        if self.run_ids is not None
                        else next(self._ids)
                    ),
                    jobs=jobs,
                )
                for w in matched
            ]
            return [f.result() for f in futures]

    # ------------------------------------------------------------ workflows

    def _run_number(self, run: WorkflowRun) -> int:
        with self._numbering:
            if run.run_id not in self._run_numbers:
                self._numbered[run.workflow] = self._numbered.get(run.workflow, 0) + 1
                self._run_numbers[run.run_id] = self._numbered[run.workflow]
            return self._run_numbers[run.run_id]

    def run_workflow(
        self,
        workflow: Workflow,
        source: Path,
        event_name: str,
        payload: dict[str, Any],
        sha: str,
        ref: str,
        run_attempt: int = 1,
        *,
        run_id: int | None = None,
        jobs: set[str] | None = None,
    ) -> WorkflowRun:
        run_id = next(self._ids) if run_id is None else run_id
        run = WorkflowRun(workflow.path, workflow.name, event_name, run_id, run_attempt, sha, ref)
        run.root = self.workdir / f"run-{run_id}"
        run.root.mkdir(parents=True)
        event_path = run.root / "event.json"
        event_path.write_text(json.dumps(payload), encoding="utf-8")
        self.runs.append(run)
        pending = _job_order(workflow)
        if jobs is not None:
            pending = [j for j in pending if j.id in jobs]
            for job in pending:
                if not set(job.needs) <= jobs:
                    raise RunnerError(f"re-running {job.id} alone: it needs {job.needs}")
        # Jobs whose `needs:` are all finished run side by side, wave after wave.
        with ThreadPoolExecutor(max_workers=self.max_parallel) as pool:
            while pending:
                ready = [j for j in pending if all(n in run.jobs for n in j.needs)]
                futures = [
                    pool.submit(self._run_job, workflow, j, run, source, payload, event_path)
                    for j in ready
                ]
                for job, future in zip(ready, futures, strict=True):
                    run.jobs[job.id] = future.result()
                pending = [j for j in pending if j not in ready]
        run.jobs = {j: run.jobs[j] for j in workflow.jobs if j in run.jobs}
        return run

    def _github_context(
        self, run: WorkflowRun, workflow: Workflow, payload: dict[str, Any], event_path: Path
    ) -> dict[str, Any]:
        sender = payload.get("sender") or {}
        ref = run.ref
        return {
            "event_name": run.event_name,
            "event": payload,
            "event_path": str(event_path),
            "repository": self.repository,
            "repository_owner": self.repository.split("/")[0],
            "repository_id": str((payload.get("repository") or {}).get("id", "")),
            "sha": run.sha,
            "ref": ref,
            "ref_name": ref.removeprefix("refs/heads/").removeprefix("refs/tags/"),
            "ref_type": "tag" if ref.startswith("refs/tags/") else "branch",
            "head_ref": ((payload.get("pull_request") or {}).get("head") or {}).get("ref", "")
            if run.event_name.startswith("pull_request")
            else "",
            "base_ref": ((payload.get("pull_request") or {}).get("base") or {}).get("ref", "")
            if run.event_name.startswith("pull_request")
            else "",
            "actor": sender.get("login", ""),
            "actor_id": str(sender.get("id", "")),
            "triggering_actor": sender.get("login", ""),
            "run_id": str(run.run_id),
            "run_number": str(self._run_number(run)),
            "run_attempt": str(run.run_attempt),
            "workflow": workflow.name,
            "workflow_ref": f"{self.repository}/{workflow.path}@{ref}",
            "server_url": SERVER_URL,
            "api_url": self.host.url,
            "graphql_url": f"{self.host.url}/graphql",
            "retention_days": "90",
        }

    def _run_job(
        self,
        workflow: Workflow,
        job: Job,
        run: WorkflowRun,
        source: Path,
        payload: dict[str, Any],
        event_path: Path,
    ) -> JobResult:
        github = self._github_context(run, workflow, payload, event_path)
        github["job"] = job.id
        needs = {
            n: {"result": run.jobs[n].result, "outputs": dict(run.jobs[n].outputs)}
            for n in job.needs
        }
        inputs = dict(payload.get("inputs") or {}) if run.event_name == "workflow_dispatch" else {}
        base = {"github": github, "needs": needs, "vars": {}, "inputs": inputs}
        ancestors = [run.jobs[a].result for a in _ancestors(workflow, job)]

        def job_status(name: str) -> bool:
            return {
                "success": all(r == "success" for r in ancestors),
                "failure": any(r == "failure" for r in ancestors),
                "cancelled": False,
                "always": True,
            }[name]

        where = f"{workflow.path} job {job.id}"
        try:
            name = to_string(interpolate(job.data.get("name", job.id), base))
            run_it = evaluate_condition(job.data.get("if"), base, job_status)
        except ExpressionError as exc:
            raise RunnerError(f"{where}: {exc}") from None
        permissions = _permissions(workflow, job)
        result = JobResult(job.id, name, "skipped", permissions=permissions)
        if not run_it:
            result.skipped_because = f"if: {job.data.get('if', 'success()')!r} is false"
            return result
        if "runs-on" not in job.data:
            raise RunnerError(f"{where}: no runs-on")
        try:
            result.environment = _interpolate_map(job.data.get("environment"), base)
            result.concurrency = _interpolate_map(job.data.get("concurrency"), base)
        except ExpressionError as exc:
            raise RunnerError(f"{where}: {exc}") from None
        if "timeout-minutes" not in job.data:
            raise RunnerError(f"{where}: no timeout-minutes (bounded-jobs)")

        root = run.root / job.id if run.root else self.workdir / job.id
        workspace, temp, home = root / "workspace", root / "temp", root / "home"
        for folder in (workspace, temp, home):
            folder.mkdir(parents=True)
        from_fork = self._from_fork(run.event_name, payload) and self.rules(FORK_READ_ONLY)
        granted = dict(permissions)
        if from_fork:
            # GitHub: on pull_request(_review) from a fork the token is read-only and
            # no secret is passed (docs/github-facts.md).
            granted = {k: "read" for k, v in permissions.items() if v != "none" and k != "id-token"}
        # Like GITHUB_TOKEN: exactly the job's permissions, on this repository only.
        token = self.host.token(granted, repo=self.repository)
        result.token = token
        result.granted = granted
        github |= {"token": token, "workspace": str(workspace)}
        ctx = JobContext(
            host=self.host,
            run=run,
            workflow=workflow,
            job_id=job.id,
            repository=self.repository,
            event_name=run.event_name,
            event=payload,
            sha=run.sha,
            ref=run.ref,
            workspace=workspace,
            runner_temp=temp,
            source=source,
            permissions=permissions,
            token=token,
            environment=result.environment,
            concurrency=result.concurrency,
        )
        ctx.base_env = self._base_env(ctx, github, event_path, home)
        runner_ctx = {
            "os": "Linux",
            "arch": "X64",
            "name": "local",
            "temp": str(temp),
            "tool_cache": str(root / "toolcache"),
            "environment": "github-hosted",
        }
        secrets = {**({} if from_fork else self.secrets), "GITHUB_TOKEN": token}
        environment = self._environment(result.environment)
        if environment is not None:
            if not environment.allows(run.ref) and self.rules(ENVIRONMENT_POLICY):
                result.result = "failure"
                result.skipped_because = (
                    f"Branch {run.ref!r} is not allowed to deploy to "
                    f"{self._environment_name(result.environment)} due to environment "
                    "protection rules."
                )
                return result
            if not from_fork:
                secrets = {**secrets, **environment.secrets}
        contexts = {**base, "runner": runner_ctx, "secrets": secrets, "job": {"status": "success"}}
        env = _str_map(workflow.data.get("env"), {**contexts, "env": {}}, f"{workflow.path} env")
        env |= _str_map(job.data.get("env"), {**contexts, "env": env}, f"{where} env")
        defaults = {
            **((workflow.data.get("defaults") or {}).get("run") or {}),
            **((job.data.get("defaults") or {}).get("run") or {}),
        }
        if self.job_hook is not None:
            try:
                self.job_hook(ctx)
            except JobCancelled as exc:
                result.result = "cancelled"
                result.skipped_because = str(exc)
                return result
        try:
            self._run_steps(ctx, job, env, contexts, defaults, result)
        finally:
            # Also after a RunnerError, so hooks can release what they hold.
            result.result = "failure" if ctx.failed else "success"
            if self.after_job is not None:
                self.after_job(ctx, result)
        contexts["env"] = env
        result.outputs = _str_map(job.data.get("outputs"), contexts, f"{where} outputs")
        return result

    def _run_steps(
        self,
        ctx: JobContext,
        job: Job,
        env: dict[str, str],
        contexts: dict[str, Any],
        defaults: dict[str, Any],
        result: JobResult,
    ) -> None:
        deadline = time.monotonic() + float(job.data["timeout-minutes"]) * 60
        steps_ctx: dict[str, Any] = contexts.setdefault("steps", {})
        for step in job.steps:
            data = step.data
            if self.step_hook is not None:
                replaced = self.step_hook(job.id, step)
                if replaced is not None:
                    data = replaced
            contexts["job"] = {"status": "failure" if ctx.failed else "success"}
            step_result = self._run_step(
                ctx, Step(data, step.index), env, contexts, steps_ctx, defaults, deadline, result
            )
            if step_result.id:
                steps_ctx[step_result.id] = {
                    "outputs": step_result.outputs,
                    "outcome": step_result.outcome,
                    "conclusion": step_result.conclusion,
                }

    @staticmethod
    def _environment_name(raw: Any) -> str | None:
        if raw is None:
            return None
        return str(raw.get("name")) if isinstance(raw, dict) else str(raw)

    def _environment(self, raw: Any) -> Environment | None:
        name = self._environment_name(raw)
        if name is None:
            return None
        # An environment a workflow names that the repository lacks is created on
        # first use, without secrets or a branch policy.
        return self.environments.get(name, Environment())

    def _from_fork(self, event_name: str, payload: dict[str, Any]) -> bool:
        if event_name not in ("pull_request", "pull_request_review", "pull_request_review_comment"):
            return False
        head = ((payload.get("pull_request") or {}).get("head") or {}).get("repo") or {}
        return str(head.get("full_name", "")).lower() != self.repository.lower()

    def _base_env(
        self, ctx: JobContext, github: dict[str, Any], event_path: Path, home: Path
    ) -> dict[str, str]:
        env = {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "RUNNER_TEMP": str(ctx.runner_temp),
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
            "RUNNER_NAME": "local",
            "RUNNER_ENVIRONMENT": "github-hosted",
            "RUNNER_TOOL_CACHE": str(ctx.runner_temp.parent / "toolcache"),
            "GITHUB_EVENT_NAME": ctx.event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_WORKSPACE": str(ctx.workspace),
            "GITHUB_API_URL": self.host.url,
            "GITHUB_GRAPHQL_URL": f"{self.host.url}/graphql",
            "GITHUB_JOB": ctx.job_id,
            "GITHUB_RETENTION_DAYS": "90",
        }
        for key in (
            "repository",
            "repository_owner",
            "repository_id",
            "sha",
            "ref",
            "ref_name",
            "ref_type",
            "head_ref",
            "base_ref",
            "actor",
            "actor_id",
            "triggering_actor",
            "run_id",
            "run_number",
            "run_attempt",
            "server_url",
            "workflow",
            "workflow_ref",
        ):
            env[f"GITHUB_{key.upper()}"] = str(github[key])
        # The test process's PATH may hold the project's venv; a runner has no such thing.
        venv_bin = str(Path(sys.prefix) / "bin")
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != venv_bin)
        return {**self.machine_env, **env}

    # ------------------------------------------------------------ steps

    def _run_step(
        self,
        ctx: JobContext,
        step: Step,
        env: dict[str, str],
        contexts: dict[str, Any],
        steps_ctx: dict[str, Any],
        defaults: dict[str, Any],
        deadline: float,
        job_result: JobResult,
        *,
        action_path: Path | None = None,
    ) -> StepResult:
        data = step.data
        where = f"{ctx.workflow.path} job {ctx.job_id} step {step.index} ({step.label})"
        step_contexts = {**contexts, "steps": steps_ctx, "env": env}
        if action_path is not None:
            step_contexts["github"] = {**contexts["github"], "action_path": str(action_path)}

        def step_status(name: str) -> bool:
            return {
                "success": not ctx.failed,
                "failure": ctx.failed,
                "cancelled": False,
                "always": True,
            }[name]

        try:
            label = to_string(interpolate(data.get("name", step.label), step_contexts))
            run_it = evaluate_condition(data.get("if"), step_contexts, step_status)
            step_env = {**env, **_str_map(data.get("env"), step_contexts, f"{where} env")}
        except ExpressionError as exc:
            raise RunnerError(f"{where}: {exc}") from None
        result = StepResult(label, data.get("id"), "skipped", "skipped", uses=data.get("uses"))
        job_result.steps.append(result)
        if not run_it:
            return result
        step_contexts["env"] = step_env
        ctx.current_log = []
        started = time.monotonic()
        try:
            if "run" in data:
                result.outputs = self._run_script(
                    ctx, data, step_env, step_contexts, defaults, deadline, job_result, action_path
                )
            else:
                result.outputs = self._run_uses(
                    ctx, data, step_env, step_contexts, deadline, job_result, result
                )
            result.outcome = result.conclusion = "success"
        except StepFailed as exc:
            ctx.log(f"::error::{exc}")
            result.outcome = "failure"
            continue_on_error = interpolate(data.get("continue-on-error", False), step_contexts)
            if continue_on_error is True or str(continue_on_error).lower() == "true":
                result.conclusion = "success"
            else:
                result.conclusion = "failure"
                ctx.failed = True
        result.log = "\n".join(ctx.current_log)
        result.seconds = time.monotonic() - started
        return result

    def _timeout(self, data: dict[str, Any], deadline: float) -> float:
        remaining = deadline - time.monotonic()
        if "timeout-minutes" in data:
            remaining = min(remaining, float(data["timeout-minutes"]) * 60)
        return max(1.0, min(remaining, self.step_timeout))

    def _run_script(
        self,
        ctx: JobContext,
        data: dict[str, Any],
        env: dict[str, str],
        contexts: dict[str, Any],
        defaults: dict[str, Any],
        deadline: float,
        job_result: JobResult,
        action_path: Path | None,
    ) -> dict[str, str]:
        try:
            script = to_string(interpolate(data["run"], contexts))
            shell_name = interpolate(data.get("shell") or defaults.get("shell"), contexts)
            workdir = interpolate(
                data.get("working-directory") or defaults.get("working-directory"), contexts
            )
        except ExpressionError as exc:
            raise RunnerError(f"{ctx.job_id}: {exc}") from None
        if shell_name is None:
            argv_template = DEFAULT_SHELL
        elif shell_name in SHELLS:
            argv_template = SHELLS[shell_name]
        else:
            raise RunnerError(f"shell {shell_name!r} is not supported by this runner")
        n = len(job_result.steps)
        script_file = ctx.runner_temp / f"_step_{n}.{'py' if shell_name == 'python' else 'sh'}"
        script_file.write_text(script, encoding="utf-8")
        files = {
            name: ctx.runner_temp.parent / "files" / f"{name.lower()}_{n}"
            for name in (
                "GITHUB_OUTPUT",
                "GITHUB_STEP_SUMMARY",
                "GITHUB_ENV",
                "GITHUB_PATH",
                "GITHUB_STATE",
            )
        }
        for file in files.values():
            file.parent.mkdir(exist_ok=True)
            file.write_text("", encoding="utf-8")
        process_env = {**ctx.base_env, **env, **{k: str(v) for k, v in files.items()}}
        process_env["PATH"] = os.pathsep.join([*ctx.path_additions, ctx.base_env["PATH"]])
        process_env["GITHUB_ACTION"] = f"__run_{n}"
        if action_path is not None:
            process_env["GITHUB_ACTION_PATH"] = str(action_path)
        cwd = ctx.workspace / workdir if workdir else ctx.workspace
        argv = [str(script_file) if a == "{0}" else a for a in argv_template]
        try:
            proc = subprocess.run(
                argv,
                cwd=cwd,
                env=process_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=self._timeout(data, deadline),
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            ctx.log(str(exc.output or ""))
            raise StepFailed(f"timed out after {exc.timeout:.0f} s") from None
        ctx.log(proc.stdout)
        summary = files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8")
        if summary:
            job_result.summary += summary if summary.endswith("\n") else summary + "\n"
        for name in ("GITHUB_ENV", "GITHUB_PATH"):
            if files[name].read_text(encoding="utf-8"):
                raise StepFailed(f"the step wrote {name}; repowarden's jobs never do (no-caches)")
        outputs = _parse_kv_file(files["GITHUB_OUTPUT"])
        if proc.returncode != 0:
            raise StepFailed(f"Process completed with exit code {proc.returncode}.")
        return outputs

    def _run_uses(
        self,
        ctx: JobContext,
        data: dict[str, Any],
        env: dict[str, str],
        contexts: dict[str, Any],
        deadline: float,
        job_result: JobResult,
        result: StepResult,
    ) -> dict[str, str]:
        uses = str(data["uses"])
        try:
            given = _str_map(data.get("with"), contexts, f"{ctx.job_id} {uses} with")
        except RunnerError:
            raise
        result.inputs = given
        if uses.startswith(("./", "$/")):
            base = ctx.workspace if uses.startswith("./") else ctx.source
            folder = (base / uses[2:]).resolve()
            if not folder.is_relative_to(base.resolve()):
                raise RunnerError(f"{uses} leaves the repository")
            return self._run_composite(
                ctx, uses, folder, given, env, contexts, deadline, job_result
            )
        match = PIN_RE.match(uses)
        if match is None:
            raise RunnerError(f"`uses: {uses}` is neither local nor pinned to a sha")
        action = match.group("action")
        impl = standin(action)
        unknown = set(given) - impl.inputs
        if unknown:
            raise StepFailed(f"{action} has no input(s) {sorted(unknown)}")
        return impl.run(ctx, {**impl.defaults, **given})

    def _run_composite(
        self,
        ctx: JobContext,
        uses: str,
        folder: Path,
        given: dict[str, str],
        env: dict[str, str],
        contexts: dict[str, Any],
        deadline: float,
        job_result: JobResult,
    ) -> dict[str, str]:
        action = load_action(folder, uses)
        declared = action.inputs
        unknown = set(given) - set(declared)
        if unknown:
            raise StepFailed(f"{uses} has no input(s) {sorted(unknown)}")
        outer_github = contexts["github"]
        default_ctx = {
            "github": outer_github,
            "runner": contexts["runner"],
            "env": env,
            "job": contexts["job"],
            "steps": {},
            "inputs": {},
        }
        inputs: dict[str, str] = {}
        for name, spec in declared.items():
            spec = spec or {}
            if name in given:
                inputs[name] = given[name]
            elif "default" in spec:
                inputs[name] = to_string(interpolate(str(spec["default"]), default_ctx))
            elif spec.get("required"):
                raise StepFailed(f"{uses}: required input {name!r} not given")
            else:
                inputs[name] = ""
        # Composite steps see the caller's env, their own `inputs`, and their own `steps`.
        inner = {
            "github": {**outer_github, "action_path": str(folder)},
            "runner": contexts["runner"],
            "job": contexts["job"],
            "inputs": inputs,
        }
        inner_steps: dict[str, Any] = {}
        failed_before = ctx.failed
        ctx.failed = False
        outer_log = ctx.current_log
        try:
            for step in action.steps:
                step_result = self._run_step(
                    ctx, step, env, inner, inner_steps, {}, deadline, job_result, action_path=folder
                )
                step_result.label = f"{uses} / {step_result.label}"
                if step_result.id:
                    inner_steps[step_result.id] = {
                        "outputs": step_result.outputs,
                        "outcome": step_result.outcome,
                        "conclusion": step_result.conclusion,
                    }
            composite_failed = ctx.failed
        finally:
            ctx.failed = failed_before
            ctx.current_log = outer_log
        if composite_failed:
            raise StepFailed(f"{uses}: a step of the composite action failed")
        outputs_spec = action.data.get("outputs") or {}
        out_ctx = {**inner, "steps": inner_steps, "env": env}
        return {
            name: to_string(interpolate((spec or {}).get("value", ""), out_ctx))
            for name, spec in outputs_spec.items()
        }
