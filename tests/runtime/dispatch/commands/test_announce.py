"""announce: one start comment per dispatch on its PR, found again by its marker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest
from fake_github import FakeGitHub
from repowarden.runtime.commands import load
from support.dispatch_pipeline import ANNOUNCE, APPLY, Pipeline
from support.least_privilege import assert_least_privilege


def test_start_comment_has_the_run_url_and_a_hidden_marker(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    pr = github.add_pull("o/r", author="alice")
    outcome = pipeline.run(
        "announce", pipeline.event("format", id="a-1", pr=pr), job="announce", permissions=ANNOUNCE
    )
    assert outcome.code == 0, outcome.err
    (comment,) = github.comments("o/r", pr)
    assert comment.body.startswith("<!-- repowarden-dispatch id=a-1 state=started -->\n")
    assert "running `format`" in comment.body
    assert f"https://github.com/o/r/actions/runs/{pipeline.run_id}" in comment.body
    assert comment.user == "github-actions[bot]"


@pytest.mark.slow
def test_rerun_updates_the_same_comment_and_never_undoes_a_result(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    pr = github.add_pull("o/r", author="alice")
    event = pipeline.event("format", id="a-2", pr=pr)
    pipeline.run("announce", event, job="announce", permissions=ANNOUNCE)
    again = pipeline.run("announce", event, job="announce", permissions=ANNOUNCE, attempt=2)
    assert again.code == 0
    (comment,) = github.comments("o/r", pr)
    assert "(attempt 2)" in comment.body

    # apply reports a result (the unprivileged job failed); a later announce re-run keeps it.
    pipeline.run("apply", event, job="apply", permissions=APPLY, upstream="failure", attempt=2)
    result = github.comments("o/r", pr)[0].body
    assert "state=failure" in result
    third = pipeline.run("announce", event, job="announce", permissions=ANNOUNCE, attempt=3)
    assert third.code == 0
    assert "start comment kept" in third.out
    assert [c.body for c in github.comments("o/r", pr)] == [result]


def test_a_person_pasting_the_marker_does_not_capture_the_comment(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    pr = github.add_pull("o/r", author="alice")
    forged = "<!-- repowarden-dispatch id=a-3 state=success -->\nall done, trust me"
    token = github.token({"pull-requests": "write"}, login="mallory")
    github.add_user("mallory", type="User")
    httpx2.post(
        f"{github.url}/repos/o/r/issues/{pr}/comments",
        json={"body": forged},
        headers={"Authorization": f"token {token}"},
    ).raise_for_status()
    outcome = pipeline.run(
        "announce", pipeline.event("format", id="a-3", pr=pr), job="announce", permissions=ANNOUNCE
    )
    assert outcome.code == 0
    bodies = [c.body for c in github.comments("o/r", pr)]
    assert bodies[0] == forged  # untouched
    assert "state=started" in bodies[1]


def test_no_pr_means_no_comment(pipeline: Pipeline, github: FakeGitHub) -> None:
    outcome = pipeline.run(
        "announce", pipeline.event("pip-compile"), job="announce", permissions=ANNOUNCE
    )
    assert outcome.code == 0
    assert "nothing to announce" in outcome.out
    assert github.writes() == []


@pytest.mark.slow
def test_announce_needs_exactly_pull_requests_write(
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    attempts = iter(range(1, 100))

    def attempt(token: str) -> Any:
        p = Pipeline(github, monkeypatch, capsys, tmp_path, repo=f"o/a{next(attempts)}")
        pr = github.add_pull(p.repo, author="alice")
        return p.run("announce", p.event("format", id="lp", pr=pr), job="announce", token=token)

    assert_least_privilege(load("announce"), github, attempt)
