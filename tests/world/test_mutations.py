"""Each world rule, switched off, changes some scenario's outcome (the mutation check).

These scenarios use small hand-written workflows (no runtime install), so they are fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_github.client import call as api_call
from fake_github.clock import SimulatedClock
from fake_github.server import FakeGitHub

from world import PUNCTUAL, Protection, RequiredCheck, World, rules

REPO = "octo/app"


def workflow(on: str, permissions: str = "{}", script: str = "true", env: str = "{}") -> str:
    steps = f"      - shell: bash\n        env: {env}\n        run: |\n"
    steps += "".join(f"          {line}\n" for line in script.splitlines())
    return (
        f"name: w\non: {on}\npermissions: {{}}\njobs:\n  j:\n    runs-on: ubuntu-24.04\n"
        f"    timeout-minutes: 5\n    permissions: {permissions}\n    steps:\n{steps}"
    )


# The worlds a test made, closed when it ends (a pending run's thread must not outlive it).
_OPEN: list[World] = []


@pytest.fixture
def gh(tmp_path: Path) -> Iterator[FakeGitHub]:
    fake = FakeGitHub(tmp_path / "fake", clock=SimulatedClock()).start()
    yield fake
    while _OPEN:
        _OPEN.pop().close()
    fake.stop()
    assert not fake.errors


def make(gh: FakeGitHub, tmp_path: Path, files: dict[str, str], **kw: object) -> World:
    gh.add_repo(REPO, files={"README.md": "hi\n", **files})
    clock = gh.state.clock
    assert isinstance(clock, SimulatedClock)
    world = World(gh, REPO, tmp_path / "world", clock=clock, **kw)  # type: ignore[arg-type]
    _OPEN.append(world)
    world.person("alice", "write")
    world.person("bob", "write")
    world.person("rita", "read")
    return world


def test_required_approvals_count_only_writers(gh: FakeGitHub, tmp_path: Path) -> None:
    world = make(gh, tmp_path, {})
    world.protect("main", Protection(approvals=1))
    number = world.open_pr("alice", {"a.txt": "a\n"})
    world.approve(number, "rita")
    assert not world.merge_box(number)
    with gh.rules.without(rules.REQUIRED_APPROVALS):
        assert world.merge_box(number)


def test_code_owners_from_the_base_branch_last_match_wins(gh: FakeGitHub, tmp_path: Path) -> None:
    owners = "* @alice\n/.github/ @carol\n"
    world = make(gh, tmp_path, {".github/CODEOWNERS": owners})
    world.person("carol", "admin")
    world.protect("main", Protection(approvals=1, code_owners=True))
    # The PR makes bob the owner of .github/; the base branch's file decides.
    number = world.open_pr(
        "alice", {".github/CODEOWNERS": "* @bob\n", ".github/x.yml": "x\n"}, fork=False
    )
    world.approve(number, "bob")
    verdict = world.merge_box(number)
    assert not verdict
    assert any("Code owner review required" in r and "carol" in r for r in verdict.reasons)
    with gh.rules.without(rules.CODE_OWNERS):
        assert world.merge_box(number)
    world.approve(number, "carol")
    assert world.merge_box(number)


def test_required_check_source_refuses_a_personal_token_status(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    world = make(gh, tmp_path, {})
    world.protect("main", Protection(checks=(RequiredCheck("ci", "github-actions"),)))
    number = world.open_pr("alice", {"a.txt": "a\n"})
    sha = gh.pull(REPO, number).head_sha
    answer = world.api(
        "bob", "POST", f"/repos/{REPO}/statuses/{sha}", {"state": "success", "context": "ci"}
    )
    assert answer.status == 201
    assert not world.merge_box(number)
    with gh.rules.without(rules.REQUIRED_CHECK_SOURCE):
        assert world.merge_box(number)


def test_a_push_dismisses_stale_approvals(gh: FakeGitHub, tmp_path: Path) -> None:
    world = make(gh, tmp_path, {})
    world.protect("main", Protection(approvals=1, dismiss_stale=True))
    first = world.open_pr("alice", {"a.txt": "a\n"})
    world.approve(first, "bob")
    world.push(first, "alice", {"a.txt": "b\n"})
    assert not world.merge_box(first)
    with gh.rules.without(rules.DISMISS_STALE):
        second = world.open_pr("alice", {"b.txt": "a\n"}, branch="patch-2")
        world.approve(second, "bob")
        world.push(second, "alice", {"b.txt": "b\n"})
        assert world.merge_box(second)


def _schedule_runs(world: World, days: int) -> int:
    before = len([e for e in world.log.events if e.name == "schedule"])
    world.advance(days * 86400)
    return len([e for e in world.log.events if e.name == "schedule"]) - before


def test_public_schedules_stop_after_60_days_without_activity(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    files = {".github/workflows/cron.yml": workflow("{schedule: [{cron: '7 3 * * *'}]}")}
    world = make(gh, tmp_path, files, schedules=PUNCTUAL)
    assert _schedule_runs(world, 70) == 60
    with gh.rules.without(rules.SCHEDULE_INACTIVE):
        assert _schedule_runs(world, 10) == 10


def test_schedules_are_late_and_dropped_worst_at_the_half_hour(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    files = {".github/workflows/cron.yml": workflow("{schedule: [{cron: '0,30 * * * *'}]}")}
    world = make(gh, tmp_path, files)
    start = world.now()
    world.advance(2 * 86400)
    fired = [e.at for e in world.log.events if e.name == "schedule"]
    assert len(fired) < 96
    assert all(at % 1800 != 0 for at in fired)
    with gh.rules.without(rules.SCHEDULE_DELAYS):
        world.advance(86400)
    later = [e.at for e in world.log.events if e.name == "schedule" and e.at > start + 2 * 86400]
    assert len([at for at in later if at % 1800 == 0]) == 48


def test_github_token_events_start_no_runs(gh: FakeGitHub, tmp_path: Path) -> None:
    on_push = workflow("{push: {branches: [main]}}")
    writer = workflow(
        "workflow_dispatch",
        "{contents: write}",
        "git_ref=refs/heads/main\n" + PUSH_SCRIPT,
        "{TOKEN: '${{ github.token }}'}",
    )
    files = {".github/workflows/on-push.yml": on_push, ".github/workflows/writer.yml": writer}
    world = make(gh, tmp_path, files)

    def pushes_started() -> list[int]:
        return [rid for e in world.log.events if e.name == "push" for rid in e.started]

    world.api(
        "alice", "POST", f"/repos/{REPO}/actions/workflows/writer.yml/dispatches", {"ref": "main"}
    )
    world.settle()
    run = world.runner.runs[-1]
    assert run.conclusion == "success", run.describe() + world.log.describe()
    assert [e.why_nothing for e in world.log.events if e.name == "push"] == [
        "caused by GITHUB_TOKEN"
    ], world.log.describe()
    assert pushes_started() == []
    with gh.rules.without(rules.TOKEN_EVENTS_START_NOTHING):
        world.api(
            "alice",
            "POST",
            f"/repos/{REPO}/actions/workflows/writer.yml/dispatches",
            {"ref": "main"},
        )
        world.settle()
    assert len(pushes_started()) == 1, world.log.describe()


PUSH_SCRIPT = """\
python3 - <<'PY'
import json, os, urllib.request
api = f"{os.environ['GITHUB_API_URL']}/repos/{os.environ['GITHUB_REPOSITORY']}"
headers = {"Authorization": f"token {os.environ['TOKEN']}"}
def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(api + path, data, headers, method=method)
    return json.load(urllib.request.urlopen(request))
