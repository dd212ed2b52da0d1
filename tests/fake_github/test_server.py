"""The fake GitHub behaves like GitHub where runtime code can tell the difference."""

from __future__ import annotations

import time
from typing import Any

import pytest
from repowarden.runtime.github import GitHub, GitHubError, PermissionDenied, Unprocessable

from fake_github import FakeGitHub
from fake_github.client import call
from fake_github.state import Status

REPO = "org/app"


@pytest.fixture
def gh(github: FakeGitHub) -> FakeGitHub:
    github.add_repo(REPO, files={"README.md": "hello\n"})
    for login in ("bob", "carol", "admin1"):
        github.add_collaborator(REPO, login)
    return github


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> type[GitHub]:
    # Retries must not slow the suite down.
    monkeypatch.setenv("REPOWARDEN_BACKOFF", "0.01")
    monkeypatch.setenv("REPOWARDEN_RETRY_BUDGET", "2")
    return GitHub


# -- pagination -------------------------------------------------------------------


def test_link_header_walks_every_page_like_github(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory", head_repo="mallory/app")
    for i in range(250):
        gh.add_review(REPO, number, user=f"user{i}", state="COMMENTED")
    token = gh.token({"pull-requests": "read"})
    path = f"/repos/{REPO}/pulls/{number}/reviews"

    first = call(gh, "GET", path, token=token, query={"per_page": 100})
    assert first.status == 200
    assert len(first.json) == 100
    links = first.links()
    assert set(links) == {"next", "last"}
    assert links["next"] == f"{gh.url}{path}?per_page=100&page=2"
    assert links["last"] == f"{gh.url}{path}?per_page=100&page=3"

    second = call(gh, "GET", links["next"], token=token)
    assert set(second.links()) == {"prev", "next", "last", "first"}
    last = call(gh, "GET", second.links()["next"], token=token)
    assert len(last.json) == 50
    assert set(last.links()) == {"prev", "first"}  # no next on the last page
    ids = [r["id"] for r in first.json + second.json + last.json]
    assert ids == sorted(ids)
    assert len(set(ids)) == 250


def test_per_page_defaults_to_30_and_is_capped_at_100(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory")
    for i in range(120):
        gh.add_review(REPO, number, user=f"user{i}", state="COMMENTED")
    token = gh.token({"pull-requests": "read"})
    path = f"/repos/{REPO}/pulls/{number}/reviews"
    assert len(call(gh, "GET", path, token=token).json) == 30
    assert len(call(gh, "GET", path, token=token, query={"per_page": 500}).json) == 100
    beyond = call(gh, "GET", path, token=token, query={"page": 9})
    assert beyond.json == []


def test_single_page_has_no_link_header(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory")
    gh.add_review(REPO, number, user="bob")
    answer = call(
        gh,
        "GET",
        f"/repos/{REPO}/pulls/{number}/reviews",
        token=gh.token({"pull-requests": "read"}),
    )
    assert "link" not in answer.headers
    assert [r["user"]["login"] for r in answer.json] == ["bob"]


def test_runtime_client_paginates_with_one_call_per_page(
    gh: FakeGitHub, client: type[GitHub], monkeypatch: pytest.MonkeyPatch
) -> None:
    number = gh.add_pull(REPO, author="mallory")
    for i in range(250):
        gh.add_review(REPO, number, user=f"user{i}", state="COMMENTED")
    gh.add_review(REPO, number, user="bob", state="APPROVED")
    monkeypatch.setenv("GITHUB_TOKEN", gh.token({"pull-requests": "read"}))
    reviews = list(client(REPO).paginate(f"/repos/{REPO}/pulls/{number}/reviews"))
    assert len(reviews) == 251
    assert reviews[-1]["state"] == "APPROVED"
    assert len(gh.calls_matching("GET", r"/reviews$")) == 3


def test_wrapped_listings_carry_total_count_and_links(gh: FakeGitHub) -> None:
    wf = gh.add_workflow(REPO, path=".github/workflows/check.yml")
    for i in range(5):
        gh.add_run(REPO, wf, head_sha=f"{i:040x}", created_at=f"2024-01-0{i + 1}T00:00:00Z")
    answer = call(
        gh,
        "GET",
        f"/repos/{REPO}/actions/workflows/check.yml/runs",
        token=gh.token({"actions": "read"}),
        query={"per_page": 2},
    )
    assert answer.json["total_count"] == 5
    # Newest first, as GitHub lists runs.
    assert [r["head_sha"][-1] for r in answer.json["workflow_runs"]] == ["4", "3"]
    assert "next" in answer.links()


# -- tokens and permissions --------------------------------------------------------


def test_missing_permission_gets_githubs_403(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory")
    read_only = gh.token({"pull-requests": "read"})
    answer = call(
        gh,
        "POST",
        f"/repos/{REPO}/pulls/{number}/requested_reviewers",
        token=read_only,
        body={"reviewers": ["bob"]},
    )
    assert answer.status == 403
    assert answer.json["message"] == "Resource not accessible by integration"
    assert answer.json["documentation_url"].startswith("https://docs.github.com/rest")
    assert answer.headers["x-accepted-github-permissions"] == "pull_requests=write"
    assert gh.pull(REPO, number).requested_reviewers == []


def test_write_implies_read_and_other_scopes_do_not(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory")
    path = f"/repos/{REPO}/pulls/{number}"
    assert call(gh, "GET", path, token=gh.token({"pull-requests": "write"})).status == 200
    assert (
        call(gh, "GET", path, token=gh.token({"issues": "write", "contents": "write"})).status
        == 403
    )
    assert call(gh, "GET", path, token=gh.token({"pull-requests": "none"})).status == 403


def test_comments_accept_issues_or_pull_requests_write(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory")
    path = f"/repos/{REPO}/issues/{number}/comments"
    for perms in ({"issues": "write"}, {"pull-requests": "write"}):
        assert call(gh, "POST", path, token=gh.token(perms), body={"body": "hi"}).status == 201
    refused = call(gh, "POST", path, token=gh.token({"statuses": "write"}), body={"body": "x"})
    assert refused.status == 403
    assert refused.headers["x-accepted-github-permissions"] == "issues=write; pull_requests=write"
    assert [c.body for c in gh.comments(REPO, number)] == ["hi", "hi"]


def test_metadata_and_public_org_data_need_no_permission(gh: FakeGitHub) -> None:
    gh.add_org_member("org", "alice")
    bare = gh.token({})
    assert call(gh, "GET", f"/repos/{REPO}", token=bare).status == 200
    # A GITHUB_TOKEN is no org member: GitHub redirects it to the public check.
    redirected = call(gh, "GET", "/orgs/org/members/alice", token=bare)
    assert (redirected.status, redirected.headers["location"]) == (
        302,
        f"{gh.url}/orgs/org/public_members/alice",
    )
    assert call(gh, "GET", "/orgs/org/public_members/alice", token=bare).status == 204
    assert call(gh, "GET", "/orgs/org/public_members/mallory", token=bare).status == 404
    assert call(gh, "GET", "/users/alice", token=bare).json["login"] == "alice"
    assert call(gh, "GET", f"/repos/{REPO}/collaborators/bob", token=bare).status == 204
    assert call(gh, "GET", f"/repos/{REPO}/collaborators/mallory", token=bare).status == 404


def test_no_token_reads_public_data_but_cannot_write(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory")
    assert call(gh, "GET", f"/repos/{REPO}/pulls/{number}").status == 200
    answer = call(gh, "POST", f"/repos/{REPO}/issues/{number}/comments", body={"body": "x"})
    assert answer.status == 401
    assert answer.json["message"] == "Requires authentication"
    gh.add_repo("org/secret", private=True)
    assert call(gh, "GET", "/repos/org/secret").status == 404
    assert call(gh, "GET", f"/repos/{REPO}", token="ghs_forged").status == 401


def test_repo_scoped_token_stays_in_its_repository(gh: FakeGitHub) -> None:
    gh.add_repo("org/other")
    gh.add_repo("org/secret", private=True)
    token = gh.token({"pull-requests": "read"}, repo=REPO)
    assert call(gh, "GET", f"/repos/{REPO}/pulls", token=token).status == 200
    assert call(gh, "GET", "/repos/org/other/pulls", token=token).status == 403
    assert call(gh, "GET", "/repos/org/secret/pulls", token=token).status == 404


def test_token_rejects_unknown_scope_names() -> None:
    gh = FakeGitHub()
    try:
        with pytest.raises(ValueError, match="pull_requests"):
            gh.token({"pull_requests": "write"})
        with pytest.raises(ValueError, match="admin"):
            gh.token({"contents": "admin"})
    finally:
        gh.stop()


def test_runtime_client_reports_permission_denied(
    gh: FakeGitHub, client: type[GitHub], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", gh.token({"pull-requests": "read"}))
    with pytest.raises(PermissionDenied, match="Resource not accessible by integration"):
        client(REPO).get(f"/repos/{REPO}/actions/runs")


def test_every_route_has_a_permission_entry() -> None:
    from fake_github.permissions import PERMISSIONS
    from fake_github.routes import ROUTES

    assert {r.template for r in ROUTES} == set(PERMISSIONS)


# -- requested reviewers ----------------------------------------------------------------


def _request(gh: FakeGitHub, number: int, reviewers: list[str]) -> tuple[int, dict]:
    answer = call(
        gh,
        "POST",
        f"/repos/{REPO}/pulls/{number}/requested_reviewers",
        token=gh.token({"pull-requests": "write"}),
        body={"reviewers": reviewers},
    )
    return answer.status, answer.json


def test_requesting_reviewers_adds_them_once(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory")
    status, body = _request(gh, number, ["bob", "Carol"])
    assert status == 201
    assert [u["login"] for u in body["requested_reviewers"]] == ["bob", "carol"]
    _request(gh, number, ["BOB"])
    assert gh.pull(REPO, number).requested_reviewers == ["bob", "carol"]
    listed = call(
        gh,
        "GET",
        f"/repos/{REPO}/pulls/{number}/requested_reviewers",
        token=gh.token({"pull-requests": "read"}),
    )
    assert [u["login"] for u in listed.json["users"]] == ["bob", "carol"]
    assert listed.json["teams"] == []


def test_requesting_the_author_is_422(gh: FakeGitHub) -> None:
    gh.add_collaborator(REPO, "alice")
    number = gh.add_pull(REPO, author="alice")
    status, body = _request(gh, number, ["bob", "Alice"])
    assert status == 422
    assert body["message"] == "Review cannot be requested from pull request author."
    assert gh.pull(REPO, number).requested_reviewers == []


def test_one_non_collaborator_fails_the_whole_call(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory")
    status, body = _request(gh, number, ["bob", "stranger"])
    assert status == 422
    assert body["message"].startswith("Reviews may only be requested from collaborators.")
    assert f"not a collaborator of the {REPO} repository" in body["message"]
    assert gh.pull(REPO, number).requested_reviewers == []


def test_more_than_15_reviewers_is_422(gh: FakeGitHub) -> None:
    people = [f"rev{i}" for i in range(16)]
    for login in people:
        gh.add_collaborator(REPO, login)
    number = gh.add_pull(REPO, author="mallory")
    assert _request(gh, number, people[:15])[0] == 201
    status, body = _request(gh, number, people[15:])
    assert status == 422
    assert body["message"] == "Validation Failed"
    assert len(gh.pull(REPO, number).requested_reviewers) == 15


def test_removing_requested_reviewers(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory")
    _request(gh, number, ["bob", "carol"])
    answer = call(
        gh,
        "DELETE",
        f"/repos/{REPO}/pulls/{number}/requested_reviewers",
        token=gh.token({"pull-requests": "write"}),
        body={"reviewers": ["bob"]},
    )
    assert answer.status == 200
    assert gh.pull(REPO, number).requested_reviewers == ["carol"]


# -- reviews, comments, statuses ----------------------------------------------------------


def test_dismissal_records_state_and_message(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory")
    approval = gh.add_review(REPO, number, user="bob", state="APPROVED")
    comment = gh.add_review(REPO, number, user="carol", state="COMMENTED")
    token = gh.token({"pull-requests": "write"})
    base = f"/repos/{REPO}/pulls/{number}/reviews"
    answer = call(
        gh, "PUT", f"{base}/{approval}/dismissals", token=token, body={"message": "new head abc"}
    )
    assert answer.status == 200
    assert answer.json["state"] == "DISMISSED"
    review = next(r for r in gh.reviews(REPO, number) if r.id == approval)
    assert review.dismissal_message == "new head abc"
    assert (
        call(gh, "PUT", f"{base}/{comment}/dismissals", token=token, body={"message": "x"}).status
        == 422
    )
    assert call(gh, "PUT", f"{base}/{approval}/dismissals", token=token, body={}).status == 422
    assert (
        call(gh, "PUT", f"{base}/999/dismissals", token=token, body={"message": "x"}).status == 404
    )


def test_pending_review_has_no_submitted_at(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory")
    gh.add_review(REPO, number, user="bob", state="PENDING")
    gh.add_review(REPO, number, user="carol", state="APPROVED")
    reviews = call(
        gh,
        "GET",
        f"/repos/{REPO}/pulls/{number}/reviews",
        token=gh.token({"pull-requests": "read"}),
    ).json
    assert "submitted_at" not in reviews[0]
    assert reviews[1]["submitted_at"]


def test_comments_are_created_listed_and_updated_in_place(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory")
    token = gh.token({"pull-requests": "write"}, login="repowarden[bot]")
    created = call(
        gh, "POST", f"/repos/{REPO}/issues/{number}/comments", token=token, body={"body": "started"}
    )
    assert created.json["user"]["login"] == "repowarden[bot]"
    assert created.json["user"]["type"] == "Bot"
    path = f"/repos/{REPO}/issues/comments/{created.json['id']}"
    assert call(gh, "PATCH", path, token=token, body={"body": "done"}).json["body"] == "done"
    listed = call(gh, "GET", f"/repos/{REPO}/issues/{number}/comments", token=token).json
    assert [c["body"] for c in listed] == ["done"]
    assert call(gh, "GET", f"/repos/{REPO}/issues/99/comments", token=token).status == 404


def test_statuses_list_newest_first_and_combine_per_context(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory")
    sha = gh.pull(REPO, number).head_sha
    token = gh.token({"statuses": "write"})
    for state in ("pending", "failure", "success"):
        answer = call(
            gh,
            "POST",
            f"/repos/{REPO}/statuses/{sha}",
            token=token,
            body={"state": state, "context": "repowarden/review", "description": state},
        )
        assert answer.status == 201
    call(
        gh,
        "POST",
        f"/repos/{REPO}/statuses/{sha}",
        token=token,
        body={"state": "pending", "context": "ci"},
    )
    listed = call(gh, "GET", f"/repos/{REPO}/commits/{sha}/statuses", token=token).json
    assert [s["state"] for s in listed] == ["pending", "success", "failure", "pending"]
    combined = call(gh, "GET", f"/repos/{REPO}/commits/{sha}/status", token=token).json
    assert combined["total_count"] == 2
    assert combined["state"] == "pending"
    assert gh.statuses(REPO, sha)["repowarden/review"].state == "success"
    bad = call(
        gh, "POST", f"/repos/{REPO}/statuses/{'f' * 40}", token=token, body={"state": "success"}
    )
    assert bad.status == 422
    wrong = call(gh, "POST", f"/repos/{REPO}/statuses/{sha}", token=token, body={"state": "green"})
    assert wrong.status == 422
    assert wrong.json["message"] == "Validation Failed"


def test_check_runs_update_only_by_their_app(gh: FakeGitHub) -> None:
    sha = gh.commit(REPO, {"x": "1"})
    mine = gh.token({"checks": "write"}, app="repowarden")
    created = call(
        gh,
        "POST",
        f"/repos/{REPO}/check-runs",
        token=mine,
        body={"name": "repowarden/review", "head_sha": sha, "status": "in_progress"},
    )
    assert created.status == 201
    assert created.json["app"]["slug"] == "repowarden"
    path = f"/repos/{REPO}/check-runs/{created.json['id']}"
    done = call(gh, "PATCH", path, token=mine, body={"conclusion": "success"})
    assert done.json["status"] == "completed"
    assert done.json["completed_at"]
    other = gh.token({"checks": "write"})
    assert call(gh, "PATCH", path, token=other, body={"conclusion": "failure"}).status == 403
    listed = call(gh, "GET", f"/repos/{REPO}/commits/{sha}/check-runs", token=other).json
    assert listed["total_count"] == 1
    assert listed["check_runs"][0]["conclusion"] == "success"


# -- actions and dispatches ---------------------------------------------------------------


def test_runs_filter_delete_and_jobs(gh: FakeGitHub) -> None:
    wf = gh.add_workflow(REPO, path=".github/workflows/repowarden-check.yml")
    other = gh.add_workflow(REPO, path=".github/workflows/ci.yml")
    old = gh.add_run(REPO, wf, head_sha="a" * 40, created_at="2024-01-01T00:00:00Z")
    gh.add_run(REPO, wf, head_sha="b" * 40, status="in_progress", created_at="2024-01-02T00:00:00Z")
    gh.add_run(REPO, wf, head_sha="a" * 40, event="pull_request_review", conclusion="failure")
    gh.add_run(REPO, other, head_sha="a" * 40)
    job = gh.add_job(REPO, old, name="check")
    token = gh.token({"actions": "write"})
    runs = f"/repos/{REPO}/actions/workflows/repowarden-check.yml/runs"

    def ids(query: dict) -> list[int]:
        return [
            r["id"] for r in call(gh, "GET", runs, token=token, query=query).json["workflow_runs"]
        ]

    assert len(ids({})) == 3
    assert len(ids({"status": "completed"})) == 2
    assert len(ids({"status": "failure"})) == 1
    assert len(ids({"event": "pull_request_review"})) == 1
    assert len(ids({"head_sha": "a" * 40})) == 2
    by_id = call(gh, "GET", f"/repos/{REPO}/actions/workflows/{wf}/runs", token=token).json
    assert by_id["total_count"] == 3
    assert call(gh, "GET", f"/repos/{REPO}/actions/runs", token=token).json["total_count"] == 4

    jobs = call(gh, "GET", f"/repos/{REPO}/actions/runs/{old}/jobs", token=token).json
    assert [j["id"] for j in jobs["jobs"]] == [job]
    assert (
        call(
            gh, "DELETE", f"/repos/{REPO}/actions/runs/{old}", token=gh.token({"actions": "read"})
        ).status
        == 403
    )
    assert call(gh, "DELETE", f"/repos/{REPO}/actions/runs/{old}", token=token).status == 204
    assert call(gh, "GET", f"/repos/{REPO}/actions/runs/{old}", token=token).status == 404
    assert [r.id for r in gh.state.deleted_runs] == [old]
    running = ids({"status": "in_progress"})[0]
    assert call(gh, "DELETE", f"/repos/{REPO}/actions/runs/{running}", token=token).status == 409


def test_repository_dispatch_needs_contents_write_and_is_recorded(gh: FakeGitHub) -> None:
    path = f"/repos/{REPO}/dispatches"
    payload = {"operation": "pip-compile", "id": "abc", "repo": REPO, "pr": 3}
    reader = gh.token({"contents": "read"})
    assert (
        call(
            gh,
            "POST",
            path,
            token=reader,
            body={"event_type": "repowarden", "client_payload": payload},
        ).status
        == 403
    )
    app = gh.token({"contents": "write"}, login="repowarden-app[bot]")
    assert (
        call(
            gh,
            "POST",
            path,
            token=app,
            body={"event_type": "repowarden", "client_payload": payload},
        ).status
        == 204
    )
    too_many = {str(i): i for i in range(11)}
    assert (
        call(
            gh, "POST", path, token=app, body={"event_type": "x", "client_payload": too_many}
        ).status
        == 422
    )
    assert call(gh, "POST", path, token=app, body={"event_type": "x" * 101}).status == 422
    [dispatch] = gh.state.dispatches
    assert (dispatch.event_type, dispatch.client_payload, dispatch.sender) == (
        "repowarden",
        payload,
        "repowarden-app[bot]",
    )


# -- faults and the call log -----------------------------------------------------------


def test_injected_502_twice_then_success_is_retried(
    gh: FakeGitHub, client: type[GitHub], monkeypatch: pytest.MonkeyPatch
) -> None:
    number = gh.add_pull(REPO, author="mallory")
    monkeypatch.setenv("GITHUB_TOKEN", gh.token({"pull-requests": "read"}))
    gh.fail("GET", rf"/pulls/{number}$", status=502, times=2)
    assert client(REPO).get(f"/repos/{REPO}/pulls/{number}")["number"] == number
    assert [c.status for c in gh.calls_matching("GET", rf"/pulls/{number}$")] == [502, 502, 200]


def test_failure_forever_fails_closed(
    gh: FakeGitHub, client: type[GitHub], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", gh.token({"pull-requests": "read"}))
    monkeypatch.setenv("REPOWARDEN_RETRY_BUDGET", "0.3")
    gh.fail(None, r"/reviews", status=503, times=None)
    with pytest.raises(GitHubError, match="503"):
        list(client(REPO).paginate(f"/repos/{REPO}/pulls/1/reviews"))
    assert len(gh.calls_matching("GET", "/reviews")) >= 2


def test_secondary_rate_limit_carries_retry_after(gh: FakeGitHub) -> None:
    gh.fail("GET", r"/pulls$", status=403, times=1, retry_after=0.2)
    token = gh.token({"pull-requests": "read"})
    limited = call(gh, "GET", f"/repos/{REPO}/pulls", token=token)
    assert limited.status == 403
    assert limited.headers["retry-after"] == "0.2"
    assert "secondary rate limit" in limited.json["message"]
    assert call(gh, "GET", f"/repos/{REPO}/pulls", token=token).status == 200
    gh.fail(None, r"/pulls$", status=429, times=1)
    assert call(gh, "GET", f"/repos/{REPO}/pulls", token=token).status == 429


def test_runtime_client_honours_retry_after(
    gh: FakeGitHub, client: type[GitHub], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", gh.token({"pull-requests": "read"}))
    gh.fail("GET", r"/pulls$", status=403, times=1, retry_after=0.3)
    started = time.monotonic()
    assert client(REPO).get(f"/repos/{REPO}/pulls") == []
    assert time.monotonic() - started >= 0.3


def test_slow_answers_time_out_a_short_client(gh: FakeGitHub) -> None:
    gh.slow(r"/pulls$", 0.5, times=1)
    token = gh.token({"pull-requests": "read"})
    with pytest.raises(TimeoutError):
        call(gh, "GET", f"/repos/{REPO}/pulls", token=token, timeout=0.1)
    assert call(gh, "GET", f"/repos/{REPO}/pulls", token=token).status == 200


def test_call_log_records_method_path_query_status_token_and_body(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory")
    token = gh.token({"pull-requests": "write"})
    call(gh, "GET", f"/repos/{REPO}/pulls", token=token, query={"state": "all", "per_page": 5})
    call(
        gh,
        "POST",
        f"/repos/{REPO}/pulls/{number}/requested_reviewers",
        token=token,
        body={"reviewers": ["stranger"]},
    )
    call(gh, "GET", "/nowhere")
    first, second, third = gh.calls
    assert (first.method, first.path, first.query, first.status, first.token, first.body) == (
        "GET",
        f"/repos/{REPO}/pulls",
        {"state": "all", "per_page": "5"},
        200,
        token,
        None,
    )
    assert (second.status, second.body) == (422, {"reviewers": ["stranger"]})
    assert (third.path, third.status, third.token) == ("/nowhere", 404, None)
    assert gh.calls_matching("POST", "requested_reviewers") == [second]
    assert gh.writes() == [second]


def test_unprocessable_reaches_the_runtime_client_as_such(
    gh: FakeGitHub, client: type[GitHub], monkeypatch: pytest.MonkeyPatch
) -> None:
    number = gh.add_pull(REPO, author="mallory")
    monkeypatch.setenv("GITHUB_TOKEN", gh.token({"pull-requests": "write"}))
    with pytest.raises(Unprocessable, match="collaborator"):
        client(REPO).request(
            "POST", f"/repos/{REPO}/pulls/{number}/requested_reviewers", data={"reviewers": ["x"]}
        )


# -- pulls ---------------------------------------------------------------------------------


def test_pull_listing_filters_by_state_head_and_base(gh: FakeGitHub) -> None:
    gh.commit(REPO, {"b": "1"}, branch="release")
    one = gh.add_pull(REPO, author="alice", head_ref="feature")
    two = gh.add_pull(REPO, author="mallory", head_repo="mallory/app", head_ref="patch-1")
    three = gh.add_pull(REPO, author="alice", head_ref="fix", base_ref="release", state="closed")
    token = gh.token({"pull-requests": "read"})

    def numbers(**query: str) -> list[int]:
        return [
            p["number"]
            for p in call(gh, "GET", f"/repos/{REPO}/pulls", token=token, query=query).json
        ]

    assert sorted(numbers()) == [one, two]
    assert numbers(state="closed") == [three]
    assert sorted(numbers(state="all")) == [one, two, three]
    assert numbers(head="mallory:patch-1") == [two]
    assert numbers(head="org:feature") == [one]
    assert numbers(state="all", base="release") == [three]


def test_fork_pull_shape(gh: FakeGitHub) -> None:
    number = gh.add_pull(
        REPO, author="mallory", head_repo="mallory/app", labels=["do-not-merge"], draft=True
    )
    pull = call(
        gh, "GET", f"/repos/{REPO}/pulls/{number}", token=gh.token({"pull-requests": "read"})
    ).json
    assert pull["head"]["repo"]["full_name"] == "mallory/app"
    assert pull["head"]["repo"]["fork"] is True
    assert pull["base"]["repo"]["full_name"] == REPO
    assert pull["user"]["login"] == "mallory"
    assert pull["author_association"] == "NONE"  # no merged pull request here yet
    assert [label["name"] for label in pull["labels"]] == ["do-not-merge"]
    assert pull["draft"] is True
    assert pull["changed_files"] == 1


def test_create_and_update_pull(gh: FakeGitHub) -> None:
    token = gh.token({"pull-requests": "write"}, login="repowarden[bot]")
    path = f"/repos/{REPO}/pulls"
    body = {"title": "Update pins", "head": "repowarden/pip-compile/x", "base": "main"}
    assert call(gh, "POST", path, token=token, body=body).status == 422  # no such branch
    gh.commit(REPO, {"requirements.txt": "x==2\n"}, branch="repowarden/pip-compile/x")
    created = call(gh, "POST", path, token=token, body=body)
    assert created.status == 201
    assert created.json["user"]["login"] == "repowarden[bot]"
    assert call(gh, "POST", path, token=token, body=body).status == 422  # duplicate
    number = created.json["number"]
    closed = call(
        gh, "PATCH", f"{path}/{number}", token=token, body={"state": "closed", "title": "t"}
    )
    assert (closed.json["state"], closed.json["title"]) == ("closed", "t")
    assert closed.json["closed_at"]


def test_runs_filter_by_created_date_qualifiers(gh: FakeGitHub) -> None:
    wf = gh.add_workflow(REPO, path=".github/workflows/check.yml")
    for day in (1, 2, 3):
        gh.add_run(REPO, wf, head_sha=f"{day:040x}", created_at=f"2024-01-0{day}T12:00:00Z")
    token = gh.token({"actions": "read"})

    def days(created: str) -> list[str]:
        runs = call(
            gh, "GET", f"/repos/{REPO}/actions/runs", token=token, query={"created": created}
        ).json["workflow_runs"]
        return sorted(r["created_at"][8:10] for r in runs)

    assert days(">=2024-01-02") == ["02", "03"]
    assert days(">2024-01-02") == ["03"]
    assert days("<=2024-01-02") == ["01", "02"]
    assert days("<2024-01-02") == ["01"]
    assert days("2024-01-02") == ["02"]
    assert days("2024-01-01..2024-01-02") == ["01", "02"]


def test_fork_runs_list_no_pull_requests_like_github(gh: FakeGitHub) -> None:
    wf = gh.add_workflow(REPO, path=".github/workflows/check.yml")
    fork_pr = gh.add_pull(REPO, author="mallory", head_repo="mallory/app")
    own_pr = gh.add_pull(REPO, author="alice", head_ref="feature")
    fork_run = gh.add_run(
        REPO,
        wf,
        head_sha=gh.pull(REPO, fork_pr).head_sha,
        head_repo="mallory/app",
        pull_numbers=[fork_pr],
    )
    own_run = gh.add_run(REPO, wf, head_sha=gh.pull(REPO, own_pr).head_sha, pull_numbers=[own_pr])
    token = gh.token({"actions": "read"})
    fork = call(gh, "GET", f"/repos/{REPO}/actions/runs/{fork_run}", token=token).json
    own = call(gh, "GET", f"/repos/{REPO}/actions/runs/{own_run}", token=token).json
    assert fork["pull_requests"] == []
    assert fork["head_repository"]["full_name"] == "mallory/app"
    assert [p["number"] for p in own["pull_requests"]] == [own_pr]


def test_hang_up_is_a_network_error_the_client_retries(
    gh: FakeGitHub, client: type[GitHub], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", gh.token({"pull-requests": "read"}))
    gh.fail("GET", r"/pulls$", status=0, times=1)
    assert client(REPO).get(f"/repos/{REPO}/pulls") == []
    assert [c.status for c in gh.calls_matching("GET", r"/pulls$")] == [0, 200]


def test_rate_limit_headers_and_primary_limit_injection(gh: FakeGitHub) -> None:
    token = gh.token({"pull-requests": "read"})
    first = call(gh, "GET", f"/repos/{REPO}/pulls", token=token)
    second = call(gh, "GET", f"/repos/{REPO}/pulls", token=token)
    assert first.headers["x-ratelimit-limit"] == "1000"  # a GITHUB_TOKEN's hourly budget
    assert (
        int(second.headers["x-ratelimit-remaining"])
        == int(first.headers["x-ratelimit-remaining"]) - 1
    )
    reset = str(int(time.time()) + 1)
    gh.fail(
        "GET",
        r"/pulls$",
        status=403,
        times=1,
        body={"message": "API rate limit exceeded for installation ID 1."},
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
    )
    limited = call(gh, "GET", f"/repos/{REPO}/pulls", token=token)
    assert (limited.status, limited.headers["x-ratelimit-remaining"]) == (403, "0")
    assert limited.headers["x-ratelimit-reset"] == reset
    assert limited.json["message"].startswith("API rate limit exceeded")


def test_concurrent_writes_are_all_kept(gh: FakeGitHub) -> None:
    import threading

    number = gh.add_pull(REPO, author="mallory")
    token = gh.token({"issues": "write"})
    statuses: list[int] = []

    def post(i: int) -> None:
        answer = call(
            gh,
            "POST",
            f"/repos/{REPO}/issues/{number}/comments",
            token=token,
            body={"body": str(i)},
        )
        statuses.append(answer.status)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [201] * 20
    comments = gh.comments(REPO, number)
    assert sorted(int(c.body) for c in comments) == list(range(20))
    assert len({c.id for c in comments}) == 20
    assert len(gh.calls_matching("POST", "/comments$")) == 20


def test_github_token_acts_as_the_real_actions_bot(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory")
    created = call(
        gh,
        "POST",
        f"/repos/{REPO}/issues/{number}/comments",
        token=gh.token({"pull-requests": "write"}),
        body={"body": "x"},
    ).json
    assert (created["user"]["login"], created["user"]["id"], created["user"]["type"]) == (
        "github-actions[bot]",
        41898282,
        "Bot",
    )


def test_user_ids_stay_unique() -> None:
    gh = FakeGitHub()
    try:
        gh.add_user("trusted-app[bot]", id=1002)
        ids = [gh.add_user(f"user{i}") for i in range(5)]
        assert 1002 not in ids
        with pytest.raises(ValueError, match="trusted-app"):
            gh.add_user("mallory", id=1002)
    finally:
        gh.stop()


def test_fixture_points_gh_host_at_the_running_fake(github: FakeGitHub) -> None:
    import os

    assert os.environ["GH_HOST"] == github.url
    assert github.url.startswith("http://127.0.0.1:")
    assert call(github, "GET", "/users/github-actions[bot]").status == 200


def test_stop_closes_the_port_and_open_connections() -> None:
    import http.client

    gh = FakeGitHub().start()
    port = int(gh.url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/users/github-actions[bot]")
    assert conn.getresponse().read()  # the connection stays open (keep-alive)
    gh.stop()
    assert conn.sock is not None
    assert conn.sock.recv(1) == b""  # the server hung up its side
    conn.close()
    with pytest.raises(ConnectionRefusedError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=5).connect()


def test_a_crash_inside_the_fake_is_a_500_and_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGitHub() as gh:

        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("bug in the fake")

        monkeypatch.setattr(gh.render, "public_user", broken)
        answer = call(gh, "GET", "/users/github-actions[bot]")
        assert answer.status == 500
        assert len(gh.errors) == 1
        assert "bug in the fake" in gh.errors[0]
        assert gh.calls[-1].status == 500


# -- documented refusals (tests/fake_github/RULES.md) -----------------------------------


def test_the_1001st_status_per_sha_and_context_is_422(gh: FakeGitHub) -> None:
    sha = gh.commit(REPO, {"a.txt": "a\n"})
    token = gh.token({"statuses": "write"}, login="bob")
    with gh.state.lock:  # 999 set up directly, the 1,000th and 1,001st through the API
        gh.state.statuses.extend(
            Status(gh.state.new_id("status"), REPO, sha, "pending", "ci", "bob") for _ in range(999)
        )
    path = f"/repos/{REPO}/statuses/{sha}"
    assert (
        call(gh, "POST", path, token=token, body={"state": "success", "context": "ci"}).status
        == 201
    )
    refused = call(gh, "POST", path, token=token, body={"state": "success", "context": "ci"})
    assert refused.status == 422
    assert refused.json["errors"][0]["message"] == (
        "This SHA and context has reached the maximum number of statuses."
    )
    # Another context on the same commit is a fresh count.
    assert (
        call(gh, "POST", path, token=token, body={"state": "success", "context": "lint"}).status
        == 201
    )


def test_github_token_may_not_open_or_approve_pulls_unless_the_repository_allows_it(
    gh: FakeGitHub,
) -> None:
    gh.commit(REPO, {"b.txt": "b\n"}, branch="topic")
    number = gh.add_pull(REPO, author="mallory")
    github_token = gh.token({"pull-requests": "write"})
    create = {"title": "t", "head": "topic", "base": "main"}
    approve = {"event": "APPROVE"}
    reviews = f"/repos/{REPO}/pulls/{number}/reviews"
    refused = call(gh, "POST", f"/repos/{REPO}/pulls", token=github_token, body=create)
    assert (refused.status, refused.json["message"]) == (
        403,
        "GitHub Actions is not permitted to create or approve pull requests.",
    )
    assert call(gh, "POST", reviews, token=github_token, body=approve).status == 403
    # Commenting is not approving; an App's or a person's token is not GitHub Actions.
    comment = {"event": "COMMENT", "body": "noted"}
    assert call(gh, "POST", reviews, token=github_token, body=comment).status == 200
    person = gh.token({"pull-requests": "write"}, login="bob")
    assert call(gh, "POST", reviews, token=person, body=approve).status == 200
    gh.set_workflow_permissions(REPO, can_approve_pull_request_reviews=True)
    assert call(gh, "POST", f"/repos/{REPO}/pulls", token=github_token, body=create).status == 201
    assert call(gh, "POST", reviews, token=github_token, body=approve).status == 200


def test_restricted_dismissals_admit_only_the_named_and_administrators(gh: FakeGitHub) -> None:
    number = gh.add_pull(REPO, author="mallory")
    gh.add_app("gatekeeper", permissions={"pull-requests": "write"})
    gh.restrict_dismissals(REPO, users=["carol"], apps=["gatekeeper"])
    reviews = [gh.add_review(REPO, number, user=f"reviewer{i}") for i in range(4)]

    def answer(review: int, token: str) -> Any:
        path = f"/repos/{REPO}/pulls/{number}/reviews/{review}/dismissals"
        return call(gh, "PUT", path, token=token, body={"message": "stale"})

    def dismiss(review: int, token: str) -> int:
        return int(answer(review, token).status)

    refused = answer(reviews[0], gh.token({"pull-requests": "write"}))
    assert (refused.status, refused.json["message"]) == (
        403,
        "Resource not accessible by integration",
    )
    assert dismiss(reviews[0], gh.token({"pull-requests": "write"}, login="bob")) == 403
    assert dismiss(reviews[0], gh.token({"pull-requests": "write"}, login="carol")) == 200
    assert dismiss(reviews[1], gh.app_token("gatekeeper")) == 200
    assert dismiss(reviews[2], gh.token({"pull-requests": "write"}, login="org")) == 200  # owner
    assert [r.state for r in gh.reviews(REPO, number)] == ["DISMISSED"] * 3 + ["APPROVED"]


def test_repository_dispatch_limits_its_payload(gh: FakeGitHub) -> None:
    token = gh.token({"contents": "write"})
    path = f"/repos/{REPO}/dispatches"

    def send(event_type: str, payload: dict[str, object]) -> int:
        body = {"event_type": event_type, "client_payload": payload}
        return call(gh, "POST", path, token=token, body=body).status

    assert send("x" * 100, {str(i): i for i in range(10)}) == 204
    assert send("x" * 101, {}) == 422
    assert send("op", {str(i): i for i in range(11)}) == 422
    assert send("op", {"big": "y" * 65_520}) == 204
    assert send("op", {"big": "y" * 65_535}) == 422
    assert len(gh.state.dispatches) == 2


def test_collaborator_checks_need_push_access(gh: FakeGitHub) -> None:
    outsider = gh.token({}, login="mallory")
    refused = call(gh, "GET", f"/repos/{REPO}/collaborators/bob", token=outsider)
    assert (refused.status, refused.json["message"]) == (
        403,
        "Must have push access to view repository collaborators.",
    )
    path = f"/repos/{REPO}/collaborators/bob/permission"
    assert call(gh, "GET", path, token=outsider).status == 403
    assert call(gh, "GET", f"/repos/{REPO}/collaborators/bob").status == 401
    writer = gh.token({}, login="carol")
    answer = call(gh, "GET", path, token=writer).json
    assert (answer["permission"], answer["user"]["login"]) == ("write", "bob")
    stranger = call(gh, "GET", f"/repos/{REPO}/collaborators/mallory/permission", token=writer)
    assert stranger.json["permission"] == "read"  # public repository
    # Installation tokens, GITHUB_TOKEN among them, need only metadata: read.
    assert call(gh, "GET", f"/repos/{REPO}/collaborators/bob", token=gh.token({})).status == 204


def test_private_members_are_seen_only_by_members_and_apps_with_members_permission(
    gh: FakeGitHub,
) -> None:
    gh.add_org_member("org", "alice")
    gh.add_org_member("org", "dave", public=False)
    gh.add_app("directory", permissions={"members": "read"})

    def check(token: str | None) -> int:
        return call(gh, "GET", "/orgs/org/members/dave", token=token).status

    def listing(token: str | None) -> list[str]:
        return [u["login"] for u in call(gh, "GET", "/orgs/org/members", token=token).json]

    for outsider in (None, gh.token({}), gh.token({}, login="mallory")):
        assert check(outsider) == 302
        assert listing(outsider) == ["alice"]
    for insider in (gh.app_token("directory"), gh.token({}, login="alice")):
        assert check(insider) == 204
        assert listing(insider) == ["alice", "dave"]


def test_author_association_hides_private_membership(gh: FakeGitHub) -> None:
    gh.add_org_member("org", "alice")
    gh.add_org_member("org", "dave", public=False)
    token = gh.token({"pull-requests": "read"})

    def association(author: str) -> str:
        number = gh.add_pull(REPO, author=author)
        answer = call(gh, "GET", f"/repos/{REPO}/pulls/{number}", token=token)
        return str(answer.json["author_association"])

    assert association("alice") == "MEMBER"
    assert association("dave") == "NONE"
    merged = gh.add_pull(REPO, author="dave", head_ref="old", state="closed")
    gh.pull(REPO, merged).merged = True
    assert association("dave") == "CONTRIBUTOR"
    assert association("bob") == "COLLABORATOR"
    assert association("org") == "OWNER"


# -- GitHub Apps ---------------------------------------------------------------------------


def test_app_tokens_hold_a_subset_of_the_apps_permissions(gh: FakeGitHub) -> None:
    app = gh.add_app(
        "gate",
        id=123456,
        client_id="Iv23liGate",
        permissions={"checks": "write", "statuses": "write"},
    )
    assert (app.bot, gh.state.users["gate[bot]"].type) == ("gate[bot]", "Bot")
    narrow = gh.app_token("gate", permissions={"checks": "write"}, repo=REPO)
    assert gh.state.tokens[narrow].permissions == {"checks": "write"}
    assert gh.state.tokens[gh.app_token("gate")].permissions == {
        "checks": "write",
        "statuses": "write",
    }
    with pytest.raises(ValueError, match="cannot grant contents"):
        gh.app_token("gate", permissions={"contents": "read"})
    with pytest.raises(ValueError, match="cannot grant checks: write"):
        gh.add_app("reader", permissions={"checks": "read"}) and gh.app_token(
            "reader", permissions={"checks": "write"}
        )
    with pytest.raises(KeyError):
        gh.app_token("nobody")
    # The narrow token cannot write statuses, and stays in its repository.
    sha = gh.commit(REPO, {"c.txt": "c\n"})
    body = {"state": "success", "context": "gate"}
    assert call(gh, "POST", f"/repos/{REPO}/statuses/{sha}", token=narrow, body=body).status == 403


def test_an_app_tokens_check_runs_and_statuses_are_the_apps(gh: FakeGitHub) -> None:
    gh.add_app(
        "gate",
        id=123456,
        client_id="Iv23liGate",
        permissions={"checks": "write", "statuses": "write"},
    )
    token = gh.app_token("gate")
    sha = gh.commit(REPO, {"c.txt": "c\n"})
    created = call(
        gh,
        "POST",
        f"/repos/{REPO}/check-runs",
        token=token,
        body={"name": "repowarden/gate", "head_sha": sha, "conclusion": "success"},
    ).json
    assert (created["app"]["slug"], created["app"]["id"], created["app"]["client_id"]) == (
        "gate",
        123456,
        "Iv23liGate",
    )
    assert created["app"]["permissions"] == {
        "metadata": "read",
        "checks": "write",
        "statuses": "write",
    }
    # Only the App that created a check run may update it; GITHUB_TOKEN is another App.
    patch = {"conclusion": "failure"}
    path = f"/repos/{REPO}/check-runs/{created['id']}"
    assert call(gh, "PATCH", path, token=gh.token({"checks": "write"}), body=patch).status == 403
    assert call(gh, "PATCH", path, token=token, body=patch).status == 200
    status = call(
        gh,
        "POST",
        f"/repos/{REPO}/statuses/{sha}",
        token=token,
        body={"state": "success", "context": "gate"},
    ).json
    assert (status["creator"]["login"], status["creator"]["type"]) == ("gate[bot]", "Bot")
    listed = call(
        gh, "GET", f"/repos/{REPO}/commits/{sha}/check-runs", token=token, query={"app_id": 123456}
    ).json
    assert [c["name"] for c in listed["check_runs"]] == ["repowarden/gate"]
