"""The PR comment: its marker, its size, and edits only when something changed."""

from __future__ import annotations

import pytest
from fake_github import FakeGitHub
from repowarden.runtime.dispatch import report
from repowarden.runtime.github import GitHub


def test_render_carries_the_marker_and_fits_a_comment() -> None:
    body = report.render("d-1", "format", report.FAILURE, "https://x/runs/1", 2, "y" * 100_000)
    assert body.startswith("<!-- repowarden-dispatch id=d-1 state=failure -->\n")
    assert "(attempt 2)" in body
    assert len(body) <= report.MAX_COMMENT
    assert body.endswith("(truncated; see the [workflow run](https://x/runs/1))\n")


def test_post_creates_once_then_edits_only_on_change(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    github.add_repo("o/r")
    pr = github.add_pull("o/r", author="alice")
    monkeypatch.setenv("GITHUB_TOKEN", github.token({"pull-requests": "write"}))
    gh = GitHub("o/r")
    started = report.render("d", "format", report.STARTED, "u", 1)
    assert report.post(gh, pr, "d", started, only_if_started=True) == "created"
    assert report.post(gh, pr, "d", started, only_if_started=True) == "kept"
    done = report.render("d", "format", report.SUCCESS, "u", 1, "ok")
    assert report.post(gh, pr, "d", done, only_if_started=False) == "updated"
    assert report.post(gh, pr, "d", started, only_if_started=True) == "kept"
    assert [c.body for c in github.comments("o/r", pr)] == [done]
    # Another dispatch on the same PR gets its own comment.
    assert (
        report.post(gh, pr, "e", started.replace("id=d", "id=e"), only_if_started=True) == "created"
    )
    assert report.find_comment(gh, pr, "d") is not None
    assert report.find_comment(gh, pr, "zzz") is None
