"""The runner on hand-written workflows pushed to the fake GitHub."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_github.server import FakeGitHub

from workflow_runner import Runner, RunnerError, WorkflowRun, events
from workflow_runner.workflow import Step

FIXTURE = Path(__file__).parent / "fixtures" / "repo"
REPO = "octo/demo"


def repo_files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def runner(github: FakeGitHub, tmp_path: Path) -> Runner:
    github.add_repo(REPO, files=repo_files(FIXTURE))
    return Runner(github, REPO, tmp_path / "runner")


def dispatch(runner: Runner, workflow: str, sender_id: int = 1) -> WorkflowRun:
    payload = {
        "inputs": {"id": "x1"},
        "ref": "refs/heads/main",
        "repository": {"full_name": REPO, "default_branch": "main"},
        "sender": {"login": "alice", "id": sender_id, "type": "User"},
    }
    runs = runner.trigger("workflow_dispatch", payload, only=workflow)
    assert len(runs) == 1
    return runs[0]


def test_env_layers_outputs_and_composite_actions(runner: Runner, github: FakeGitHub) -> None:
    run = dispatch(runner, "layers.yml")
    assert run.conclusion == "success", run.describe()
    first, second = run.job("first"), run.job("second")
    assert first.name == "first-x1"
    assert "layer=step from_workflow=w" in first.step("speak").log
    assert first.outputs == {"word": "bird"}
    assert first.step("speak").outputs["multi"] == "line one\nline two"
    assert first.summary == "## first\n"
    # The composite's output reached the job, through its `steps.run.outputs`.
    assert first.step("greet").outputs == {"greeting": "hello bird! (layer=job, token=)"}
    assert second.step("greet").outputs == {"greeting": "hello bird? (layer=workflow, token=set)"}
    # The checkout is of the default branch head, credentials not persisted.
    head = github.repo(REPO).git.resolve("main")
    assert first.uses("actions/checkout")[0].outputs == {"ref": "refs/heads/main", "commit": head}


def test_each_job_gets_a_token_with_exactly_its_permissions(
    runner: Runner, github: FakeGitHub
) -> None:
    run = dispatch(runner, "layers.yml")
    first, second = run.job("first"), run.job("second")
    assert first.permissions == {"contents": "read"}
    assert second.permissions == {"pull-requests": "write"}
    assert first.token != second.token
    for job in (first, second):
        token = github.state.tokens[job.token]  # type: ignore[index]
        assert token.permissions == job.permissions
        assert token.repos == frozenset({REPO})


def test_failures_propagate_through_needs_and_status_functions(runner: Runner) -> None:
    run = dispatch(runner, "statuses.yml")
    fails = run.job("fails")
    assert fails.result == "failure"
    assert [(s.id, s.outcome, s.conclusion) for s in fails.steps] == [
        ("tolerated", "failure", "success"),
        ("breaks", "failure", "failure"),
        ("skipped", "skipped", "skipped"),
        ("cleanup", "success", "success"),
    ]
    assert "before the failure" in fails.step("breaks").log
    assert "never printed" not in fails.step("breaks").log
    assert "exit code 1" in fails.step("breaks").log
    assert "cleanup saw failure/success" in fails.step("cleanup").log
    assert run.job("dependent").result == "skipped"
    assert run.job("grandchild").result == "skipped"
    # failure() sees a failed ancestor two levels up.
    assert run.job("reporter").result == "success", run.describe()
    assert run.job("always").result == "success"
    gated = run.job("gated")
    assert gated.result == "skipped"
    assert gated.token is None  # a skipped job never gets a token
    assert run.conclusion == "failure"


def test_a_trusted_sender_passes_the_gate(runner: Runner) -> None:
    run = dispatch(runner, "statuses.yml", sender_id=12345)
    assert run.job("gated").result == "success"


def test_artifacts_travel_between_jobs_and_publish_is_recorded(runner: Runner) -> None:
    run = dispatch(runner, "artifacts.yml")
    assert run.conclusion == "success", run.describe()
    # Hidden files stay behind, as with upload-artifact v4.4+.
    assert sorted(run.artifacts["x1"].files) == ["dist/demo-1.0-py3-none-any.whl", "manifest.json"]
    [published] = run.published
    assert published.files == {"demo-1.0-py3-none-any.whl": b"wheel\n"}
    assert published.environment == "pypi"
    assert published.permissions == {"id-token": "write"}
    assert run.job("consume").id_token


def test_a_step_hook_replaces_a_step(runner: Runner, tmp_path: Path) -> None:
    def poison(job: str, step: Step) -> dict[str, object] | None:
        if job == "produce" and step.index == 0:
            return {
                "shell": "bash",
                "run": 'mkdir -p "$RUNNER_TEMP/out"; echo evil > "$RUNNER_TEMP/out/x"',
            }
        return None

    runner.step_hook = poison
    run = dispatch(runner, "artifacts.yml")
    assert run.artifacts["x1"].files == {"x": b"evil\n"}
    assert run.job("consume").result == "failure"
    assert run.published == []


def test_unsupported_things_raise_instead_of_being_guessed(
    github: FakeGitHub, tmp_path: Path
) -> None:
    workflow = """\
on: workflow_dispatch
permissions: {}
jobs:
  a:
    runs-on: x
    timeout-minutes: 1
    permissions: {}
    steps:
      - run: echo "${{ hashFiles('x') }}"
