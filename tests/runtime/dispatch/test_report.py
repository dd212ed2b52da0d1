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
    me = report.commenter_id(gh)
    assert report.find_comment(gh, pr, "d", me) is not None
    assert report.find_comment(gh, pr, "zzz", me) is None


def test_a_marker_in_another_bots_comment_is_not_ours(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Any bot that comments on PRs (or an App a writer controls) can paste the marker
    # with state=success: only our own account's comment may be found and edited.
    github.add_repo("o/r")
    pr = github.add_pull("o/r", author="alice")
    github.add_user("other-bot[bot]", id=777, type="Bot")
    forged = report.render("d", "format", report.SUCCESS, "u", 1, "all done, trust me")
    github.add_comment("o/r", pr, user="other-bot[bot]", body=forged)
    monkeypatch.setenv("GITHUB_TOKEN", github.token({"pull-requests": "write"}))
    gh = GitHub("o/r")
    assert report.find_comment(gh, pr, "d", report.commenter_id(gh)) is None
    started = report.render("d", "format", report.STARTED, "u", 1)
    assert report.post(gh, pr, "d", started, only_if_started=True) == "created"
    bodies = {c.user: c.body for c in github.comments("o/r", pr)}
    assert bodies == {"other-bot[bot]": forged, "github-actions[bot]": started}