head = os.environ["GITHUB_SHA"]
base = call("GET", f"/git/commits/{head}")["tree"]["sha"]
entry = {"path": "x.txt", "mode": "100644", "type": "blob", "content": "x"}
tree = call("POST", "/git/trees", {"tree": [entry], "base_tree": base})
commit = call("POST", "/git/commits", {"message": "bot", "tree": tree["sha"], "parents": [head]})
call("PATCH", "/git/refs/heads/main", {"sha": commit["sha"]})
PY
"""


def test_pull_request_target_runs_the_default_branch(gh: FakeGitHub, tmp_path: Path) -> None:
    prt = workflow("{pull_request_target: {branches: ['**']}}")
    world = make(gh, tmp_path, {".github/workflows/prt.yml": prt})
    world.commit("alice", {"old.txt": "x\n"}, branch="release")
    world.commit("alice", {"new.txt": "y\n"})
    number = world.open_pr("alice", {"a.txt": "a\n"}, base="release")
    world.settle()
    [run] = world.log.runs_of("prt.yml")
    assert (run.sha, run.ref) == (world.tip("main"), "refs/heads/main")
    with gh.rules.without(rules.PRT_DEFAULT_BRANCH):
        world.push(number, "alice", {"a.txt": "b\n"})
        world.settle()
    later = world.log.runs_of("prt.yml")[-1]
    assert (later.sha, later.ref) == (world.tip("release"), "refs/heads/release")


def test_pull_request_runs_the_merge_ref_and_not_on_conflicts(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    pr = workflow("{pull_request: {}}")
    world = make(gh, tmp_path, {".github/workflows/pr.yml": pr, "a.txt": "base\n"})
    number = world.open_pr("alice", {"b.txt": "b\n"})
    world.settle()
    [run] = world.log.runs_of("pr.yml")
    assert run.ref == f"refs/pull/{number}/merge"
    assert run.source_is_pr
    conflicting = world.open_pr("bob", {"a.txt": "bob\n"}, branch="bob")
    world.commit("alice", {"a.txt": "alice\n"})
    world.push(conflicting, "bob", {"a.txt": "bob 2\n"})
    world.settle()
    assert len([r for r in world.log.runs_of("pr.yml") if r.event.number == conflicting]) == 1
    with gh.rules.without(rules.CONFLICT_NO_RUN):
        world.push(conflicting, "bob", {"a.txt": "bob 3\n"})
        world.settle()
    assert len([r for r in world.log.runs_of("pr.yml") if r.event.number == conflicting]) == 2
    with gh.rules.without(rules.PR_MERGE_REF):
        world.push(number, "alice", {"b.txt": "c\n"})
        world.settle()
    assert world.log.runs_of("pr.yml")[-1].ref == "refs/heads/main"


POST_STATUS = """\
python3 - <<'PY'
import json, os, sys, urllib.error, urllib.request
api = f"{os.environ['GITHUB_API_URL']}/repos/{os.environ['GITHUB_REPOSITORY']}"
sha = os.environ.get("SHA") or os.environ["GITHUB_SHA"]
body = json.dumps({"state": "success", "context": os.environ.get("CONTEXT", "ci")}).encode()
headers = {"Authorization": f"token {os.environ['TOKEN']}"}
try:
    urllib.request.urlopen(urllib.request.Request(f"{api}/statuses/{sha}", body, headers))
