"""`python -m repowarden.runtime`: dispatching to commands, exit codes for bad use, and
what a job pays in imports before its command runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from repowarden.runtime.__main__ import main, parser_for
from repowarden.runtime.commands import MODULES, all_commands, load
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


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_command_takes_the_one_shared_config_option(name: str) -> None:
    # Declared once, in __main__: a command declaring it again would make argparse
    # refuse to build the parser.
    config = next(a for a in parser_for(name)._actions if "--config" in a.option_strings)
    assert config.default == ".github/repowarden.yml"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_command_takes_exactly_its_declared_options(name: str) -> None:
    """The generator passes an option's flag only to commands that declare it; any
    other command refuses it as a bad argument."""
    parser = parser_for(name)
    declared = {option.flag for option in load(name).options}
    for flag in ("--compare-commits", "--remove-requests"):
        if flag in declared:
            assert getattr(parser.parse_args([flag]), flag[2:].replace("-", "_")) is True
            assert getattr(parser.parse_args([]), flag[2:].replace("-", "_")) is False
        else:
            with pytest.raises(SystemExit):
                parser.parse_args([flag])


def test_runs_as_a_module_in_a_fresh_process() -> None:
    result = subprocess.run(
        [sys.executable, "-P", "-m", "repowarden.runtime", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "verify-generated" in result.stdout


# What a job pays for at start-up: pydantic (config and event models), the HTTP stack
# under ghapi, and the YAML parser. Usage and argument errors need none of them.
HEAVY = (
    "pydantic",
    "pydantic_core",
    "ghapi",
    "fastcore",
    "fasttransport",
    "httpx2",
    "httpcore2",
    "ruamel",
)
# Runs the entry point as `python -m` does, then reports which packages it imported.
PROBE = """
import json, runpy, sys
sys.argv = ["repowarden.runtime", *json.loads(sys.argv[1])]
try:
    runpy.run_module("repowarden.runtime", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def imported_by(*argv: str, cwd: Path | None = None) -> tuple[int, set[str]]:
    """Exit code and the top-level packages a fresh `python -m repowarden.runtime` imported."""
    proc = subprocess.run(
        [sys.executable, "-P", "-c", PROBE, json.dumps(argv)],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        ((), Exit.BAD_INPUT),
        (("--help",), Exit.OK),
        (("approve-everything",), Exit.BAD_INPUT),
        (("check", "--help"), Exit.OK),
        (("check", "--no-such-flag"), Exit.BAD_INPUT),
        # --snapshot and --repo exclude each other (argparse refuses before any import)
        (("explain", "--snapshot", "pr.json", "--repo", "o/r"), Exit.BAD_INPUT),
        (("verify", "--help"), Exit.OK),
        (("operate", "--no-such-flag"), Exit.BAD_INPUT),
    ],
)
def test_usage_and_argument_errors_import_neither_pydantic_nor_the_http_stack(
    argv: tuple[str, ...], code: int
) -> None:
    got, modules = imported_by(*argv)
    assert got == code
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))


def test_loading_every_command_imports_none_of_what_they_run_with() -> None:
    probe = (
        "import json, sys\n"
        "from repowarden.runtime.commands import all_commands\n"
        "all_commands()\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    proc = subprocess.run(
        [sys.executable, "-P", "-c", probe], capture_output=True, text=True, check=True
    )
    assert not set(json.loads(proc.stdout)) & set(HEAVY)


def test_a_command_imports_what_it_uses_and_no_more() -> None:
    explain = Path(__file__).parent / "data" / "explain"
    code, modules = imported_by(
        "explain",
        "--config",
        str(explain / "repowarden.yml"),
        "--snapshot",
        str(explain / "external-approved.json"),
    )
    # explain reads the config (pydantic, ruamel) but never talks to GitHub here.
    assert code == Exit.OK
    assert {"pydantic", "ruamel"} <= modules
    assert not modules & {"ghapi", "fastcore", "fasttransport", "httpx2", "httpcore2"}
