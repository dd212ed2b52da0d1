"""The runner environment as the runtime reads it."""

from __future__ import annotations

from pathlib import Path

import pytest
from repowarden.runtime.context import RunContext
from repowarden.runtime.errors import BadInput


def runner_env(tmp_path: Path) -> dict[str, str]:
    return {
        "GITHUB_EVENT_NAME": "pull_request_target",
        "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_RUN_ID": "77",
        "GITHUB_RUN_ATTEMPT": "2",
        "GITHUB_RUN_NUMBER": "41",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "RUNNER_TEMP": str(tmp_path),
    }


def test_reads_the_runner_environment(tmp_path: Path) -> None:
    ctx = RunContext.from_env(runner_env(tmp_path))
    assert ctx.repository == "o/r"
    assert ctx.run_attempt == 2
    assert ctx.run_number == 41
    assert ctx.run_url == "https://github.com/o/r/actions/runs/77"
    ctx.write_summary("| a |")
    ctx.write_summary("| b |\n")
    assert (tmp_path / "summary.md").read_text() == "| a |\n| b |\n"
    ctx.set_output("pr", "12")
    assert (tmp_path / "output").read_text() == "pr=12\n"


def test_outputs_cannot_smuggle_extra_lines(tmp_path: Path) -> None:
    ctx = RunContext.from_env(runner_env(tmp_path))
    with pytest.raises(ValueError, match="single-line"):
        ctx.set_output("pr", "12\nGITHUB_TOKEN=x")


def test_outside_a_runner_the_message_says_what_is_missing(tmp_path: Path) -> None:
    env = runner_env(tmp_path)
    del env["GITHUB_EVENT_PATH"], env["GITHUB_REPOSITORY"]
    with pytest.raises(BadInput, match="GITHUB_EVENT_PATH, GITHUB_REPOSITORY not set"):
        RunContext.from_env(env)


@pytest.mark.parametrize("name", ["GITHUB_RUN_ATTEMPT", "GITHUB_RUN_NUMBER"])
def test_a_bad_run_attempt_or_number_is_bad_input(tmp_path: Path, name: str) -> None:
    env = runner_env(tmp_path) | {name: "two"}
    with pytest.raises(BadInput, match=name):
        RunContext.from_env(env)
