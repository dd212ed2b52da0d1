"""The GitHub client against the fake over HTTP: pagination, retries, fail closed."""

from __future__ import annotations

import pytest
from fake_github import FakeGitHub
from repowarden.runtime import github as client
from repowarden.runtime.github import GitHub, GitHubError, NotFound, PermissionDenied, Unprocessable

READ = {"pull-requests": "read"}


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def pr(github: FakeGitHub) -> int:
    github.add_repo("o/r")
    return github.add_pull("o/r", author="alice")


def make(github: FakeGitHub, sleeps: Sleeps | None = None, **kw: float) -> GitHub:
    return GitHub(
        "o/r",
        token=github.token({**READ, "statuses": "write"}),
        budget=kw.get("budget", 5.0),
        backoff=kw.get("backoff", 0.01),
        request_timeout=kw.get("request_timeout", 5.0),
        sleep=sleeps if sleeps is not None else Sleeps(),
    )


def test_paginate_follows_link_headers(github: FakeGitHub, pr: int) -> None:
    ids = [github.add_review("o/r", pr, user=f"u{i}", state="COMMENTED") for i in range(250)]
    gh = make(github)
    items = list(gh.paginate(gh.repo_path(f"/pulls/{pr}/reviews")))
    assert [item["id"] for item in items] == ids
    calls = github.calls_matching("GET", "/reviews$")
    assert [c.query.get("page") for c in calls] == [None, "2", "3"]
    assert {c.query["per_page"] for c in calls} == {"100"}


def test_paginate_reads_lists_inside_objects(github: FakeGitHub) -> None:
    github.add_repo("o/r")
    wf = github.add_workflow("o/r", ".github/workflows/check.yml")
    runs = [github.add_run("o/r", wf, head_sha="a" * 40) for _ in range(3)]
    gh = GitHub("o/r", token=github.token({"actions": "read"}))
    found = gh.paginate(gh.repo_path("/actions/workflows/check.yml/runs"), key="workflow_runs")
    assert sorted(run["id"] for run in found) == runs


