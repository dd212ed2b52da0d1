"""Scenarios as people's and Apps' actions; the merge box and the world's log assert.

Each renders an example config with the real generator, lets people act, moves the
simulated clock, and asks the merge box. Where today's product fails a scenario it
is marked xfail(strict=True) with the issue that fixes it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fake_github.client import burst
from fake_github.server import Call
from support.merge_queue import merge_queue_ruleset
from workflow_runner import JobResult

from world import PUNCTUAL, App, Protection, RequiredCheck, World
from world.log import RunRecord

pytestmark = pytest.mark.slow

GATE = "repowarden/review"
STAR = ["r0mant", "zmb3", "rosstimothy", "codingllama"]
MINUTE = 60.0


def teleport(make_world: Callable[..., World], **kw: object) -> World:
    world = make_world("teleport", **kw)
    for login in STAR:
        world.person(login, "write", org="gravitational")
    world.person("klizhentas", "admin", org="gravitational")
    world.person("mallory")  # no role: an external contributor, from a fork
    world.protect(
        "master",
        Protection(checks=(RequiredCheck(GATE, "github-actions"),), approvals=1),
    )
    return world


def test_external_pr_is_blocked_by_a_failing_gate_and_reviewers_are_requested(
    make_world: Callable[..., World],
) -> None:
    world = teleport(make_world)
    number = world.open_pr("mallory", {"lib/feature.go": "package lib\n"})
    world.settle()

    verdict = world.merge_box(number)
    assert not verdict
    assert f"required check {GATE!r} is failing" in verdict.reasons, world.log.describe()
    requested = world.gh.pull(world.repo, number).requested_reviewers
    assert sorted(r.lower() for r in requested) == sorted(r.lower() for r in STAR)
    runs = {(r.file, r.trigger) for r in world.log.runs.values()}
    assert runs == {
        ("repowarden-assign.yml", "pull_request_target"),
        ("repowarden-check.yml", "pull_request_target"),
        ("repowarden-lint.yml", "pull_request"),
    }
    # pull_request_target ran the default branch's workflow; the lint job ran the PR's
    # merge commit, read-only: nothing ran PR code with a token that can write.
    for run in world.log.runs.values():
        assert run.source_is_pr == (run.trigger == "pull_request")
        assert run.conclusion in ("success", "failure"), world.log.describe()
    assert world.log.pr_code_with_write_tokens() == []


def test_external_pr_approved_by_star_reviewers_is_mergeable_within_5_minutes(
    make_world: Callable[..., World],
) -> None:
    world = teleport(make_world)
    number = world.open_pr("mallory", {"lib/feature.go": "package lib\n"})
    world.settle()
    world.approve(number, "r0mant")
    world.settle()
    deciding = world.now()
    world.approve(number, "zmb3")
    world.advance(5 * MINUTE)
    assert world.merge_box(number), world.log.describe()
    waited = world.mergeable_after(number, deciding)
    assert waited is not None
    assert waited <= 5 * MINUTE


def internal_pr(world: World, files: dict[str, str | bytes | None] | None = None) -> int:
    """r0mant (write access) opens a same-repository PR; his reviewers are zmb3 and
    rosstimothy, both needed."""
    number = world.open_pr("r0mant", files or {"lib/auth/x.go": "package auth\n"})
    world.settle()
    return number


def test_no_run_executing_pr_code_holds_a_token_that_can_write(
    make_world: Callable[..., World],
) -> None:
    world = teleport(make_world)
    number = internal_pr(world)
    world.approve(number, "zmb3")
    world.approve(number, "rosstimothy")
    world.settle()
    assert world.merge_box(number), world.log.describe()
    assert world.log.pr_code_with_write_tokens() == []


FORGE = """\
# An internal author's own workflow: on any review it marks the gate green.
name: forge
on: {pull_request_review: {types: [submitted]}}
permissions: {}
jobs:
  forge:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    permissions: {statuses: write}
    steps:
      - shell: bash
        env: {TOKEN: "${{ github.token }}", SHA: "${{ github.event.pull_request.head.sha }}"}
        run: |
          python3 - <<'PY'
          import json, os, urllib.request
          api = os.environ["GITHUB_API_URL"] + "/repos/" + os.environ["GITHUB_REPOSITORY"]
          body = {"state": "success", "context": "repowarden/review"}
          headers = {"Authorization": "token " + os.environ["TOKEN"]}
          url = api + "/statuses/" + os.environ["SHA"]
          urllib.request.urlopen(urllib.request.Request(url, json.dumps(body).encode(), headers))
          PY
