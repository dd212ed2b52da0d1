"""`python -m repowarden.runtime`: dispatching to commands, and exit codes for bad use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from repowarden.runtime.__main__ import main
from repowarden.runtime.commands import MODULES, all_commands
from repowarden.runtime.errors import Exit


def test_no_command_is_bad_input_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == Exit.BAD_INPUT
    assert "usage:" in capsys.readouterr().out


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == Exit.OK
    out = capsys.readouterr().out
    assert all(name in out for name in MODULES)


def test_an_unknown_command_names_the_valid_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["approve-everything"]) == Exit.BAD_INPUT
    err = capsys.readouterr().err
    assert "unknown command 'approve-everything'" in err
    assert "check" in err


def test_bad_arguments_are_bad_input_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["explain", "--no-such-flag"]) == Exit.BAD_INPUT
    assert "Traceback" not in capsys.readouterr().err


def test_an_invalid_config_is_reported_with_its_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "repowarden.yml"
    config.write_text("repository: o/r\nreview: {reviewers: {alice: [bob]}, admins: [bob]}\n")
    snapshot = tmp_path / "pr.json"
    snapshot.write_text("{}")
    code = main(["explain", "--config", str(config), "--snapshot", str(snapshot)])
    assert code == Exit.BAD_INPUT
    err = capsys.readouterr().err
    assert f"{config}:2:" in err
    assert "'*' entry is missing" in err


def test_every_registered_command_loads_under_its_own_name() -> None:
    assert [command.name for command in all_commands()] == list(MODULES)


def test_runs_as_a_module_in_a_fresh_process() -> None:
    result = subprocess.run(
        [sys.executable, "-P", "-m", "repowarden.runtime", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "verify-generated" in result.stdout