def test_paginate_is_bounded(github: FakeGitHub, pr: int, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(250):
        github.add_review("o/r", pr, user=f"u{i}", state="COMMENTED")
    monkeypatch.setattr(client, "MAX_PAGES", 2)
    gh = make(github)
    assert len(list(gh.paginate(gh.repo_path(f"/pulls/{pr}/reviews")))) == 200
    assert len(github.calls) == 2


def test_empty_listing_is_one_call(github: FakeGitHub, pr: int) -> None:
    gh = make(github)
    assert list(gh.paginate(gh.repo_path(f"/pulls/{pr}/reviews"))) == []
    assert len(github.calls) == 1


def test_5xx_is_retried_with_exponential_backoff_and_each_retry_is_said(
    github: FakeGitHub, pr: int, capsys: pytest.CaptureFixture[str]
) -> None:
    github.fail("GET", r"/pulls/\d+$", status=502, times=2)
    sleeps = Sleeps()
    gh = make(github, sleeps, backoff=0.25)
    assert gh.get(gh.repo_path(f"/pulls/{pr}"))["number"] == pr
    assert sleeps == [0.25, 0.5]
    assert [c.status for c in github.calls] == [502, 502, 200]
    assert capsys.readouterr().err.splitlines() == [
        f"repowarden: GET /repos/o/r/pulls/{pr} failed (HTTP 502); retry 1 in 0.25s",
        f"repowarden: GET /repos/o/r/pulls/{pr} failed (HTTP 502); retry 2 in 0.5s",
    ]


@pytest.mark.parametrize(
    ("api_url", "says"),
    [
        ("ftp://github.example.com", "the API URL is not valid"),
        ("https://no-such-host.invalid", "the API host name does not resolve"),
    ],
)
def test_a_bad_url_or_an_unknown_host_is_not_retried(
    api_url: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sleeps = Sleeps()
    gh = GitHub("o/r", token="t", api_url=api_url, budget=60.0, sleep=sleeps)
    with pytest.raises(GitHubError, match=says):
        gh.get("/repos/o/r")
    assert sleeps == []
    assert "retry" not in capsys.readouterr().err


def test_unauthorized_is_not_retried(github: FakeGitHub, pr: int) -> None:
    sleeps = Sleeps()
    gh = GitHub("o/r", token="not-a-token", sleep=sleeps)
    with pytest.raises(GitHubError, match="HTTP 401"):
        gh.get(gh.repo_path(f"/pulls/{pr}"))
    assert sleeps == []
    assert len(github.calls) == 1


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({}, "https://api.github.com"),
        ({"GH_HOST": "github.com"}, "https://api.github.com"),
        ({"GH_HOST": "github.example.com"}, "https://github.example.com/api/v3"),
        ({"GH_HOST": "http://127.0.0.1:8080"}, "http://127.0.0.1:8080"),
        (
            {"GH_HOST": "github.example.com", "GITHUB_API_URL": "https://ghe.test/api/v3"},
            "https://ghe.test/api/v3",
        ),
    ],
)
def test_the_api_url_is_read_as_gh_and_the_runner_set_it(
    env: dict[str, str], url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # gh: GH_HOST is a hostname, an Enterprise Server's API is https://HOST/api/v3
    # (docs.github.com "REST API endpoints ... GitHub Enterprise Server": base URL);
    # runners set GITHUB_API_URL ("Variables reference": default variables).
    monkeypatch.delenv("GH_HOST", raising=False)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert client.api_url_from_env() == url


def test_gh_token_is_read_when_github_token_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("GH_TOKEN", "from-gh")
    assert client.token_from_env() == "from-gh"
    monkeypatch.setenv("GITHUB_TOKEN", "from-actions")
    assert client.token_from_env() == "from-actions"


def test_5xx_forever_fails_closed_within_the_budget(github: FakeGitHub, pr: int) -> None:
    github.fail("GET", r"/pulls/\d+$", status=503, times=None)
    sleeps = Sleeps()
    gh = make(github, sleeps, backoff=0.25, budget=2.0)
    with pytest.raises(GitHubError) as info:
        gh.get(gh.repo_path(f"/pulls/{pr}"))
    assert sleeps == [0.25, 0.5, 1.0]  # then 2 s more would pass the 2 s budget
    assert str(info.value) == (
        f"GET /repos/o/r/pulls/{pr} failed (HTTP 503): Server Error "
        "(gave up after 4 attempt(s) within the 2s retry budget)"
    )
    assert len(github.calls) == 4


@pytest.mark.parametrize("status", [403, 429])
def test_rate_limits_honour_retry_after(github: FakeGitHub, pr: int, status: int) -> None:
    github.fail("GET", r"/pulls/\d+$", status=status, times=1, retry_after=0.75)
    sleeps = Sleeps()
    gh = make(github, sleeps, backoff=0.01)
    assert gh.get(gh.repo_path(f"/pulls/{pr}"))["number"] == pr
    assert sleeps == [0.75]


def test_secondary_rate_limit_without_retry_after_backs_off(github: FakeGitHub, pr: int) -> None:
    # GitHub's secondary-limit 403 body names the rate limit even without the header.
    github.fail("GET", r"/pulls/\d+$", status=403, times=1)
    sleeps = Sleeps()
    gh = make(github, sleeps, backoff=0.125)
    assert gh.get(gh.repo_path(f"/pulls/{pr}"))["number"] == pr
    assert sleeps == [0.125]


def test_retry_after_beyond_the_budget_fails_at_once(github: FakeGitHub, pr: int) -> None:
    github.fail("POST", r"/statuses/", status=403, times=None, retry_after=60)
    sleeps = Sleeps()
    gh = make(github, sleeps, budget=5.0)
    sha = github.pull("o/r", pr).head_sha
    with pytest.raises(GitHubError, match=r"secondary rate limit.*gave up after 1 attempt"):
        gh.request("POST", gh.repo_path(f"/statuses/{sha}"), data={"state": "success"})
    assert sleeps == []


def test_timeouts_are_retried(github: FakeGitHub, pr: int) -> None:
    github.slow(r"/pulls/\d+$", 1.0, times=1)
    sleeps = Sleeps()
    gh = make(github, sleeps, request_timeout=0.2)
    assert gh.get(gh.repo_path(f"/pulls/{pr}"))["number"] == pr
    assert sleeps == [0.01]


def test_missing_permission_is_not_retried(github: FakeGitHub, pr: int) -> None:
    gh = GitHub("o/r", token=github.token({"contents": "read"}), sleep=Sleeps())
    with pytest.raises(PermissionDenied) as info:
        gh.get(gh.repo_path(f"/pulls/{pr}/reviews"))
    assert str(info.value).startswith(
        f"GET /repos/o/r/pulls/{pr}/reviews failed (HTTP 403): "
        "Resource not accessible by integration — the token lacks a permission"
    )
    assert len(github.calls) == 1


def test_not_found_and_unprocessable_are_told_apart(github: FakeGitHub, pr: int) -> None:
    gh = GitHub("o/r", token=github.token({"pull-requests": "write"}))
    with pytest.raises(NotFound):
        gh.get(gh.repo_path("/pulls/999"))
    with pytest.raises(Unprocessable, match="Review cannot be requested from pull request author"):
        gh.request(
            "POST", gh.repo_path(f"/pulls/{pr}/requested_reviewers"), data={"reviewers": ["alice"]}
        )


def test_environment_sets_host_token_and_budget(
    github: FakeGitHub, pr: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = github.token(READ)
    monkeypatch.setenv("GITHUB_TOKEN", token)
    monkeypatch.setenv("REPOWARDEN_RETRY_BUDGET", "0.3")
    monkeypatch.setenv("REPOWARDEN_BACKOFF", "0.1")
    with GitHub("o/r") as gh:
        assert gh.api_url == github.url  # GITHUB_API_URL, set by the fixture
        assert (gh.budget, gh.backoff) == (0.3, 0.1)
        gh.get(gh.repo_path(f"/pulls/{pr}"))
    assert github.calls[0].token == token


def test_connections_are_reused(github: FakeGitHub, pr: int) -> None:
    gh = make(github)
    for _ in range(3):
        gh.get(gh.repo_path(f"/pulls/{pr}"))
    pool = gh._transport.client._transport._pool  # one keep-alive connection
    assert len(pool.connections) == 1
    gh.close()
    assert gh._transport.client.is_closed
