"""GitHub's REST rate limits in the fake: who spends which budget, and what GitHub answers.

Windows run on a SimulatedClock, so an hour passes in a line and nothing sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from repowarden.runtime.github import GitHub, GitHubError

from fake_github import FakeGitHub
from fake_github.client import burst, call
from fake_github.clock import SimulatedClock

REPO = "org/app"
PULLS = f"/repos/{REPO}/pulls"


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def gh(tmp_path: Path, clock: SimulatedClock) -> Iterator[FakeGitHub]:
    with FakeGitHub(tmp_path / "gh", clock=clock) as fake:
        fake.add_repo(REPO)
        fake.add_repo("org/other")
        fake.add_collaborator(REPO, "bob")
        yield fake
    assert not fake.errors, fake.errors


def _spend(gh: FakeGitHub, clock: SimulatedClock, token: str, requests: int) -> None:
    """`requests` GETs, paced under the secondary limit of 900 points a minute."""
    while requests > 0:
        batch = min(requests, 800)
        assert set(burst(gh, "GET", PULLS, batch, token=token)) == {200}
        requests -= batch
        clock.advance(61)


def test_every_answer_carries_the_budget_of_its_kind_of_token(gh: FakeGitHub) -> None:
    github_token = gh.token({"pull-requests": "read"}, repo=REPO)
    user = gh.token({"pull-requests": "read"}, login="bob")
    app = gh.add_app("dispatcher", permissions={"pull-requests": "read"})
    installation = gh.app_token(app.slug)
    limits = {
        name: call(gh, "GET", PULLS, token=token).headers["x-ratelimit-limit"]
        for name, token in [
            ("GITHUB_TOKEN", github_token),
            ("user", user),
            ("installation", installation),
            ("anonymous", None),
        ]
    }
    assert limits == {
        "GITHUB_TOKEN": "1000",
        "user": "5000",
        "installation": "5000",
        "anonymous": "60",
    }
    answer = call(gh, "GET", PULLS, token=github_token)
    assert answer.headers["x-ratelimit-used"] == "2"
    assert answer.headers["x-ratelimit-remaining"] == "998"
    assert answer.headers["x-ratelimit-resource"] == "core"
    assert int(answer.headers["x-ratelimit-reset"]) == int(SimulatedClock.START) + 3600


def test_every_github_token_of_a_repository_shares_its_1000_requests(
    gh: FakeGitHub, clock: SimulatedClock
) -> None:
    first_job = gh.token({"pull-requests": "read"}, repo=REPO)
    second_job = gh.token({"pull-requests": "write"}, repo=REPO)
    _spend(gh, clock, first_job, 1000)
    refused = call(gh, "GET", PULLS, token=second_job)
    assert refused.status == 403
    assert refused.json["message"].startswith("API rate limit exceeded for installation ID")
    assert refused.headers["x-ratelimit-remaining"] == "0"
    # Other repositories' GITHUB_TOKENs and people's own tokens have their own budgets.
    elsewhere = gh.token({"pull-requests": "read"}, repo="org/other")
    assert call(gh, "GET", "/repos/org/other/pulls", token=elsewhere).status == 200
    assert (
        call(gh, "GET", PULLS, token=gh.token({"pull-requests": "read"}, login="bob")).status == 200
    )
    # Refusals do not spend more; the budget comes back when the hour is over.
    assert call(gh, "GET", PULLS, token=first_job).headers["x-ratelimit-used"] == "1000"
    clock.set(int(refused.headers["x-ratelimit-reset"]))
    assert call(gh, "GET", PULLS, token=first_job).status == 200


def test_the_runtime_client_fails_closed_on_a_spent_hour(
    gh: FakeGitHub, clock: SimulatedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = gh.token({"pull-requests": "read"}, repo=REPO)
    _spend(gh, clock, token, 1000)
    monkeypatch.setenv("GH_HOST", gh.url)
    monkeypatch.setenv("GITHUB_TOKEN", token)
    # The reset is a (simulated) hour away: far beyond the client's retry budget.
    with pytest.raises(GitHubError, match="rate limit exceeded"):
        GitHub(REPO, budget=1, sleep=lambda _: None).get(PULLS)


def test_unauthenticated_callers_get_60_requests_an_hour(gh: FakeGitHub) -> None:
    statuses = burst(gh, "GET", PULLS, 61, token=None)
    assert statuses == [200] * 60 + [403]
    answer = call(gh, "GET", PULLS)
    assert "Authenticated requests get a higher rate limit" in answer.json["message"]


def test_a_304_for_a_conditional_request_spends_nothing(gh: FakeGitHub) -> None:
    token = gh.token({"pull-requests": "read"})
    first = call(gh, "GET", PULLS, token=token)
    etag = first.headers["etag"]
    again = call(gh, "GET", PULLS, token=token, headers={"If-None-Match": etag})
    assert (again.status, again.json, again.headers["etag"]) == (304, None, etag)
    assert again.headers["x-ratelimit-used"] == "1"
    gh.add_pull(REPO, author="mallory")
    changed = call(gh, "GET", PULLS, token=token, headers={"If-None-Match": etag})
    assert changed.status == 200
    assert changed.headers["etag"] != etag
    assert changed.headers["x-ratelimit-used"] == "2"


def test_900_points_a_minute_then_a_secondary_limit_with_retry_after(
    gh: FakeGitHub, clock: SimulatedClock
) -> None:
    token = gh.token({"pull-requests": "read"}, login="bob")
    assert burst(gh, "GET", PULLS, 901, token=token) == [200] * 900 + [403]
    refused = call(gh, "GET", PULLS, token=token)
    assert refused.status == 403
    assert "secondary rate limit" in refused.json["message"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    clock.advance(int(refused.headers["retry-after"]))
    assert call(gh, "GET", PULLS, token=token).status == 200


def test_writes_cost_five_points(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory")
    token = gh.token({"issues": "write", "pull-requests": "read"}, login="bob")
    comments = f"/repos/{REPO}/issues/{number}/comments"
    assert set(burst(gh, "POST", comments, 80, token=token, body={"body": "x"})) == {201}
    # 80 writes are 400 points: 500 reads fit, the 501st does not.
    assert burst(gh, "GET", PULLS, 501, token=token) == [200] * 500 + [403]


def test_80_content_creating_requests_a_minute_and_500_an_hour(
    gh: FakeGitHub, clock: SimulatedClock
) -> None:
    number = gh.add_pull(REPO, author="mallory")
    token = gh.token({"issues": "write"}, login="bob")
    comments = f"/repos/{REPO}/issues/{number}/comments"
    assert burst(gh, "POST", comments, 81, token=token, body={"body": "x"}) == [201] * 80 + [403]
    for _ in range(5):
        clock.advance(61)
        assert set(burst(gh, "POST", comments, 80, token=token, body={"body": "x"})) == {201}
    clock.advance(61)
    # 480 in the hour so far: 20 more, then the hourly limit holds even in a fresh minute.
    assert burst(gh, "POST", comments, 21, token=token, body={"body": "x"}) == [201] * 20 + [403]
    refused = call(gh, "POST", comments, token=token, body={"body": "x"})
    assert int(refused.headers["retry-after"]) > 60
    assert len(gh.comments(REPO, number)) == 500


def test_the_101st_concurrent_request_is_refused(gh: FakeGitHub) -> None:
    token = gh.token({"pull-requests": "read"}, login="bob")
    gh.slow(r"/pulls$", 2.0)  # long enough for all 101 to be in flight
    statuses: list[int] = []
    lock = threading.Lock()

    def get() -> None:
        status = call(gh, "GET", PULLS, token=token).status
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=get) for _ in range(101)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 100 + [403]
