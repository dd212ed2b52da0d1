"""The event check both sides run first (`dispatch-sender-gate`), on octokit's real payload."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from repowarden.runtime.config import parse_config
from repowarden.runtime.dispatch.payload import (
    EventRejected,
    check_event,
    github_sha,
    read_event,
    show,
)
from repowarden.runtime.errors import BadInput

DATA = Path(__file__).parent / "data"
CONFIG = parse_config(
    """\
repository: o/r
review:
  admins: [a1, a2]
  reviewers: {"*": [a1, a2]}
dispatch:
  event_type: warden
  senders:
    - {login: "app[bot]", id: 11, type: Bot}
    - {login: maintainer, id: 12, type: User}
  operations:
    - {kind: pip-compile, requirements: [requirements.in]}
    - {kind: build-and-publish, project: demo}
"""
)


def event(**payload: Any) -> dict[str, Any]:
    data = json.loads((DATA / "repository_dispatch.json").read_text())
    data.update(
        action="warden",
        client_payload={"operation": "pip-compile", "id": "d-1", "repo": "o/r", **payload},
    )
    data["repository"]["full_name"] = "o/r"
    data["sender"].update(login="app[bot]", id=11, type="Bot")
    return copy.deepcopy(data)


def problems(data: Any, name: str = "repository_dispatch", repo: str = "o/r") -> list[str]:
    with pytest.raises(EventRejected) as info:
        check_event(CONFIG, name, repo, data)
    return info.value.problems


def test_a_trusted_dispatch_is_accepted() -> None:
    request = check_event(CONFIG, "repository_dispatch", "o/r", event(pr=5))
    assert (request.operation, request.id, request.repo, request.pr) == (
        "pip-compile",
        "d-1",
        "o/r",
        5,
    )
    assert (request.sender_login, request.sender_id) == ("app[bot]", 11)
    assert request.checkout_ref == "refs/pull/5/head"
    user = event(repo="O/R")  # GitHub's names compare case-insensitively
    user["sender"].update(login="maintainer", id=12, type="User")
    assert check_event(CONFIG, "repository_dispatch", "o/r", user).repo == "o/r"


@pytest.mark.parametrize("repo", ["o/docs", "o/r\n", 5])
def test_the_payload_repo_must_be_the_repository_the_workflow_runs_in(repo: Any) -> None:
    (problem,) = problems(event(repo=repo))
    assert problem.startswith("client_payload.repo ")
    assert problem.endswith("is not this repository 'o/r'")


def test_a_deeply_nested_event_is_refused(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(EventRejected, match="nested too deeply"):
        read_event(tmp_path / "deep.json")


def test_every_problem_is_reported_at_once() -> None:
    data = event(pr=True, extra=1)
    data["sender"]["id"] = "11"  # a string that looks like the id is not the id
    data["action"] = "other"
    found = problems(data, name="push")
    assert found == [
        "event name is 'push', expected 'repository_dispatch'",
        "event type (action) is 'other', expected 'warden' (config dispatch.event_type)",
        "sender 'app[bot]' (id '11') is not a trusted sender; "
        "trusted ids: app[bot]=11, maintainer=12",
        "client_payload has unexpected key(s) 'extra'; allowed: id, operation, repo, pr",
        "client_payload.pr True is not a positive integer",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"client_payload": []}, "client_payload is not an object"),
        (
            {"client_payload": {"operation": "pip-compile", "repo": "o/r"}},
            "client_payload.id is missing",
        ),
        ({"sender": None}, "the event has no sender object"),
        ({"repository": {"full_name": "O/R"}}, "the event is for repository 'O/R'"),
    ],
)
def test_shapes_that_are_not_a_dispatch(change: dict[str, Any], message: str) -> None:
    data = event()
    data.update(change)
    assert any(message in p for p in problems(data))


def test_pr_must_be_a_bounded_positive_integer() -> None:
    for bad in (-1, 0, 2**31, 1.0, "7", None):
        assert f"client_payload.pr {show(bad)} is not a positive integer" in problems(event(pr=bad))


def test_no_dispatch_section_means_nothing_is_dispatched() -> None:
    bare = parse_config(
        "repository: o/r\nreview:\n  admins: [a1]\n"
        "  reviewers: {'*': [a1, a2]}\n  external: {approvals: 1}\n"
    )
    with pytest.raises(EventRejected, match="dispatch is not enabled"):
        check_event(bare, "repository_dispatch", "o/r", event())


def test_unreadable_or_hostile_event_files(tmp_path: Path) -> None:
    with pytest.raises(EventRejected, match="cannot read the event file"):
        read_event(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(EventRejected, match="is not JSON"):
        read_event(tmp_path / "bad.json")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(EventRejected, match="not a JSON object"):
        read_event(tmp_path / "list.json")


def test_show_escapes_and_bounds_untrusted_text() -> None:
    assert show("a\nb") == "'a\\nb'"
    assert len(show("x" * 10_000)) == 60
    assert show("\x1b[31mred") == "'\\x1b[31mred'"


def test_github_sha_must_be_a_commit_sha() -> None:
    assert github_sha({"GITHUB_SHA": "a" * 40}) == "a" * 40
    for bad in ("", "main", "A" * 40, "a" * 39):
        with pytest.raises(BadInput, match="GITHUB_SHA"):
            github_sha({"GITHUB_SHA": bad})