"""


def test_a_do_not_merge_label_added_while_a_slow_run_is_in_flight_wins(
    make_world: Callable[..., World],
) -> None:
    # The review's run is slow (a busy queue); the label's run is quick.
    durations = {"repowarden-check.yml@pull_request_review": 900.0}
    world = teleport(make_world, durations=durations, default_duration=60.0)
    number = internal_pr(world)
    world.approve(number, "zmb3")
    world.settle()
    world.approve(number, "rosstimothy")  # the deciding review: a slow run starts
    world.advance(MINUTE)
    world.label(number, "klizhentas", "do-not-merge")
    world.settle()
    assert not world.merge_box(number), world.log.describe()


def test_merging_an_approved_internal_pr_with_a_green_gate(
    make_world: Callable[..., World],
) -> None:
    world = teleport(make_world)
    number = internal_pr(world)
    assert f"required check {GATE!r} is failing" in world.merge_box(number).reasons
    world.approve(number, "zmb3")
    world.approve(number, "rosstimothy")
    world.settle()
    assert world.merge_box(number), world.log.describe()
    merged = world.merge(number, "r0mant")
    assert world.tip() == merged
    assert world.gh.pull(world.repo, number).merged


HEAD_GREEN_TITLE = (
    "merge queue is HEADGREEN: this group's check would vouch for the PRs ahead of it; set ALLGREEN"
)


@pytest.mark.parametrize("grouping", ["ALLGREEN", "HEADGREEN"])
def test_a_merge_group_lands_only_when_each_pull_request_s_own_group_must_pass(
    make_world: Callable[..., World], grouping: str
) -> None:
    # The queue as `repowarden protect --merge-queue` sets it (ALLGREEN: every queued
    # PR's own group commit must pass), and as a maintainer might set it by hand
    # (HEADGREEN: the last group's commit passes for all PRs in it). The gate on a group
    # commit re-reads only the PR the branch names, so under HEADGREEN it refuses.
    world = teleport(make_world)
    world.protect(
        "master",
        Protection(checks=(RequiredCheck(GATE, "github-actions"),), approvals=1, merge_queue=True),
    )
    merge_queue_ruleset(world.gh, world.repo, grouping)
    number = internal_pr(world)
    world.approve(number, "zmb3")
    world.approve(number, "rosstimothy")
    world.settle()
    assert world.merge_box(number).reasons == ["via the merge queue"], world.log.describe()
    group = world.enqueue(number, "r0mant")
    world.settle()
    status = world.gh.state.latest_statuses(world.repo, group)[GATE]
    if grouping == "ALLGREEN":
        assert status.state == "success", world.log.describe()
        assert world.gh.pull(world.repo, number).merged
        assert world.tip() == group
    else:
        assert (status.state, status.description) == ("failure", HEAD_GREEN_TITLE)
        assert not world.gh.pull(world.repo, number).merged, world.log.describe()
    assert world.log.pr_code_with_write_tokens() == []


# ---------------------------------------------------------------- the gate from an App

APP_SLUG = "repowarden-gate"
APP_ID = 2_345_678
APP_CLIENT_ID = "Iv23liTeleportGate01"


def teleport_with_app(make_world: Callable[..., World]) -> tuple[World, App]:
    block = f"\napp:\n  id: {APP_ID}\n  client_id: {APP_CLIENT_ID}\n  slug: {APP_SLUG}\n"
    world = teleport(make_world, edit=lambda text: text + block)
    # The App the config names: create-github-app-token finds it by the config's client id.
    app = world.app(
        APP_SLUG,
        {"checks": "write", "members": "read", "pull-requests": "read", "contents": "read"},
        id=APP_ID,
        client_id=APP_CLIENT_ID,
    )
    world.environment(
        "repowarden-app",
        branches=("master",),
        secrets={"REPOWARDEN_APP_PRIVATE_KEY": app.private_key},
    )
    world.protect("master", Protection(checks=(RequiredCheck(GATE, app.id),), approvals=1))
    return world, app


BRANCH_FORGE = FORGE.replace(
    "on: {pull_request_review: {types: [submitted]}}", "on: {push: {branches: [forge]}}"
).replace('"${{ github.event.pull_request.head.sha }}"', '"${{ github.event.head_commit.id }}"')


def test_with_the_app_a_writers_forgeries_leave_the_pr_unmergeable(
    make_world: Callable[..., World],
) -> None:
    world, _ = teleport_with_app(make_world)
    number = internal_pr(world)
    world.approve(number, "zmb3")
    head = world.gh.pull(world.repo, number).head_sha
    forged = {"state": "success", "context": GATE, "description": "approved"}
    # 1. the writer's own token
    answer = world.api("codingllama", "POST", f"/repos/{world.repo}/statuses/{head}", forged)
    assert answer.status == 201
    # 2. a check run of that name from GitHub Actions (a branch workflow's GITHUB_TOKEN)
    world.gh.add_check_run(world.repo, head, name=GATE, app="github-actions")
    # 3. a workflow on a branch, pushed by the writer, posting the status with its token
    world.commit("codingllama", {".github/workflows/forge.yml": BRANCH_FORGE}, branch="forge")
    world.settle()
    verdict = world.merge_box(number)
    # The App wrote the gate when the PR opened: failing (one of two reviewers); none of
    # the forgeries counts as the App's check run.
    assert not verdict
    assert verdict.reasons == [f"required check {GATE!r} is failing"], world.log.describe()


def test_with_the_app_an_internal_pr_that_rewrites_a_workflow_never_makes_its_own_gate_green(
    make_world: Callable[..., World],
) -> None:
    # Without an App, a same-repo PR's own workflow can post the status gate: commit
    # statuses take any `statuses: write` token (documented in README, "Two strengths";
    # GitHub's rule, not a product bug). With the App, protection expects its check run.
    world, _ = teleport_with_app(make_world)
    number = internal_pr(world, {".github/workflows/forge.yml": FORGE})
    world.approve(number, "zmb3")  # one of the two reviewers needed; the review starts forge
    world.settle()
    head = world.gh.pull(world.repo, number).head_sha
    gate = [s for s in world.gh.state.statuses_for(world.repo, head) if s.context == GATE]
    assert [s.state for s in gate] == ["success"], world.log.describe()  # forge did post it
    verdict = world.merge_box(number)
    assert not verdict
    assert verdict.reasons == [f"required check {GATE!r} is failing"], world.log.describe()


def test_with_the_app_an_approved_pr_is_mergeable_within_5_minutes(
    make_world: Callable[..., World],
) -> None:
    world, _ = teleport_with_app(make_world)
    number = internal_pr(world)
    world.approve(number, "zmb3")
    world.settle()
    deciding = world.now()
    world.approve(number, "rosstimothy")
    world.advance(5 * MINUTE)
    waited = world.mergeable_after(number, deciding)
    assert waited is not None, world.log.describe()
    assert waited <= 5 * MINUTE
    assert world.log.pr_code_with_write_tokens() == []


# ---------------------------------------------------------------- trio: the dispatcher App

TRIO = "python-trio/trio"
TRIO_BOT_ID = 63812935
# Stale: idna was added to test-requirements.in, and neither file carries hashes yet.
STALE = {
    "test-requirements.in": "six\nidna\n",
    "test-requirements.txt": "six==1.15.0\n    # via -r test-requirements.in\n",
    "docs-requirements.in": "idna\n",
    "docs-requirements.txt": "idna==3.6\n    # via -r docs-requirements.in\n",
}


TRIO_APP_ID = 3_456_789
TRIO_APP_CLIENT_ID = "Iv23liTrioRepowarden"


def trio(make_world: Callable[..., World], *, with_app: bool = False) -> tuple[World, App]:
    """The trio example; `with_app` adds repowarden's own App (`app:`), whose token
    writes the gate and lets apply push and open pull requests."""
    block = (
        f"\napp:\n  id: {TRIO_APP_ID}\n  client_id: {TRIO_APP_CLIENT_ID}\n  slug: repowarden-trio\n"
        if with_app
        else ""
    )
    world = make_world(
        "trio",
        edit=lambda text: text.replace("login: trio-bot\n", "login: trio-bot[bot]\n") + block,
        extra_files=STALE,
    )
    bot = world.app("trio-bot", {"contents": "write", "pull-requests": "write"})
    world.gh.add_user(bot.login, id=TRIO_BOT_ID, type="Bot")
    for login in ("njsmith", "oremanj"):
        world.person(login, "admin", org="python-trio")
    for login in ("jakkdl", "A5rocks", "CoolCat467"):
        world.person(login, "write", org="python-trio")
    gate_source: int | str = "github-actions"
    if with_app:
        app = world.app(
            "repowarden-trio",
            {"checks": "write", "members": "read", "pull-requests": "write", "contents": "write"},
            id=TRIO_APP_ID,
            client_id=TRIO_APP_CLIENT_ID,
        )
        world.environment(
            "repowarden-app",
            branches=("main",),
            secrets={"REPOWARDEN_APP_PRIVATE_KEY": app.private_key},
        )
        gate_source = app.id
    world.protect("main", Protection(checks=(RequiredCheck(GATE, gate_source),)))
    return world, bot


def dispatched_pull(world: World, dispatch_id: str) -> int:
    [pull] = [
        p
        for p in world.gh.state.pulls.values()
        if p.repo == TRIO and p.head_ref == f"repowarden/pip-compile/{dispatch_id}"
    ]
    return pull.number


def test_the_dispatcher_app_s_pip_compile_opens_a_pull_request(
    make_world: Callable[..., World],
) -> None:
    world, bot = trio(make_world)
    # Without an App, apply opens the PR with GITHUB_TOKEN, which GitHub refuses unless
    # Settings > Actions > "Allow GitHub Actions to create and approve pull requests" is
    # on (off by default; docs: "Managing GitHub Actions settings for a repository").
    # This maintainer turned it on (else apply fails with the setting's name). The PR's
    # gate then never reports: GITHUB_TOKEN's events start no workflow (the next
    # scenario configures the App, whose events do).
    world.gh.set_workflow_permissions(TRIO, can_approve_pull_request_reviews=True)
    base = world.tip()
    payload = {"operation": "pip-compile", "id": "w-pip-1", "repo": TRIO}
    assert world.dispatch(bot, "repowarden", payload).status == 204
    world.settle()
    [run] = world.log.runs_of("repowarden-dispatch.yml")
    assert run.conclusion == "success", world.log.describe()
    number = dispatched_pull(world, "w-pip-1")
    assert sorted(world.changed_files(number)) == ["docs-requirements.txt", "test-requirements.txt"]
    assert world.tip() == base
    # The unprivileged job ran the operation with a read-only token.
    assert world.log.pr_code_with_write_tokens() == []
    assert run.jobs["unprivileged"].writes() == set()


def test_without_the_app_or_the_setting_apply_pushes_the_branch_but_github_refuses_the_pr(
    make_world: Callable[..., World],
) -> None:
    # "Allow GitHub Actions to create and approve pull requests" is off by default.
    world, bot = trio(make_world)
    payload = {"operation": "pip-compile", "id": "w-pip-4", "repo": TRIO}
    assert world.dispatch(bot, "repowarden", payload).status == 204
    world.settle()
    [run] = world.log.runs_of("repowarden-dispatch.yml")
    assert run.jobs["apply"].result == "failure", world.log.describe()
    opened = [c for c in world.gh.calls if c.method == "POST" and c.path.endswith("/pulls")]
    assert [c.status for c in opened] == [403]
    refs = world.gh.repo(TRIO).git.refs()
    assert "refs/heads/repowarden/pip-compile/w-pip-4" in refs  # to open the PR by hand
    assert not [p for p in world.gh.state.pulls.values() if p.repo == TRIO]


def test_the_dispatcher_app_s_pull_request_gets_its_gate(make_world: Callable[..., World]) -> None:
    # With repowarden's App, apply pushes and opens the PR with the App's token: unlike
    # GITHUB_TOKEN's, its events start workflows, so CI and the gate run on the new head.
    world, bot = trio(make_world, with_app=True)
    world.dispatch(bot, "repowarden", {"operation": "pip-compile", "id": "w-pip-2", "repo": TRIO})
    world.settle()
    number = dispatched_pull(world, "w-pip-2")
    reasons = world.merge_box(number).reasons
    assert f"required check {GATE!r} is expected" not in reasons, world.log.describe()


# ---------------------------------------------------------------- the e2e scenarios, as actions


def test_fork_pr_approved_turns_green_within_minutes_and_a_push_dismisses_the_approvals(
    make_world: Callable[..., World],
) -> None:
    # A cron that is late and drops runs (the default model): the gate must not need it.
    world = teleport(make_world)
    number = world.open_pr("mallory", {"lib/feature.go": "package lib\n"})
    world.settle()
    world.approve(number, "r0mant")
    world.settle()
    assert not world.merge_box(number)  # one of two approvals
    deciding = world.now()
    world.approve(number, "zmb3")
    world.advance(5 * MINUTE)
    # The fork's review run is permission-less; its workflow_run writes the gate.
    assert world.merge_box(number), world.log.describe()
    waited = world.mergeable_after(number, deciding)
    assert waited is not None
    assert waited <= 5 * MINUTE
    assert world.log.runs_of("repowarden-gate.yml", "workflow_run")

    world.push(number, "mallory", {"lib/feature.go": "package lib // v2\n"})
    world.settle()
    verdict = world.merge_box(number)
    assert f"required check {GATE!r} is failing" in verdict.reasons, world.log.describe()
    states = {r.user: r.state for r in world.gh.reviews(world.repo, number)}
    assert states == {"r0mant": "DISMISSED", "zmb3": "DISMISSED"}
    requested = world.gh.pull(world.repo, number).requested_reviewers
    assert {"r0mant", "zmb3"} <= {r.lower() for r in requested}  # re-requested
    assert world.log.pr_code_with_write_tokens() == []


def test_a_stale_approval_github_refused_to_dismiss_is_named_by_the_gate(
    make_world: Callable[..., World],
) -> None:
    # "Restrict who can dismiss pull request reviews" on: only klizhentas may dismiss,
    # so dismiss-approvals' GITHUB_TOKEN gets a 403 after mallory pushes.
    world = teleport(make_world)
    world.gh.restrict_dismissals(world.repo, users=["klizhentas"])
    number = world.open_pr("mallory", {"lib/feature.go": "package lib\n"})
    world.settle()
    world.approve(number, "r0mant")
    world.approve(number, "zmb3")
    world.settle()
    assert world.merge_box(number), world.log.describe()

    head = world.push(number, "mallory", {"lib/feature.go": "package lib // v2\n"})
    world.settle()
    [dismiss] = [
        job
        for run in world.log.runs_of("repowarden-check.yml", "pull_request_target")
        for name, job in run.jobs.items()
        if name == "dismiss-approvals" and job.result != "skipped"
    ]
    assert dismiss.result == "failure", world.log.describe()
    states = {r.user: r.state for r in world.gh.reviews(world.repo, number)}
    assert states == {"r0mant": "APPROVED", "zmb3": "APPROVED"}  # still standing
    # A later review comment: the gate re-reads everything and still names them.
    world.review(number, "rosstimothy", "COMMENT")
    world.settle()
    verdict = world.merge_box(number)
    assert f"required check {GATE!r} is failing" in verdict.reasons, world.log.describe()
    gate = world.gh.state.latest_statuses(world.repo, head)[GATE]
    assert gate.description == (
        "missing approval from r0mant, zmb3, rosstimothy, codingllama; stale approval still "
        "standing (dismissal refused or pending): r0mant, zmb3"
    )
    assert world.log.pr_code_with_write_tokens() == []


def test_a_writer_who_is_not_the_dispatcher_starts_no_operation(
    make_world: Callable[..., World],
) -> None:
    world, _ = trio(make_world)
    world.person("eve", "write")
    refs = world.gh.repo(TRIO).git.refs()
    payload = {"operation": "pip-compile", "id": "w-pip-3", "repo": TRIO}
    assert world.dispatch("eve", "repowarden", payload).status == 204
    world.settle()
    [run] = world.log.runs_of("repowarden-dispatch.yml")
    # Every job's `if:` refused the sender: no token was minted, nothing changed.
    assert run.jobs == {}, world.log.describe()
    assert world.gh.repo(TRIO).git.refs() == refs


SECONDARY_POINTS_PER_MINUTE = 900  # GET 1 point, writes 5 (docs: "Rate limits for the REST API")
SWEEP_POINTS = 450  # the sweep's share of a minute (runtime/commands/sweep.py)
MAX_REPAIRS_PER_SWEEP = 20  # and the rotation's stride


def points(calls: list[Call]) -> int:
    return sum(1 if c.method == "GET" else 5 for c in calls)


def cold_pulls(world: World, count: int) -> list[int]:
    """`count` open fork PRs that no event ever gated (they predate the installation)."""
    numbers = []
    for i in range(count):
        numbers.append(world.gh.add_pull(world.repo, author="mallory", head_repo=f"f{i}/teleport"))
    return numbers


def sweep_runs(world: World) -> list[tuple[RunRecord, JobResult]]:
    runs = []
    for record in world.log.runs_of("repowarden-dismiss.yml"):
        run = next(r for r in world.runner.runs if r.run_id == record.id)
        runs.append((record, run.jobs["sweep"]))
    return runs


def test_a_300_pr_sweep_with_other_jobs_in_the_same_minute_stays_under_the_limits(
    make_world: Callable[..., World],
) -> None:
    # The sweep takes 20 simulated seconds: every call of it lands within one minute,
    # the world's worst case (a fast runner, one burst).
    world = teleport(make_world, schedules=PUNCTUAL, durations={"repowarden-dismiss.yml": 20.0})
    cold_pulls(world, 300)
    # The sweep fires at the next :00 or :30 (the teleport example's cron, PUNCTUAL here).
    fires = (int(world.now()) // 1800 + 1) * 1800
    world.advance(fires - 1 - world.now())
    # One second before it, other jobs of the repository (their GITHUB_TOKENs share its
    # limits) read 300 times and write 30 commit statuses: 450 points, the reserve.
    other = world.gh.token({"pull-requests": "read", "statuses": "write"}, repo=world.repo)
    reads = burst(world.gh, "GET", f"/repos/{world.repo}/pulls/1", 300, token=other)
    status = {"state": "success", "context": "ci/build"}
    path = f"/repos/{world.repo}/statuses/{world.tip()}"
    writes = burst(world.gh, "POST", path, 30, token=other, body=status)
    assert set(reads) == {200}
    assert set(writes) == {201}
    world.advance(60.0)

    [(record, job)] = sweep_runs(world)
    assert record.conclusion == "success", world.log.describe()
    calls = [c for c in world.gh.calls if c.token == job.token]
    assert points(calls) <= SWEEP_POINTS
    repairs = [c for c in calls if c.method == "POST"]
    assert len(repairs) == MAX_REPAIRS_PER_SWEEP
    listing_pages = 3  # open PRs, 100 a page
    assert len(calls) <= listing_pages + 2 * 300 + 2 * len(repairs)
    # Nobody in that minute was refused: neither the sweep nor the other jobs.
    refused = [c for c in world.gh.calls if c.status in (403, 429)]
    assert refused == [], refused[:3]
    assert points(calls) + 450 <= SECONDARY_POINTS_PER_MINUTE
    # The summary says what waited and why.
    assert "- gates written: 20: #" in job.summary
    assert "not evaluated, deferred to the next sweep: " in job.summary
    # The other jobs' 330 requests this hour left 667 of GITHUB_TOKEN's 1,000 after the
    # listing; the sweep keeps 400 of them for the rest of the hour: 270 points this time.
    assert "(this sweep's share of the hour spent (667 of 1000 requests left" in job.summary
    assert points(calls) <= 270


def test_a_backlog_bigger_than_one_sweep_is_repaired_by_successive_sweeps(
    make_world: Callable[..., World],
) -> None:
    # 300 PRs without a gate: one sweep repairs 20 and evaluates 163 of them. Each run
    # starts 20 PRs further (GITHUB_RUN_NUMBER x 20), so every gate is written within
    # ceil(300 / 20) = 15 sweeps (hourly: the product's default schedule).
    hourly = lambda text: text.replace('schedule: "0,30 * * * *"', 'schedule: "17 * * * *"')  # noqa: E731
    world = teleport(make_world, schedules=PUNCTUAL, edit=hourly)
    numbers = cold_pulls(world, 300)
    heads = {n: world.gh.pull(world.repo, n).head_sha for n in numbers}

    def gated() -> int:
        return sum(
            1 for n in numbers if GATE in world.gh.state.latest_statuses(world.repo, heads[n])
        )

    progress = []
    for _ in range(15):
        world.advance(3600.0)
        progress.append(gated())
    runs = sweep_runs(world)
    assert len(runs) == 15, world.log.describe()
    assert all(record.conclusion == "success" for record, _ in runs), world.log.describe()
    assert progress == [20 * k for k in range(1, 16)]
    # Every sweep stayed within its share, whatever it found.
    for _, job in runs:
        calls = [c for c in world.gh.calls if c.token == job.token]
        assert points(calls) <= SWEEP_POINTS
    assert [c for c in world.gh.calls if c.status in (403, 429)] == []


# -- the review rules' example: request removal and the update-merge exemption ----------------

CORE_OWNERS = ["r0mant", "zmb3", "rosstimothy", "codingllama", "espadolini"]
CORE = ["ibeckermayer", "Joerger", "marcoandredinis", "Tener", "greedy52", "smallinsky"]
ADMINS = ["r0mant", "zmb3", "klizhentas"]


def teleport_rules(make_world: Callable[..., World], **kw: object) -> World:
    """examples/teleport-rules: Teleport's policy as rules, with keep_approvals_on_update_merge
    and remove_requests on."""
    world = make_world("teleport-rules", **kw)
    for login in dict.fromkeys([*CORE_OWNERS, *CORE, "ptgott", "fheinecke"]):
        world.person(login, "write", org="gravitational")
    world.person("klizhentas", "admin", org="gravitational")
    world.person("mallory")  # an external contributor, from a fork
    world.protect(
        "master", Protection(checks=(RequiredCheck(GATE, "github-actions"),), approvals=1)
    )
    return world


def _jobs_holding(world: World, scope: str) -> set[tuple[str, str]]:
    return {(j.workflow.rsplit("/", 1)[-1], j.job) for j in world.log.jobs() if scope in j.writes()}


def test_once_the_rules_are_met_the_other_review_requests_are_withdrawn(
    make_world: Callable[..., World],
) -> None:
    """Rule 'code' (two approvals, one from core-owners) is met by two reviewers who were
    not the ones assign drew: the gate's run withdraws the drawn ones' requests, the
    merge box says the same before and after, and only default-branch jobs held
    pull-requests: write."""
    world = teleport_rules(make_world)
    number = world.open_pr("Joerger", {"lib/auth/x.go": "package auth\n"})
    world.settle()
    drawn = {login.lower() for login in world.gh.pull(world.repo, number).requested_reviewers}
    assert drawn, world.log.describe()  # assign asked someone
    # Not an admin: one admin's approval alone approves ('admin approval', a bypass).
    owner = next(x for x in CORE_OWNERS if x.lower() not in drawn and x not in ADMINS)
    other = next(x for x in CORE if x.lower() not in drawn and x != "Joerger")

    world.approve(number, owner)
    world.settle()
    assert not world.merge_box(number)  # one approval: 'code' needs two
    assert {r.lower() for r in world.gh.pull(world.repo, number).requested_reviewers} == drawn

    world.approve(number, other)
    world.settle()
    assert world.merge_box(number), world.log.describe()
    assert world.gh.pull(world.repo, number).requested_reviewers == []
    removed = [e for e in world.log.events if e.action == "review_request_removed"]
    assert len(removed) == 1
    # Written by a GITHUB_TOKEN: the removal starts no run, and changes no verdict.
    assert (removed[0].cause, removed[0].started) == ("github-token", [])
    assert [ok for _, ok in world.verdicts[number]] == [False, True]
    assert world.log.pr_code_with_write_tokens() == []
    holders = _jobs_holding(world, "pull-requests")
    assert ("repowarden-gate.yml", "gate") in holders
    assert holders <= {
        ("repowarden-gate.yml", "gate"),
        ("repowarden-check.yml", "check"),
        ("repowarden-check.yml", "dismiss-approvals"),
        ("repowarden-assign.yml", "assign"),
    }

    # "Update branch" on this same-repository PR: a push to its branch, then synchronize;
    # an internal author's approvals are not tied to the head, so the gate stays green.
    world.commit("klizhentas", {"docs/pages/new.mdx": "# New\n"}, branch="master")
    head = world.update_branch(number, "klizhentas")
    world.settle()
    branch = world.gh.pull(world.repo, number).head_ref
    pushes = [e for e in world.log.events if e.name == "push" and e.payload["after"] == head]
    assert [e.payload["ref"] for e in pushes] == [f"refs/heads/{branch}"]
    assert world.merge_box(number), world.log.describe()


def test_an_update_merge_keeps_an_external_prs_approvals_and_a_real_change_does_not(
    make_world: Callable[..., World],
) -> None:
    """Issue 12 point 5 end to end: mallory's PR approved by two admins; the base moves;
    a maintainer clicks "Update branch". GET …/compare shows the new head only merged
    the base: the approvals stay (not dismissed), the gate stays green and its run says
    why. Then mallory changes a file of the PR: the approvals no longer count."""
    world = teleport_rules(make_world)
    number = world.open_pr("mallory", {"lib/feature.go": "package lib\n"})
    world.settle()
    world.approve(number, "r0mant")
    world.approve(number, "zmb3")
    world.settle()
    assert world.merge_box(number), world.log.describe()

    world.commit("klizhentas", {"docs/pages/new.mdx": "# New\n"}, branch="master")
    world.settle()
    merged = world.update_branch(number, "klizhentas")
    world.settle()
    assert world.merge_box(number), world.log.describe()
    states = {r.user: r.state for r in world.gh.reviews(world.repo, number)}
    assert states == {"r0mant": "APPROVED", "zmb3": "APPROVED"}
    (run,) = [
        r
        for r in world.runner.runs
        if r.workflow.endswith("repowarden-check.yml")
        and r.sha
        and "check" in r.jobs
        and r.jobs["check"].summary
        and merged[:7] in r.jobs["check"].summary
    ]
    summary = run.jobs["check"].summary
    assert "the compare API shows the head" in summary
    assert "(a merge of the base branch), so it still counts" in summary
    assert world.gh.calls_matching("GET", r"/compare/")

    world.push(number, "mallory", {"lib/feature.go": "package lib // v2\n"})
    world.settle()
    verdict = world.merge_box(number)
    assert f"required check {GATE!r} is failing" in verdict.reasons, world.log.describe()
    states = {r.user: r.state for r in world.gh.reviews(world.repo, number)}
    assert states == {"r0mant": "DISMISSED", "zmb3": "DISMISSED"}
    assert world.log.pr_code_with_write_tokens() == []


def test_with_the_app_installed_from_its_manifest_both_options_work(
    make_world: Callable[..., World],
) -> None:
    """The App holds exactly what `repowarden protect --app-manifest` asks for: its
    token (the gate's check run) reads the compare API and withdraws requests."""
    from repowarden.generator.protect import app_manifest
    from repowarden.runtime.config import parse_config

    block = f"\napp:\n  id: {APP_ID}\n  client_id: {APP_CLIENT_ID}\n  slug: {APP_SLUG}\n"
    world = teleport_rules(make_world, edit=lambda text: text + block)
    example = Path(__file__).parents[2] / "examples" / "teleport-rules" / ".github"
    text = (example / "repowarden.yml").read_text() + block
    asked = app_manifest(parse_config(text))["default_permissions"]
    assert (asked["contents"], asked["pull_requests"]) == ("read", "write")
    permissions = {k.replace("_", "-"): v for k, v in asked.items() if k != "metadata"}
    app = world.app(APP_SLUG, permissions, id=APP_ID, client_id=APP_CLIENT_ID)
    world.environment(
        "repowarden-app",
        branches=("master",),
        secrets={"REPOWARDEN_APP_PRIVATE_KEY": app.private_key},
    )
    world.protect("master", Protection(checks=(RequiredCheck(GATE, app.id),), approvals=1))

    number = world.open_pr("mallory", {"lib/feature.go": "package lib\n"})
    world.settle()
    requested = {r.lower() for r in world.gh.pull(world.repo, number).requested_reviewers}
    assert requested == {"r0mant", "zmb3"}  # the '*' reviewers; klizhentas is on omit
    world.approve(number, "r0mant")
    world.approve(number, "klizhentas")  # omitted from requests, still counts
    world.settle()
    assert world.merge_box(number), world.log.describe()
    # zmb3 never reviewed: the App's gate run withdrew the request.
    assert world.gh.pull(world.repo, number).requested_reviewers == []
    world.commit("klizhentas", {"docs/pages/new.mdx": "# New\n"}, branch="master")
    world.update_branch(number, "klizhentas")
    world.settle()
    assert world.merge_box(number), world.log.describe()  # the App's check run, green
    head = world.gh.pull(world.repo, number).head_sha
    (run,) = [c for c in world.gh.state.check_runs if c.head_sha == head and c.name == GATE]
    assert "(a merge of the base branch), so it still counts" in str(run.output)
    removed = [e for e in world.log.events if e.action == "review_request_removed"]
    assert [(e.sender, e.cause) for e in removed] == [(app.login, "app")]
    assert world.log.pr_code_with_write_tokens() == []
