"""The dispatcher client against the fake GitHub, with Actions played by the test.

`sleep` is injected: each poll's wait is where the test lets "Actions" move on
(create the run and its jobs, then finish them), so no test sleeps for real.
"""

from __future__ import annotations

import argparse
import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fake_github import FakeGitHub
from repowarden.runtime.config import DISPATCH_ID_RE
from repowarden.runtime.dispatch import client

DATA = Path(__file__).parent / "data"
WORKFLOW = ".github/workflows/repowarden-dispatch.yml"
CLIENT_PERMS = {"contents": "write", "actions": "read"}


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    client.add_arguments(parser)
    return parser.parse_args(
        ["o/r", "pip-compile", "--interval", "1", "--find-timeout", "5", *argv]
    )


class Actions:
    """Plays GitHub Actions: turns the dispatch into a run with named jobs, step by step."""

    def __init__(self, gh: FakeGitHub, conclusion: str = "success") -> None:
        self.gh, self.conclusion = gh, conclusion
        gh.add_repo("o/r")
        self.workflow = gh.add_workflow("o/r", path=WORKFLOW)
        other = gh.add_run("o/r", self.workflow, head_sha="a" * 40, event="repository_dispatch")
        # Decoys: another dispatch's jobs, and a name that only starts like ours.
        gh.add_job("o/r", other, name="unprivileged-someone-else")
        self.now = 0.0
        self.steps: list[Callable[[str], None]] = [self.start, self.finish]
        self.run_id = 0

    @property
    def sent(self) -> dict[str, Any]:
        (dispatch,) = self.gh.state.dispatches
        return dict(dispatch.client_payload)

    def start(self, ident: str) -> None:
        self.run_id = self.gh.add_run(
            "o/r",
            self.workflow,
            head_sha="b" * 40,
            event="repository_dispatch",
            status="in_progress",
            conclusion=None,
        )
        self.gh.add_job(
            "o/r", self.run_id, name=f"unprivileged-{ident}", status="in_progress", conclusion=None
        )
        self.gh.add_job("o/r", self.run_id, name=f"privileged-{ident}x", status="completed")

    def finish(self, ident: str) -> None:
        with self.gh.state.lock:
            for job in self.gh.state.jobs:
                if job.run_id == self.run_id:
                    job.status, job.conclusion = "completed", "success"
            (run,) = [r for r in self.gh.state.runs if r.id == self.run_id]
        self.gh.add_job("o/r", self.run_id, name=f"privileged-{ident}", conclusion=self.conclusion)
        with self.gh.state.lock:
            run.status, run.conclusion = "completed", self.conclusion

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.steps:
            self.steps.pop(0)(self.sent["id"])

    def clock(self) -> float:
        return self.now


def test_dispatch_sends_a_fresh_id_and_prints_the_job_urls(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    actions = Actions(github)
    token = github.token(CLIENT_PERMS)
    code = client.dispatch(
        parse("--pr", "3"),
        environ={"GITHUB_TOKEN": token},
        sleep=actions.sleep,
        clock=actions.clock,
    )
    out = capsys.readouterr().out
    assert code == 0
    sent = actions.sent
    assert set(sent) == {"operation", "id", "repo", "pr"}
    assert (sent["operation"], sent["repo"], sent["pr"]) == ("pip-compile", "o/r", 3)
    assert DISPATCH_ID_RE.match(sent["id"])
    (dispatch,) = github.state.dispatches
    assert dispatch.event_type == "repowarden"
    assert f"unprivileged-{sent['id']}: in_progress" in out
    assert "someone-else" not in out
    assert f"privileged-{sent['id']}x" not in out  # exact names only
    assert "/actions/runs/" in out


def test_ids_are_fresh_each_time() -> None:
    ids = {client.new_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(DISPATCH_ID_RE.match(i) for i in ids)


@pytest.mark.parametrize(("conclusion", "code"), [("success", 0), ("failure", 1)])
def test_watch_follows_the_jobs_to_their_conclusion(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str], conclusion: str, code: int
) -> None:
    actions = Actions(github, conclusion=conclusion)
    token = github.token(CLIENT_PERMS)
    result = client.dispatch(
        parse("--watch"), environ={"GH_TOKEN": token}, sleep=actions.sleep, clock=actions.clock
    )
    captured = capsys.readouterr()
    assert result == code
    ident = actions.sent["id"]
    assert f"privileged-{ident}: {conclusion}" in captured.out
    if code:
        assert f"failed: privileged-{ident}=failure" in captured.err
    else:
        assert captured.out.rstrip().endswith("success")


@pytest.mark.parametrize(
    ("unprivileged", "privileged"), [("skipped", "skipped"), ("success", "skipped")]
)
def test_watch_reports_failure_when_the_jobs_were_skipped(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str], unprivileged: str, privileged: str
) -> None:
    # A sender the workflow's gate refuses: every job is skipped, which is not success.
    actions = Actions(github, conclusion=privileged)

    def finish_skipped(ident: str) -> None:
        actions.finish(ident)
        with github.state.lock:
            for job in github.state.jobs:
                if job.run_id == actions.run_id:
                    job.conclusion = (
                        unprivileged if job.name.startswith("unprivileged-") else privileged
                    )

    actions.steps = [actions.start, finish_skipped]
    result = client.dispatch(
        parse("--watch"),
        environ={"GH_TOKEN": github.token(CLIENT_PERMS)},
        sleep=actions.sleep,
        clock=actions.clock,
    )
    err = capsys.readouterr().err
    assert result == 1
    if unprivileged == "skipped":
        assert f"unprivileged-{actions.sent['id']} did not succeed (skipped)" in err
    assert "no privileged job succeeded" in err


