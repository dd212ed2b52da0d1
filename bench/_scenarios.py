"""Fake-GitHub scenarios and runner environments shared by the runtime benchmarks.

The fake GitHub (tests/fake_github/) runs inside the benchmark process on loopback;
each runtime command runs as a fresh `python -m repowarden.runtime` process with the
environment a GitHub Actions runner would give it, so its HTTP calls are the ones
the fake logs.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _harness import BENCH_DIR, TARGET, Sample, child_env, run_process

PAYLOADS = BENCH_DIR / "payloads"
CONFIG = PAYLOADS / "repowarden.yml"
ORG_CONFIG = PAYLOADS / "repowarden-org.yml"  # the same with review.external.org: acme
REPO = "acme/teleport"  # matches bench/payloads/repowarden.yml
CHECK_WORKFLOW = ".github/workflows/repowarden-check.yml"

# Permissions each job gets (the generator renders the same).
CHECK_PERMISSIONS = {"pull-requests": "read", "statuses": "write", "contents": "read"}
ASSIGN_PERMISSIONS = {"pull-requests": "write", "contents": "read"}
DISMISS_PERMISSIONS = {"actions": "write", "pull-requests": "read", "contents": "read"}
SWEEP_PERMISSIONS = {"pull-requests": "read", "statuses": "write", "contents": "read"}


def fake_github_module() -> Any:
    """`fake_github` from tests/, imported the way pytest's pythonpath does."""
    if str(TARGET.tests) not in sys.path:
        sys.path.insert(0, str(TARGET.tests))
    import fake_github
    import fake_github.clock
    import fake_github.gitstore

    return fake_github


@contextmanager
def fake_github(clock: Any = None) -> Iterator[Any]:
    """A started FakeGitHub on loopback, stopped on exit; `clock` as FakeGitHub takes it."""
    gh = fake_github_module().FakeGitHub(clock=clock)
    gh.start()
    try:
        yield gh
    finally:
        gh.stop()


def sha(n: int, salt: str = "") -> str:
    """A deterministic, distinct 40-hex commit id."""
    import hashlib

    return hashlib.sha1(f"{salt}:{n}".encode()).hexdigest()  # noqa: S324 - an id, not security


def pull_request_event(
    *,
    action: str,
    number: int,
    author: str,
    author_id: int,
    head_sha: str,
    head_repo: str = REPO,
    head_ref: str = "patch-1",
    base_ref: str = "main",
    labels: list[str] | None = None,
    draft: bool = False,
    author_association: str = "CONTRIBUTOR",
) -> dict[str, Any]:
    """A pull_request(_target) payload: the recorded octokit example, re-pointed.

    Only identifying fields change (repository, number, people, refs, SHAs), so the
    runtime parses a real payload's full shape (bench/payloads/README.md).
    """
    event = copy.deepcopy(json.loads((PAYLOADS / "pull_request.opened.json").read_text()))
    owner, name = REPO.split("/")
    event["action"] = action
    event["number"] = number
    repository = event["repository"]
    repository.update(full_name=REPO, name=name)
    repository["owner"].update(login=owner)
    pr = event["pull_request"]
    pr.update(number=number, draft=draft, author_association=author_association)
    pr["user"].update(login=author, id=author_id, type="User")
    pr["labels"] = [
        {"name": label, "id": i, "color": "ededed"} for i, label in enumerate(labels or [])
    ]
    pr["requested_reviewers"] = []
    pr["requested_teams"] = []
    pr["head"].update(sha=head_sha, ref=head_ref, label=f"{head_repo.split('/')[0]}:{head_ref}")
    head_owner, head_name = head_repo.split("/")
    pr["head"]["repo"].update(full_name=head_repo, name=head_name, fork=head_repo != REPO)
    pr["head"]["repo"]["owner"].update(login=head_owner)
    pr["head"]["user"].update(login=head_owner)
    pr["base"].update(ref=base_ref, sha=sha(0, "base"))
    pr["base"]["repo"].update(full_name=REPO, name=name, fork=False)
    pr["base"]["repo"]["owner"].update(login=owner)
    event["sender"].update(login=author, id=author_id, type="User")
    return event


def runner_env(
    gh: Any,
    work: Path,
    *,
    event_name: str,
    event: Mapping[str, Any] | None,
    permissions: Mapping[str, str] | None,
) -> dict[str, str]:
    """What a GitHub Actions runner gives the step, pointed at the fake."""
    work.mkdir(parents=True, exist_ok=True)
    event_path = work / "event.json"
    event_path.write_text(json.dumps(event if event is not None else {}))
    (work / "summary.md").write_text("")
    (work / "output.txt").write_text("")
    extra = {
        "GH_HOST": gh.url,
        "GITHUB_API_URL": gh.url,
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_WORKSPACE": str(work),
        "GITHUB_RUN_ID": "4242",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_STEP_SUMMARY": str(work / "summary.md"),
        "GITHUB_OUTPUT": str(work / "output.txt"),
        "RUNNER_TEMP": str(work),
        # A failing call should fail fast in a benchmark, not wait out production budgets.
        "REPOWARDEN_RETRY_BUDGET": "5",
        "REPOWARDEN_BACKOFF": "0.01",
    }
    if permissions is not None:
        extra["GITHUB_TOKEN"] = gh.token(dict(permissions))
    return child_env(extra)


def runtime(
    command: str, *args: str, env: Mapping[str, str], cwd: Path, config: Path = CONFIG
) -> Sample:
    return run_process(
        [TARGET.python, "-m", "repowarden.runtime", command, "--config", str(config), *args],
        env=env,
        cwd=cwd,
    )


