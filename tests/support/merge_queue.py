"""A default branch's merge queue as a ruleset, as `repowarden protect --merge-queue` sends it."""

from __future__ import annotations

from typing import Any

from fake_github import FakeGitHub
from fake_github.client import call


def merge_queue_ruleset(github: FakeGitHub, repo: str, grouping: str = "ALLGREEN") -> None:
    """Create it through the REST API with an admin's token (Administration: write).

    `grouping` is the queue's `grouping_strategy`: ALLGREEN makes every queued pull
    request's own group commit pass the required checks; HEADGREEN only the last one.
    """
    parameters: dict[str, Any] = {
        "check_response_timeout_minutes": 60,
        "grouping_strategy": grouping,
        "max_entries_to_build": 5,
        "max_entries_to_merge": 5,
        "merge_method": "MERGE",
        "min_entries_to_merge": 1,
        "min_entries_to_merge_wait_minutes": 5,
    }
    body = {
        "name": "merge queue",
        "target": "branch",
        "enforcement": "active",
        "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
        "rules": [{"type": "merge_queue", "parameters": parameters}],
    }
    admin = github.token({"administration": "write"})
    answer = call(github, "POST", f"/repos/{repo}/rulesets", token=admin, body=body)
    if answer.status != 201:
        raise AssertionError(f"creating the ruleset failed: {answer.status} {answer.json}")