def test_watch_gives_up_after_its_timeout(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    actions = Actions(github)
    actions.steps = [actions.start]  # the jobs never finish
    token = github.token(CLIENT_PERMS)
    result = client.dispatch(
        parse("--watch", "--timeout", "3"),
        environ={"GITHUB_TOKEN": token},
        sleep=actions.sleep,
        clock=actions.clock,
    )
    assert result == 1
    assert "still running after 3s" in capsys.readouterr().err


def test_no_jobs_means_failure_with_a_hint(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    actions = Actions(github)
    actions.steps = []  # the sender is not trusted: nothing ever runs
    token = github.token(CLIENT_PERMS)
    result = client.dispatch(
        parse(), environ={"GITHUB_TOKEN": token}, sleep=actions.sleep, clock=actions.clock
    )
    assert result == 1
    assert "is the workflow installed and the sender trusted" in capsys.readouterr().err


def test_token_only_from_the_environment(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    Actions(github)
    assert client.dispatch(parse(), environ={}) == 2
    assert "set GITHUB_TOKEN or GH_TOKEN" in capsys.readouterr().err
    parser = argparse.ArgumentParser()
    client.add_arguments(parser)
    assert not any("token" in opt for action in parser._actions for opt in action.option_strings)
    assert github.state.dispatches == []


def test_a_token_without_contents_write_sends_nothing(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    Actions(github)
    token = github.token({"contents": "read", "actions": "read"})
    assert client.dispatch(parse(), environ={"GITHUB_TOKEN": token}) == 3
    assert "POST /repos/o/r/dispatches failed (HTTP 403)" in capsys.readouterr().err
    assert github.state.dispatches == []


def test_the_workflow_name_is_one_quoted_path_segment(github: FakeGitHub) -> None:
    # Unquoted, `#` would end the path and the rest would never reach GitHub.
    actions = Actions(github)
    actions.steps = []
    args = parse("--find-timeout", "1")
    args.workflow = "odd#name.yml"
    code = client.dispatch(
        args,
        environ={"GITHUB_TOKEN": github.token(CLIENT_PERMS)},
        sleep=actions.sleep,
        clock=actions.clock,
    )
    assert code in (1, 3)
    assert github.calls_matching("GET", r"/actions/workflows/odd%23name\.yml/runs$")


def test_bad_arguments_send_nothing(github: FakeGitHub) -> None:
    Actions(github)
    token = {"GITHUB_TOKEN": github.token(CLIENT_PERMS)}
    bad_repo = parse()
    bad_repo.repository = "o/r/../x"
    assert client.dispatch(bad_repo, environ=token) == 2
    bad_op = parse()
    bad_op.operation = "x\n::error::y"
    assert client.dispatch(bad_op, environ=token) == 2
    # The client holds operation names to the config's rule: one word.
    two_words = parse()
    two_words.operation = "pip compile"
    assert client.dispatch(two_words, environ=token) == 2
    with pytest.raises(SystemExit):
        parse("--pr", "0")
    assert github.state.dispatches == []


# -- match_check_run --------------------------------------------------------------------------


def check_run(name: str, **changes: Any) -> dict[str, Any]:
    payload = json.loads((DATA / "check_run.json").read_text())
    payload["check_run"]["name"] = name
    for key, value in changes.items():
        target, _, field = key.partition("__")
        (payload[target] if field else payload)[field or key] = value
    return copy.deepcopy(payload)


REPO_ID = 186853002  # the example's repository id


def test_match_check_run_accepts_exactly_our_jobs() -> None:
    assert client.match_check_run(check_run("unprivileged-abc"), {"abc"}, REPO_ID) == "abc"
    assert client.match_check_run(check_run("privileged-abc"), {"abc"}, REPO_ID) == "abc"


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (check_run("unprivileged-zzz"), "an id we did not issue"),
        (check_run("unprivileged-abc\n"), "a trailing newline"),
        (check_run("xunprivileged-abc"), "a prefix"),
        (check_run("unprivileged-abc-2"), "a longer id"),
        (check_run("Unprivileged-abc"), "another case"),
        (check_run("unprivileged-abc", repository__id=1), "another repository"),
        (check_run("unprivileged-abc", repository__id=str(REPO_ID)), "an id as string"),
        (check_run("unprivileged-abc", check_run__app={"slug": "evil-app"}), "another app"),
        (check_run("unprivileged-abc", check_run__app=None), "no app"),
        ({"check_run": "x"}, "a malformed payload"),
        ([], "not an object"),
    ],
)
def test_match_check_run_refuses(payload: Any, why: str) -> None:
    assert client.match_check_run(payload, {"abc"}, REPO_ID) is None, why


def test_run_takes_an_argv_list(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Actions(github)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    assert client.run(["o/r", "pip-compile"]) == 2
    assert "set GITHUB_TOKEN or GH_TOKEN" in capsys.readouterr().err