def calls_since(gh: Any, start: int) -> list[Any]:
    return list(gh.calls[start:])


def describe_calls(calls: list[Any]) -> dict[str, int]:
    """Calls grouped as `METHOD path-shape` (numbers and SHAs folded) -> count."""
    import re

    shapes: dict[str, int] = {}
    for call in calls:
        path = re.sub(r"/[0-9a-f]{40}(?=/|$)", "/{sha}", call.path)
        path = re.sub(r"/\d+(?=/|$)", "/{n}", path)
        key = f"{call.method} {path} -> {call.status}"
        shapes[key] = shapes.get(key, 0) + 1
    return dict(sorted(shapes.items(), key=lambda kv: -kv[1]))


# ------------------------------------------------------------------ scenarios

PEOPLE = {
    "alice": 5001,
    "bob": 5002,
    "carol": 5003,
    "admin1": 5004,
    "admin2": 5005,
    "admin3": 5006,
    "mallory": 6001,
}


def base_repo(gh: Any) -> None:
    """The governed repository, its people (with fixed ids) and collaborators."""
    gh.add_repo(REPO, default_branch="main")
    for login, uid in PEOPLE.items():
        gh.add_user(login, id=uid)
    for login in ("alice", "bob", "carol", "admin1", "admin2", "admin3"):
        gh.add_collaborator(REPO, login)


def reviewed_pull(gh: Any, reviews: int) -> tuple[int, dict[str, Any]]:
    """alice's PR with `reviews` reviews; only the last two (bob, carol) approve.

    Returns the PR number and the pull_request_target event a push would send.
    """
    head = sha(1, "reviewed")
    number = gh.add_pull(REPO, author="alice", head_sha=head, head_repo=REPO, head_ref="feature")
    for i in range(reviews - 2):
        gh.add_review(REPO, number, user=f"commenter-{i}", state="COMMENTED", commit_id=head)
    gh.add_review(REPO, number, user="bob", state="APPROVED", commit_id=head)
    gh.add_review(REPO, number, user="carol", state="APPROVED", commit_id=head)
    event = pull_request_event(
        action="synchronize",
        number=number,
        author="alice",
        author_id=PEOPLE["alice"],
        head_sha=head,
        head_ref="feature",
        author_association="MEMBER",
    )
    return number, event


def external_pull(gh: Any, action: str = "opened") -> tuple[int, dict[str, Any]]:
    """mallory's PR from a fork: the external contributor case (no reviews yet)."""
    head = sha(1, "external")
    number = gh.add_pull(
        REPO, author="mallory", head_sha=head, head_repo="mallory/teleport", head_ref="patch-1"
    )
    event = pull_request_event(
        action=action,
        number=number,
        author="mallory",
        author_id=PEOPLE["mallory"],
        head_sha=head,
        head_repo="mallory/teleport",
        head_ref="patch-1",
        author_association="FIRST_TIME_CONTRIBUTOR",
    )
    return number, event


def runs_per_pull(pulls: int, runs: int) -> list[int]:
    """Spread `runs` over `pulls` as evenly as possible (each PR at least one run)."""
    if runs < pulls:
        raise ValueError("every PR needs at least one run")
    base, extra = divmod(runs, pulls)
    return [base + (1 if i < extra else 0) for i in range(pulls)]


def stale_runs(gh: Any, pulls: int, runs: int) -> dict[str, int]:
    """`pulls` open PRs with `runs` completed runs of the check workflow between them.

    Every PR is from a branch of the repository itself (no fork PR needs its status
    refreshed), each run is tied to its PR by number, head SHA, head repository and
    branch, and runs are created oldest first. Exactly one run per PR is the newest:
    every other run is stale. Returns the counts the lower bound is computed from.
    """
    wf = gh.add_workflow(REPO, path=CHECK_WORKFLOW)
    counts = runs_per_pull(pulls, runs)
    numbers = []
    for p in range(pulls):
        head = sha(p, "pr-head")
        numbers.append(
            gh.add_pull(REPO, author="alice", head_sha=head, head_repo=REPO, head_ref=f"topic-{p}")
        )
    # Interleave creation so that a PR's runs are spread over the whole listing, as
    # they are on a busy repository; created_at strictly increases with creation order.
    made = 0
    rounds = max(counts)
    for r in range(rounds):
        for p, number in enumerate(numbers):
            if r < counts[p]:
                gh.add_run(
                    REPO,
                    wf,
                    head_sha=sha(p, "pr-head"),
                    head_repo=REPO,
                    head_branch=f"topic-{p}",
                    pull_numbers=[number],
                    status="completed",
                    conclusion="success",
                    event="pull_request_target",
                    created_at=f"2026-01-{1 + made // 86400 % 28:02d}T"
                    f"{made // 3600 % 24:02d}:{made // 60 % 60:02d}:{made % 60:02d}Z",
                )
                made += 1
    return {"workflow_id": wf, "pulls": pulls, "runs": made, "stale": made - pulls}


def approved_pulls(gh: Any, pulls: int) -> list[int]:
    """`pulls` open PRs by alice, each approved by bob and carol on its head."""
    numbers = []
    for p in range(pulls):
        head = sha(p, "approved")
        number = gh.add_pull(REPO, author="alice", head_sha=head, head_repo=REPO, head_ref=f"b-{p}")
        gh.add_review(REPO, number, user="bob", state="APPROVED", commit_id=head)
        gh.add_review(REPO, number, user="carol", state="APPROVED", commit_id=head)
        numbers.append(number)
    return numbers
