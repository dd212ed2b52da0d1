"""Loading workflows, pin checks and trigger matching."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workflow_runner.workflow import (
    WorkflowError,
    branch_matches,
    check_pins,
    load_workflow,
    load_workflows,
    trigger_matches,
)

FIXTURES = Path(__file__).parent / "fixtures"
SHA = "3d3c42e5aac5ba805825da76410c181273ba90b1"


def pr_event(action: str, base: str = "main") -> dict[str, Any]:
    return {"action": action, "pull_request": {"number": 1, "base": {"ref": base}}}


@pytest.fixture(scope="module")
def workflows() -> dict[str, Any]:
    return {Path(w.path).stem: w for w in load_workflows(FIXTURES / "triggers")}


def matching(workflows: dict[str, Any], event: str, payload: dict[str, Any]) -> set[str]:
    return {name for name, w in workflows.items() if w.matches(event, payload)}


@pytest.mark.parametrize(
    ("event", "payload", "expected"),
    [
        # pull_request_target without types: only opened, synchronize, reopened.
        ("pull_request_target", pr_event("opened"), {"pr-target"}),
        ("pull_request_target", pr_event("synchronize"), {"pr-target"}),
        ("pull_request_target", pr_event("ready_for_review"), set()),
        ("pull_request_target", pr_event("labeled"), {"review-and-label"}),
        ("pull_request_target", pr_event("opened", base="release/1.x"), {"pr-target"}),
        ("pull_request_target", pr_event("opened", base="feature"), set()),
        ("pull_request_review", {"action": "submitted"}, {"review-and-label"}),
        ("pull_request_review", {"action": "edited"}, set()),
        (
            "merge_group",
            {"action": "checks_requested", "merge_group": {"base_ref": "refs/heads/main"}},
            {"review-and-label"},
        ),
        ("repository_dispatch", {"action": "repowarden"}, {"dispatch"}),
        ("repository_dispatch", {"action": "something-else"}, set()),
        ("schedule", {"schedule": "0,30 * * * *"}, {"dispatch"}),
        ("schedule", {"schedule": "0 * * * *"}, set()),
        ("workflow_dispatch", {"inputs": {}}, {"dispatch"}),
        ("push", {"ref": "refs/heads/main"}, set()),
    ],
)
def test_trigger_matching(
    workflows: dict[str, Any], event: str, payload: dict[str, Any], expected: set[str]
) -> None:
    assert matching(workflows, event, payload) == expected


@pytest.mark.parametrize(
    ("pattern", "branch", "expected"),
    [
        ("main", "main", True),
        ("main", "main2", False),
        ("release/*", "release/1.x", True),
        ("release/*", "release/1.x/hotfix", False),
        ("release/**", "release/1.x/hotfix", True),
    ],
)
def test_branch_patterns(pattern: str, branch: str, expected: bool) -> None:
    assert branch_matches(pattern, branch) is expected


def test_pins_need_a_full_sha_and_a_tag_comment() -> None:
    check_pins(f"    - uses: actions/checkout@{SHA} # v7.0.1\n", "ok.yml")
    check_pins("    - uses: $/.github/actions/repowarden\n", "local.yml")
    with pytest.raises(WorkflowError, match="not pinned"):
        check_pins("    - uses: actions/checkout@v7\n", "tag.yml")
    with pytest.raises(WorkflowError, match="tag comment"):
        check_pins(f"    - uses: actions/checkout@{SHA}\n", "bare.yml")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "w.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unsupported_trigger_filters_are_errors(tmp_path: Path) -> None:
    text = """\
on:
  pull_request_target:
    tags: ["v*"]
jobs:
  a: {runs-on: x, steps: [{run: "true"}]}
"""
    with pytest.raises(WorkflowError, match=r"filter \['tags'\] is not supported"):
        load_workflow(write(tmp_path, text), "w.yml")


def test_paths_filters_include_exclude_and_need_the_changed_files() -> None:
    spec = {"paths": ["src/**", "!src/vendor/**"]}
    event = {"action": "opened", "pull_request": {"base": {"ref": "main"}}}
    assert trigger_matches("pull_request", spec, event, ["src/a.py"])
    assert not trigger_matches("pull_request", spec, event, ["src/vendor/x.py", "README.md"])
    assert trigger_matches("pull_request", spec, event, ["src/vendor/x.py", "src/b.py"])
    ignore = {"paths-ignore": ["docs/**"]}
    assert not trigger_matches("pull_request", ignore, event, ["docs/a.md"])
    assert trigger_matches("pull_request", ignore, event, ["docs/a.md", "lib.go"])
    with pytest.raises(WorkflowError, match="needs the changed files"):
        trigger_matches("pull_request", spec, event)


def test_workflow_run_matches_the_named_workflows_and_types() -> None:
    spec = {"workflows": ["review *"], "types": ["completed"]}
    event = {
        "action": "completed",
        "workflow": {"name": "review check"},
        "workflow_run": {"head_branch": "patch-1"},
    }
    assert trigger_matches("workflow_run", spec, event)
    assert not trigger_matches("workflow_run", spec, {**event, "action": "requested"})
    other = {**event, "workflow": {"name": "lint"}}
    assert not trigger_matches("workflow_run", spec, other)


def test_unsupported_job_keys_are_errors(tmp_path: Path) -> None:
    text = """\
on: workflow_dispatch
jobs:
  a:
    runs-on: x
    strategy: {matrix: {py: ["3.11"]}}
    steps: [{run: "true"}]
"""
    with pytest.raises(WorkflowError, match=r"unsupported keys \['strategy'\]"):
        load_workflow(write(tmp_path, text), "w.yml")


def test_needs_must_name_a_job(tmp_path: Path) -> None:
    text = """\
on: workflow_dispatch
jobs:
  a: {runs-on: x, needs: [b], steps: [{run: "true"}]}
"""
    with pytest.raises(WorkflowError, match="needs unknown job 'b'"):
        load_workflow(write(tmp_path, text), "w.yml")
