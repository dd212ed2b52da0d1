"""explain: the policy's answer for one pull request, as JSON, from a snapshot or live."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_github import FakeGitHub
from repowarden.runtime.__main__ import main
from repowarden.runtime.commands import load
from support.least_privilege import assert_least_privilege
from support.runner import Outcome

DATA = Path(__file__).parents[1] / "data" / "explain"
CONFIG = str(DATA / "repowarden.yml")


def explain(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object], str]:
    code = main(["explain", "--config", CONFIG, *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else {}), err


def test_external_contributor_approved_on_the_head(capsys: pytest.CaptureFixture[str]) -> None:
    code, answer, _ = explain(capsys, "--snapshot", str(DATA / "external-approved.json"))
    assert code == 0
    assert answer == {
        "approved": True,
        "missing": [],
        "reasons": [
            "mallory is an external contributor: 2 approval(s) from admin1, admin2 "
            "on the head commit are needed",
            "approved by admin1, admin2",
        ],
    }


def test_approvals_of_an_older_commit_are_missing(capsys: pytest.CaptureFixture[str]) -> None:
    code, answer, _ = explain(capsys, "--snapshot", str(DATA / "external-stale.json"))
    assert code == 1
    assert answer["approved"] is False
    assert answer["missing"] == ["admin1", "admin2"]
    assert (
        "approvals on older commits do not count: admin1, admin2 (head is c0ffee0)"
        in (
            answer["reasons"]  # type: ignore[operator]
        )
    )


def test_change_request_outlives_a_later_comment(capsys: pytest.CaptureFixture[str]) -> None:
    code, answer, _ = explain(capsys, "--snapshot", str(DATA / "internal-missing.json"))
    assert code == 1
    assert answer == {
        "approved": False,
        "missing": ["carol"],
        "reasons": [
            "alice is in the reviewers map: all of bob, carol must approve",
            "2 approval(s) needed, 1 (bob) so far",
            "changes requested by carol",
        ],
    }


def test_members_make_an_internal_author_and_the_label_still_blocks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, answer, _ = explain(capsys, "--snapshot", str(DATA / "member-blocked.json"))
    assert code == 1
    assert answer["missing"] == []
    assert answer["reasons"] == [
        "dave is a public member of acme without a map entry: all of admin1, admin2 must approve",
        "the label 'do-not-merge' blocks merging whatever the approvals",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "is not JSON"),
        ("[]", 'must be an object with "pull"'),
        ('{"pull": {"number": 1}}', "does not hold GitHub's pull/review shapes: KeyError"),
        ('{"pull": {}, "reviews": {}}', '"reviews" must be a list'),
    ],
)
def test_broken_snapshot_is_bad_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "snap.json"
    path.write_text(text, encoding="utf-8")
    code, answer, err = explain(capsys, "--snapshot", str(path))
    assert (code, answer) == (2, {})
    assert message in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--repo", "acme/widget"], "give --pr N"),
        (["--repo", "not a repo", "--pr", "3"], "is not OWNER/NAME"),
        (["--snapshot", "x.json", "--repo", "acme/widget"], "not allowed with argument"),
        ([], "give --pr N, a pull request number (or --snapshot FILE)"),
        (["--snapshot", "absent.json"], "cannot read the snapshot absent.json"),
    ],
)
def test_bad_arguments_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = explain(capsys, *args)
    assert code == 2
    assert message in err


def test_invalid_config_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "repowarden.yml"
    config.write_text("repository: acme/widget\nreview:\n  admins: [a]\n", encoding="utf-8")
    code = main(
        ["explain", "--config", str(config), "--snapshot", str(DATA / "external-stale.json")]
    )
    assert code == 2
    assert "review.reviewers: Field required" in capsys.readouterr().err


def test_live_pull_request_read_only(
    capsys: pytest.CaptureFixture[str], github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    github.add_repo("acme/widget")
    github.add_org_member("acme", "dave")
    pr = github.add_pull("acme/widget", author="dave", head_repo="dave/widget")
    github.add_review("acme/widget", pr, user="admin1", state="COMMENTED", body="looks fine")
    github.add_review("acme/widget", pr, user="admin2")
    monkeypatch.setenv("GITHUB_TOKEN", github.token({"pull-requests": "read"}))

    code, answer, _ = explain(capsys, "--repo", "acme/widget", "--pr", str(pr))
    assert code == 1
    assert answer["missing"] == ["admin1"]
    assert answer["reasons"][0] == (  # type: ignore[index]
        "dave is a public member of acme without a map entry: all of admin1, admin2 must approve"
    )
    assert [(c.method, c.path) for c in github.calls] == [
        ("GET", f"/repos/acme/widget/pulls/{pr}"),
        ("GET", f"/repos/acme/widget/pulls/{pr}/reviews"),
        ("GET", "/orgs/acme/public_members/dave"),
    ]


def test_live_needs_only_pull_requests_read(
    capsys: pytest.CaptureFixture[str], github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    github.add_repo("acme/widget")

    def attempt(token: str) -> Outcome:
        pr = github.add_pull("acme/widget", author="alice", head_ref=f"b{len(github.calls)}")
        monkeypatch.setenv("GITHUB_TOKEN", token)
        code, _, err = explain(capsys, "--repo", "acme/widget", "--pr", str(pr))
        # Not approved is a fine answer here: explain only reads.
        return Outcome(0 if code in (0, 1) else code, "", err, "")

    assert_least_privilege(load("explain"), github, attempt)


def test_github_failure_exits_3(
    capsys: pytest.CaptureFixture[str], github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    github.add_repo("acme/widget")
    monkeypatch.setenv("GITHUB_TOKEN", github.token({"pull-requests": "read"}))
    monkeypatch.setenv("REPOWARDEN_RETRY_BUDGET", "0.1")
    monkeypatch.setenv("REPOWARDEN_BACKOFF", "0.01")
    code, answer, err = explain(capsys, "--repo", "acme/widget", "--pr", "7")
    assert (code, answer) == (3, {})
    assert "GET /repos/acme/widget/pulls/7 failed (HTTP 404)" in err


TELEPORT = str(Path(__file__).parents[3] / "examples/teleport-rules/.github/repowarden.yml")


def test_rules_are_explained_one_by_one(capsys: pytest.CaptureFixture[str]) -> None:
    """Each rule: matched and why (which files, which condition), what it requires,
    who approved, what is missing."""
    code = main(
        ["explain", "--config", TELEPORT, "--snapshot", str(DATA / "teleport-rules-docs.json")]
    )
    answer = json.loads(capsys.readouterr().out)
    assert code == 1
    rules = {rule["rule"]: rule for rule in answer["rules"]}
    assert list(rules) == [
        "admin approval",
        "large change",
        "release",
        "empty changeset",
        "code",
        "code and docs",
    ]
    docs = rules["code and docs"]
    assert docs["matched"] is True
    assert docs["conditions"][0] == (
        "holds: paths: 1 file(s) match (docs/pages/database-access/x.mdx)"
    )
    assert docs["requires"] == (
        "2 approval(s) from core-owners + core + docs, at least one of them from core-owners"
    )
    assert docs["approved_by"] == ["rosstimothy"]
    assert docs["missing"].startswith("1 more approval(s) from r0mant, zmb3, codingllama")
    assert rules["large change"]["conditions"][1] == (
        "fails: size: 41 net changed lines < 1500 (generated/vendored files not counted)"
    )
    assert rules["code"]["matched"] is False


def test_update_merge_keeps_external_approvals(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Teleport's former exemption, from the recorded compare answer: the new head
    only merged the base branch (no file of the PR changed), so the approvals stay."""
    snapshot = str(DATA / "teleport-rules-update-merge.json")
    code = main(["explain", "--config", TELEPORT, "--snapshot", snapshot])
    answer = json.loads(capsys.readouterr().out)
    assert code == 0, answer
    assert answer["reasons"][-1] == "approved by r0mant, zmb3"
    # Without the compare answer nothing shows the head only merged the base branch.
    data = json.loads(Path(snapshot).read_text())
    del data["compares"]
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(data), encoding="utf-8")
    assert main(["explain", "--config", TELEPORT, "--snapshot", str(bare)]) == 1
    answer = json.loads(capsys.readouterr().out)
    assert answer["missing"] == ["r0mant", "zmb3", "klizhentas"]


def test_the_repository_defaults_to_the_configs_and_gh_token_is_read(
    capsys: pytest.CaptureFixture[str], github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As a maintainer with the gh CLI runs it: GH_TOKEN set, no --repo.
    github.add_repo("acme/widget")
    pr = github.add_pull("acme/widget", author="dave", head_repo="dave/widget")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("GH_TOKEN", github.token({"pull-requests": "read"}))
    code, answer, _ = explain(capsys, "--pr", str(pr))
    assert code == 1
    assert answer["approved"] is False
    assert github.calls[0].path == f"/repos/acme/widget/pulls/{pr}"


def test_explain_is_a_subcommand_of_the_repowarden_cli(capsys: pytest.CaptureFixture[str]) -> None:
    from repowarden.generator.cli import main as cli

    snapshot = str(DATA / "external-stale.json")
    code = cli(["explain", "--config", CONFIG, "--snapshot", snapshot])
    cli_out = capsys.readouterr().out
    assert code == main(["explain", "--config", CONFIG, "--snapshot", snapshot])
    assert cli_out == capsys.readouterr().out
    assert json.loads(cli_out)["approved"] is False
