"""`repowarden protect`: the settings printed, and --apply against the fake GitHub over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fake_github import FakeGitHub
from repowarden.generator.cli import main

EXAMPLES = Path(__file__).parents[2] / "examples"
APP = EXAMPLES / "app"
TRIO = EXAMPLES / "trio"
ADMIN = {"administration": "write"}


def protect(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["protect", *args])
    out, err = capsys.readouterr()
    return code, out, err


def printed(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = protect(capsys, *args)
    assert code == 0, err
    return json.loads(out)


def test_without_an_app_the_status_of_github_actions_is_required(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = printed(capsys, "--root", str(TRIO))
    body = plan["branch_protection"]["body"]
    assert plan["branch_protection"]["request"] == (
        "PUT /repos/python-trio/trio/branches/main/protection"
    )
    assert body["required_status_checks"]["checks"] == [
        {"context": "repowarden/review", "app_id": 15368}
    ]
    assert body["required_pull_request_reviews"]["require_code_owner_reviews"] is True
    assert "environment" not in plan


def test_with_an_app_its_check_and_a_default_branch_only_environment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = printed(capsys, "--root", str(APP))
    checks = plan["branch_protection"]["body"]["required_status_checks"]["checks"]
    assert checks == [{"context": "repowarden/review", "app_id": 1234567}]
    env = plan["environment"]
    assert env["request"] == "PUT /repos/example-org/gadget/environments/repowarden-app"
    assert env["body"] == {
        "deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True}
    }
    assert env["deployment_branch_policies"]["bodies"] == [{"name": "main", "type": "branch"}]
    assert env["secret"] == "REPOWARDEN_APP_PRIVATE_KEY"


def test_a_merge_queue_needs_a_ruleset(capsys: pytest.CaptureFixture[str]) -> None:
    plan = printed(capsys, "--root", str(APP), "--merge-queue")
    assert "branch_protection" not in plan
    rules = {rule["type"]: rule for rule in plan["ruleset"]["body"]["rules"]}
    assert set(rules) == {"pull_request", "required_status_checks", "merge_queue"}
    assert rules["required_status_checks"]["parameters"]["required_status_checks"] == [
        {"context": "repowarden/review", "integration_id": 1234567}
    ]
    assert rules["pull_request"]["parameters"]["require_code_owner_review"] is True
    plain = printed(capsys, "--root", str(APP), "--ruleset")
    assert "merge_queue" not in {rule["type"] for rule in plain["ruleset"]["body"]["rules"]}


def test_the_app_manifest_asks_for_what_the_gate_uses(capsys: pytest.CaptureFixture[str]) -> None:
    manifest = printed(capsys, "--root", str(APP), "--app-manifest")
    assert manifest["default_permissions"] == {
        "checks": "write",
        "pull_requests": "read",
        "metadata": "read",
        "members": "read",  # the example's review.external.org
    }
    assert manifest["public"] is False
    assert manifest["default_events"] == []
    assert len(manifest["name"]) <= 34


def test_the_app_manifest_adds_what_the_review_options_need(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """keep_approvals_on_update_merge: the gate reads the compare API (contents: read);
    remove_requests: it withdraws review requests (pull-requests: write)."""
    config = (
        (APP / ".github" / "repowarden.yml")
        .read_text()
        .replace(
            "external: {approvals: 2, org: example-org}",
            "external: {approvals: 2, org: example-org, keep_approvals_on_update_merge: true}\n"
            "  assign: {remove_requests: true}",
        )
    )
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "repowarden.yml").write_text(config)
    manifest = printed(capsys, "--root", str(tmp_path), "--app-manifest")
    assert manifest["default_permissions"] == {
        "checks": "write",
        "contents": "read",
        "pull_requests": "write",
        "metadata": "read",
        "members": "read",
    }


def test_the_app_manifest_adds_what_dispatch_pushes_need(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # trio's operations push results; with an App, apply pushes and opens PRs as it.
    config = (TRIO / ".github" / "repowarden.yml").read_text()
    app = "app: {id: 7, client_id: Iv23liTrio0001, slug: trio-warden}\n"
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "repowarden.yml").write_text(config + app)
    manifest = printed(capsys, "--root", str(tmp_path), "--app-manifest")
    assert manifest["default_permissions"] == {
        "checks": "write",
        "contents": "write",
        "pull_requests": "write",
        "metadata": "read",
        "members": "read",  # trio's review.external.org
    }


def _fake_repo(github: FakeGitHub) -> None:
    github.add_repo("example-org/gadget")


def test_apply_shows_the_diff_then_sets_everything_once(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_repo(github)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", github.token(ADMIN, login="maintainer-one"))
    # An environment someone opened to every branch, with a stray policy.
    env = "/repos/example-org/gadget/environments/repowarden-app"
    token = github.token(ADMIN)
    from fake_github.client import call

    call(
        github,
        "PUT",
        env,
        token=token,
        body={
            "deployment_branch_policy": {
                "protected_branches": False,
                "custom_branch_policies": True,
            }
        },
    )
    call(
        github,
        "POST",
        f"{env}/deployment-branch-policies",
        token=token,
        body={"name": "release/*", "type": "branch"},
    )
    github.calls.clear()

    code, out, err = protect(capsys, "--root", str(APP), "--apply")
    assert code == 0, err
    assert "+++ b/branch protection (wanted)" in out
    assert '+        "app_id": 1234567,' in out
    assert '-  "branch:release/*"' in out
    assert '+  "branch:main"' in out
    assert "applied to example-org/gadget" in out
    protection = call(
        github, "GET", "/repos/example-org/gadget/branches/main/protection", token=token
    ).json
    assert protection["required_status_checks"]["checks"] == [
        {"context": "repowarden/review", "app_id": 1234567}
    ]
    assert protection["required_pull_request_reviews"]["require_code_owner_reviews"] is True
    policies = call(github, "GET", f"{env}/deployment-branch-policies", token=token).json
    assert [p["name"] for p in policies["branch_policies"]] == ["main"]
    # The token came from the environment, never from the command line.
    assert {c.token for c in github.writes()} == {__import__("os").environ["GITHUB_TOKEN"]}

    github.calls.clear()
    code, out, _ = protect(capsys, "--root", str(APP), "--apply")
    assert code == 0
    assert "branch protection: unchanged" in out
    assert "environment: unchanged" in out
    assert "deployment branches: unchanged" in out
    assert github.writes() == []


def test_apply_a_ruleset_creates_then_updates_it(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_repo(github)
    monkeypatch.setenv("GH_TOKEN", github.token(ADMIN))
    assert protect(capsys, "--root", str(APP), "--ruleset", "--apply")[0] == 0
    assert [c.method for c in github.calls_matching(None, r"/rulesets")] == ["GET", "POST"]
    code, out, _ = protect(capsys, "--root", str(APP), "--merge-queue", "--apply")
    assert code == 0
    assert '"type": "merge_queue"' in out
    assert github.calls_matching("PUT", r"/rulesets/\d+$")


def test_apply_needs_an_admin_token_from_the_environment(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_repo(github)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    code, _, err = protect(capsys, "--root", str(APP), "--apply")
    assert code == 2
    assert "GH_TOKEN or GITHUB_TOKEN" in err
    assert github.calls == []

    monkeypatch.setenv("GITHUB_TOKEN", github.token({"pull-requests": "write"}))
    code, _, err = protect(capsys, "--root", str(APP), "--apply")
    assert code == 3
    assert "failed (HTTP 403)" in err
    assert "Traceback" not in err


def test_a_bad_config_is_refused_with_its_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/repowarden.yml").write_text("repository: nope\n")
    code, out, err = protect(capsys, "--root", str(tmp_path))
    assert code == 2
    assert out == ""
    assert ".github/repowarden.yml:1:" in err