"""
    github.add_repo("octo/odd", files={".github/workflows/odd.yml": workflow})
    runner = Runner(github, "octo/odd", tmp_path / "r")
    with pytest.raises(RunnerError, match="unknown function hashFiles"):
        runner.trigger("workflow_dispatch", {"repository": {"default_branch": "main"}})


def test_checkout_must_not_persist_credentials(github: FakeGitHub, tmp_path: Path) -> None:
    workflow = """\
on: workflow_dispatch
permissions: {}
jobs:
  a:
    runs-on: x
    timeout-minutes: 1
    permissions: {contents: read}
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
"""
    github.add_repo("octo/creds", files={".github/workflows/c.yml": workflow})
    [run] = Runner(github, "octo/creds", tmp_path / "r").trigger(
        "workflow_dispatch", {"repository": {"default_branch": "main"}}
    )
    assert run.job("a").result == "failure"
    assert "persist-credentials: false" in run.job("a").log


HELLO = """\
name: hello
description: A local action checked out into the workspace.
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "hello from $GITHUB_ACTION_PATH"
"""


def fork_pull(github: FakeGitHub) -> int:
    github.add_repo("octo/tools", files={".github/actions/hello/action.yml": HELLO})
    return github.add_pull(
        REPO, author="mallory", head_repo="mallory/demo", files={"README.md": "pwned\n"}
    )


def test_pull_request_target_checks_out_the_base_never_the_pull_request(
    runner: Runner, github: FakeGitHub
) -> None:
    number = fork_pull(github)
    payload = events.pull_request(github, REPO, number, "opened")
    [run] = runner.trigger("pull_request_target", payload, only="pr.yml")
    base = run.job("base")
    assert base.result == "success", run.describe()
    main = github.repo(REPO).git.resolve("main")
    checkout, tools = base.uses("actions/checkout")
    assert checkout.outputs["commit"] == main
    assert tools.inputs["repository"] == "octo/tools"
    assert "hello from " in base.log
    assert base.log.count("/tools/.github/actions/hello") >= 1
    # pull_request_target tokens keep their write permissions: the workflow is the base's.
    assert github.state.tokens[base.token].permissions == base.permissions  # type: ignore[index]
    unsafe = run.job("unsafe")
    assert unsafe.result == "failure"
    assert "refusing to check out pull request code" in unsafe.log
    writer = run.job("env-writer")
    assert writer.result == "failure"
    assert "wrote GITHUB_ENV" in writer.log


def test_review_events_from_forks_get_a_read_only_token(runner: Runner, github: FakeGitHub) -> None:
    number = fork_pull(github)
    review = github.add_review(REPO, number, user="octo", state="APPROVED")
    payload = events.pull_request_review(github, REPO, number, review)
    assert payload["review"]["state"] == "approved"
    head = github.pull(REPO, number).head_sha
    [run] = runner.trigger(
        "pull_request_review", payload, sha=head, ref=f"refs/pull/{number}/merge", only="pr.yml"
    )
    base = run.job("base")
    assert base.permissions == {"contents": "read", "statuses": "write"}
    assert base.granted == {"contents": "read", "statuses": "read"}
    assert github.state.tokens[base.token].permissions == base.granted  # type: ignore[index]


def test_review_events_need_the_merge_commit(runner: Runner, github: FakeGitHub) -> None:
    number = fork_pull(github)
    review = github.add_review(REPO, number, user="octo", state="APPROVED")
    payload = events.pull_request_review(github, REPO, number, review)
    with pytest.raises(RunnerError, match=f"refs/pull/{number}/merge"):
        runner.trigger("pull_request_review", payload, only="pr.yml")


@pytest.mark.parametrize(
    ("job", "message"),
    [
        ("twice", "an artifact named 'same' already exists in this run"),
        ("unknown-input", "actions/checkout has no input(s) ['presist-credentials']"),
        ("missing-download", "no artifact named 'never-uploaded'"),
        ("python-cache", "`cache:` is forbidden"),
        ("publish-without-oidc", "needs `id-token: write`"),
    ],
)
def test_stand_ins_refuse_what_the_real_actions_or_the_invariants_refuse(
    runner: Runner, job: str, message: str
) -> None:
    run = dispatch(runner, "misuse.yml")
    assert run.job(job).result == "failure"
    assert message in run.job(job).log


def test_rerunning_one_job(runner: Runner) -> None:
    payload = {"inputs": {"id": "x1"}, "repository": {"default_branch": "main"}}
    [run] = runner.trigger(
        "workflow_dispatch", payload, only="layers.yml", run_attempt=2, jobs={"first"}
    )
    assert set(run.jobs) == {"first"}
    assert run.run_attempt == 2
    assert "attempt=2" in run.job("first").step("speak").log
    with pytest.raises(RunnerError, match="re-running second alone"):
        runner.trigger("workflow_dispatch", payload, only="layers.yml", jobs={"second"})


def test_environment_policies_allow_only_matching_branch_refs() -> None:
    from workflow_runner.runner import Environment

    policy = Environment({"KEY": "k"}, ("main", "release/*"))
    assert policy.allows("refs/heads/main")
    assert policy.allows("refs/heads/release/v1")
    assert not policy.allows("refs/heads/release/v1/x")  # `*` stops at `/`
    assert not policy.allows("refs/pull/3/merge")  # pull_request runs: never a branch
    assert not policy.allows("refs/tags/main")
    assert Environment().allows("refs/pull/3/merge")  # no policy: every ref