except urllib.error.HTTPError as exc:
    sys.exit(f"status refused: {exc.code}")
PY
"""
TOKEN_ENV = "{TOKEN: '${{ github.token }}', SHA: '${{ github.event.pull_request.head.sha }}'}"


def test_fork_pull_request_tokens_are_read_only(gh: FakeGitHub, tmp_path: Path) -> None:
    ci = workflow("{pull_request: {}}", "{statuses: write}", POST_STATUS, TOKEN_ENV)
    world = make(gh, tmp_path, {".github/workflows/ci.yml": ci})
    world.person("mallory")
    world.protect("main", Protection(checks=(RequiredCheck("ci"),)))
    number = world.open_pr("mallory", {"a.txt": "a\n"})
    world.settle()
    assert world.log.runs_of("ci.yml")[-1].conclusion == "failure"
    assert not world.merge_box(number)
    with gh.rules.without(rules.FORK_READ_ONLY):
        world.push(number, "mallory", {"a.txt": "b\n"})
        world.settle()
    assert world.merge_box(number), world.log.describe()


APP_PIN = "actions/create-github-app-token@1b10c78c7865c340bc4f6099eb2f838309f1e8c3 # v3.1.1"
CHECK_RUN = """\
python3 - <<'PY'
import json, os, urllib.request
api = f"{os.environ['GITHUB_API_URL']}/repos/{os.environ['GITHUB_REPOSITORY']}"
body = {"name": "gate", "head_sha": os.environ["SHA"]}
body |= {"status": "completed", "conclusion": "success"}
headers = {"Authorization": f"token {os.environ['TOKEN']}"}
request = urllib.request.Request(f"{api}/check-runs", json.dumps(body).encode(), headers)
urllib.request.urlopen(request)
PY
"""


def app_gate_workflow(client_id: str) -> str:
    """workflow_dispatch(sha) -> an App check run `gate` on that sha, key from an environment."""
    return (
        "name: gate\non: {workflow_dispatch: {inputs: {sha: {required: true}}}}\n"
        "permissions: {}\njobs:\n  j:\n    runs-on: ubuntu-24.04\n    timeout-minutes: 5\n"
        "    permissions: {}\n    environment: app-key\n    steps:\n"
        "      - id: app\n"
        f"        uses: {APP_PIN}\n"
        f"        with:\n          client-id: {client_id}\n"
        "          private-key: ${{ secrets.APP_KEY }}\n          permission-checks: write\n"
        "      - shell: bash\n        env: {TOKEN: '${{ steps.app.outputs.token }}', "
        "SHA: '${{ inputs.sha }}'}\n        run: |\n"
        + "".join(f"          {line}\n" for line in CHECK_RUN.splitlines())
    )


def test_environment_secrets_reach_only_allowed_refs(gh: FakeGitHub, tmp_path: Path) -> None:
    world = make(gh, tmp_path, {})
    app = world.app("gatekeeper", {"checks": "write", "contents": "read"})
    world.commit("alice", {".github/workflows/gate.yml": app_gate_workflow(app.client_id)})
    world.commit("alice", {"f.txt": "f\n"}, branch="feature")
    world.environment("app-key", branches=("main",), secrets={"APP_KEY": app.private_key})
    world.protect("main", Protection(checks=(RequiredCheck("gate", app.id),)))
    number = world.open_pr("alice", {"a.txt": "a\n"})
    head = gh.pull(REPO, number).head_sha
    dispatch = f"/repos/{REPO}/actions/workflows/gate.yml/dispatches"
    # A writer dispatches the gate workflow from their branch: no key, no check run.
    world.api("bob", "POST", dispatch, {"ref": "feature", "inputs": {"sha": head}})
    world.settle()
    assert world.log.runs_of("gate.yml")[-1].conclusion == "failure"
    assert not world.merge_box(number)
    with gh.rules.without(rules.ENVIRONMENT_POLICY):
        world.api("bob", "POST", dispatch, {"ref": "feature", "inputs": {"sha": head}})
        world.settle()
    assert world.merge_box(number), world.runner.runs[-1].describe()


def named(
    name: str, on: str, permissions: str = "{}", script: str = "true", env: str = "{}"
) -> str:
    return workflow(on, permissions, script, env).replace("name: w\n", f"name: {name}\n", 1)


def test_workflow_run_chains_at_most_three_levels(gh: FakeGitHub, tmp_path: Path) -> None:
    files = {".github/workflows/a.yml": named("A", "workflow_dispatch")}
    for parent, child in zip("ABCDE", "BCDEF", strict=True):
        on = f"{{workflow_run: {{workflows: [{parent}], types: [completed]}}}}"
        files[f".github/workflows/{child.lower()}.yml"] = named(child, on)
    world = make(gh, tmp_path, files)
    dispatch = f"/repos/{REPO}/actions/workflows/a.yml/dispatches"
    world.api("alice", "POST", dispatch, {"ref": "main"})
    world.settle()
    assert sorted(r.name for r in world.log.runs.values()) == ["A", "B", "C", "D"]
    # workflow_run runs the default branch's workflow.
    assert {r.ref for r in world.log.runs.values()} == {"refs/heads/main"}
    with gh.rules.without(rules.WORKFLOW_RUN_DEPTH):
        world.api("alice", "POST", dispatch, {"ref": "main"})
        world.settle()
    assert sorted(r.name for r in world.log.runs.values())[-5:] == ["C", "D", "D", "E", "F"]


def concurrent(cancel: bool) -> str:
    text = named("slow", "workflow_dispatch")
    return text.replace(
        "    timeout-minutes: 5\n",
        "    timeout-minutes: 5\n    concurrency: {group: one, cancel-in-progress: "
        f"{str(cancel).lower()}}}\n",
    )


@pytest.mark.parametrize("cancel", [False, True])
def test_concurrency_groups_queue_or_cancel(gh: FakeGitHub, tmp_path: Path, cancel: bool) -> None:
    world = make(gh, tmp_path, {".github/workflows/slow.yml": concurrent(cancel)})
    world.durations["slow.yml"] = 600
    dispatch = f"/repos/{REPO}/actions/workflows/slow.yml/dispatches"

    def two_runs() -> list[tuple[str, float]]:
        start = world.now()
        world.api("alice", "POST", dispatch, {"ref": "main"})
        world.api("bob", "POST", dispatch, {"ref": "main"})
        world.settle()
        runs = list(world.log.runs.values())[-2:]
        return [(str(r.conclusion), (r.finished or 0) - start) for r in runs]

    if cancel:
        assert sorted(two_runs()) == [("cancelled", 0.0), ("success", 600.0)]
    else:
        assert sorted(two_runs()) == [("success", 600.0), ("success", 1200.0)]
    with gh.rules.without(rules.CONCURRENCY):
        assert two_runs() == [("success", 600.0), ("success", 600.0)]


def test_a_jobs_token_stops_working_when_the_job_ends(gh: FakeGitHub, tmp_path: Path) -> None:
    world = make(gh, tmp_path, {".github/workflows/a.yml": named("A", "workflow_dispatch")})
    dispatch = f"/repos/{REPO}/actions/workflows/a.yml/dispatches"

    def token_after_the_job() -> int:
        world.api("alice", "POST", dispatch, {"ref": "main"})
        world.settle()
        [token] = world.log.jobs()[-1].tokens
        return api_call(gh, "GET", f"/repos/{REPO}", token=token).status

    assert token_after_the_job() == 401
    with gh.rules.without(rules.TOKEN_EXPIRES):
        assert token_after_the_job() == 200


def test_merge_group_runs_at_the_group_head(gh: FakeGitHub, tmp_path: Path) -> None:
    # Required checks must pass on the pull request before it is queued, and on the
    # group's head before it lands: the workflow runs on both.
    on = "{pull_request: {}, merge_group: {types: [checks_requested]}}"
    ci = workflow(on, "{statuses: write}", POST_STATUS, TOKEN_ENV)
    world = make(gh, tmp_path, {".github/workflows/ci.yml": ci})
    world.protect("main", Protection(checks=(RequiredCheck("ci"),), approvals=1, merge_queue=True))

    def queue_one(branch: str) -> tuple[bool, str]:
        number = world.open_pr("alice", {f"{branch}.txt": "x\n"}, branch=branch)
        world.approve(number, "bob")
        world.settle()
        assert world.merge_box(number).reasons == ["via the merge queue"]
        group = world.enqueue(number, "alice")
        world.settle()
        [run] = [r for r in world.log.runs_of("ci.yml", "merge_group") if r.event.number == number]
        landed = world.gh.pull(REPO, number).merged and world.tip() == group
        return landed, run.ref

    landed, ref = queue_one("one")
    assert landed
    assert ref.startswith("refs/heads/gh-readonly-queue/main/pr-1-")
    with gh.rules.without(rules.MERGE_QUEUE_REF):
        assert queue_one("two") == (False, "refs/heads/main")
