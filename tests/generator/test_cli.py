"""`repowarden generate` as a user runs it: write, check, drift, ownership, exit codes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from fake_github import FakeGitHub
from repowarden.generator import build
from repowarden.generator.cli import Exit, main
from repowarden.runtime.generated import MANIFEST_PATH, read_manifest, split_header, with_header
from support.imports import cli_imports
from support.tree import tree_digest

TELEPORT = Path(__file__).parents[2] / "examples/teleport/.github/repowarden.yml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".github/workflows").mkdir(parents=True)
    shutil.copy(TELEPORT, tmp_path / ".github/repowarden.yml")
    (tmp_path / ".github/workflows/ci.yml").write_text("name: ci\n")
    (tmp_path / ".github/dependabot.yml").write_text("version: 2\n")
    (tmp_path / "README.md").write_text("hello\n")
    return tmp_path


def generate(repo: Path, *args: str) -> int:
    return main(["generate", "--root", str(repo), *args])


def theirs(repo: Path) -> dict[str, str]:
    """The digest of every file that is not generated (the user's own)."""
    return {
        path: digest
        for path, digest in tree_digest(repo).items()
        if digest.startswith("file")
        and split_header((repo / path).read_text(errors="replace"))[0] is None
    }


def test_generate_then_check_is_clean_and_writes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    own = theirs(repo)
    assert generate(repo) == Exit.OK
    assert (repo / ".github/workflows/repowarden-check.yml").is_file()
    assert (repo / ".github/repowarden/repowarden/runtime/__main__.py").is_file()
    assert theirs(repo) == own  # nothing else touched
    after = tree_digest(repo)
    capsys.readouterr()
    assert generate(repo, "--check") == Exit.OK
    out = capsys.readouterr()
    assert out.out == ""
    assert "generated files are current" in out.err
    assert tree_digest(repo) == after


def test_output_is_byte_identical_run_after_run(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = tmp_path_factory.mktemp("other")
    shutil.copytree(repo, other, dirs_exist_ok=True)
    assert generate(repo) == Exit.OK
    first = tree_digest(repo)
    assert generate(repo) == Exit.OK
    assert tree_digest(repo) == first
    # a fresh process in another directory gives the same bytes
    done = subprocess.run(
        [sys.executable, "-P", "-m", "repowarden.generator", "generate", "--root", str(other)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert tree_digest(other) == first


def test_a_config_edit_is_drift_until_regenerated(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate(repo) == Exit.OK
    config = repo / ".github/repowarden.yml"
    config.write_text(config.read_text().replace('"0,30 * * * *"', '"15 * * * *"'))
    before = tree_digest(repo)
    capsys.readouterr()
    assert generate(repo, "--check") == Exit.DRIFT
    out = capsys.readouterr()
    assert tree_digest(repo) == before
    # a unified diff per file on stdout: the schedule itself, and the manifest
    assert "--- a/.github/workflows/repowarden-dismiss.yml\n" in out.out
    assert '-    - cron: "0,30 * * * *"' in out.out or "0,30 * * * *" in out.out
    assert "15 * * * *" in out.out
    assert ".github/workflows/repowarden-dismiss.yml: stale" in out.err
    assert "run `repowarden generate`" in out.err
    assert generate(repo) == Exit.OK
    assert generate(repo, "--check") == Exit.OK


def test_a_hand_edit_is_reported_and_generate_restores_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate(repo) == Exit.OK
    workflow = repo / ".github/workflows/repowarden-check.yml"
    original = workflow.read_text()
    workflow.write_text(original.replace("permissions: {}", "permissions: write-all", 1))
    capsys.readouterr()
    assert generate(repo, "--check") == Exit.DRIFT
    out = capsys.readouterr()
    assert "+permissions: {}" in out.out
    assert "-permissions: write-all" in out.out
    assert "repowarden-check.yml: edited by hand" in out.err
    assert generate(repo) == Exit.OK
    assert workflow.read_text() == original


def test_a_deleted_file_is_missing_and_an_old_one_is_removed(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate(repo) == Exit.OK
    (repo / ".github/CODEOWNERS").unlink()
    # a file a previous version generated (listed in its manifest) that this one does not
    old = repo / ".github/workflows/repowarden-retired.yml"
    old.write_text((repo / ".github/workflows/repowarden-check.yml").read_text())
    manifest = read_manifest(repo)
    assert manifest is not None
    listed = replace(manifest, files=(*manifest.files, ".github/workflows/repowarden-retired.yml"))
    (repo / MANIFEST_PATH).write_text(with_header(listed.render()))
    capsys.readouterr()
    assert generate(repo, "--check") == Exit.DRIFT
    err = capsys.readouterr().err
    assert ".github/CODEOWNERS: missing" in err
    assert ".github/workflows/repowarden-retired.yml: no longer generated" in err
    own = theirs(repo)
    assert generate(repo) == Exit.OK
    assert (repo / ".github/CODEOWNERS").is_file()
    assert not old.exists()
    assert theirs(repo) == own


def test_a_foreign_file_in_the_way_is_a_conflict(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".github/CODEOWNERS").write_text("* @someone\n")
    before = tree_digest(repo)
    assert generate(repo) == Exit.CONFLICT
    assert ".github/CODEOWNERS" in capsys.readouterr().err
    assert tree_digest(repo) == before


def test_a_failed_write_exits_5_and_changes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".github/actions").write_text("a file where a folder must go\n")
    before = tree_digest(repo)
    assert generate(repo) == Exit.WRITE_FAILED
    assert "nothing was changed" in capsys.readouterr().err
    assert tree_digest(repo) == before


def test_an_invariant_violation_exits_4_and_writes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(config: object, text: str, name: str) -> dict[str, str]:
        raise build.InvariantError(["repowarden-check.yml: [permissions] write-all"])

    monkeypatch.setattr(build, "plan", broken)
    before = tree_digest(repo)
    assert generate(repo) == Exit.INVARIANT
    assert "break security invariants" in capsys.readouterr().err
    assert tree_digest(repo) == before


def test_config_elsewhere_is_named_in_the_manifest(repo: Path) -> None:
    moved = repo / "config" / "repowarden.yml"
    moved.parent.mkdir()
    (repo / ".github/repowarden.yml").rename(moved)
    assert generate(repo, "--config", str(moved)) == Exit.OK
    manifest = read_manifest(repo)
    assert manifest is not None
    assert manifest.config == "config/repowarden.yml"
    assert generate(repo, "--config", str(moved), "--check") == Exit.OK


def test_config_outside_the_root_is_bad_input(
    repo: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "repowarden.yml"
    shutil.copy(TELEPORT, outside)
    before = tree_digest(repo)
    assert generate(repo, "--config", str(outside)) == Exit.BAD_INPUT
    assert "outside the repository root" in capsys.readouterr().err
    assert tree_digest(repo) == before


def test_without_root_the_repository_is_found_from_a_subfolder(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    monkeypatch.chdir(repo / ".github/workflows")
    assert main(["generate", "-q"]) == Exit.OK
    assert (repo / ".github/workflows/repowarden-check.yml").is_file()
    assert not (repo / ".github/workflows/.github").exists()


def test_quiet_prints_nothing_on_success_but_still_prints_errors(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-q", "generate", "--root", str(repo)]) == Exit.OK
    assert generate(repo, "--check", "-q") == Exit.OK
    assert capsys.readouterr().err == ""
    (repo / ".github/repowarden.yml").write_text("repository: nope\n")
    assert generate(repo, "-q") == Exit.BAD_INPUT
    assert "repository" in capsys.readouterr().err


def test_version_names_the_installed_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    assert main(["--version"]) == Exit.OK
    assert capsys.readouterr().out == f"repowarden {version('repowarden')}\n"


def test_help_documents_every_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--help"]) == Exit.OK
    out = capsys.readouterr().out
    for code in Exit:
        assert f"  {int(code)}  " in out


def test_no_command_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == Exit.BAD_INPUT


def test_the_console_script_is_installed(repo: Path) -> None:
    script = Path(sys.executable).parent / "repowarden"
    done = subprocess.run(
        [str(script), "generate", "--root", str(repo)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "written" in done.stderr


def test_generate_does_not_import_the_dispatch_client_or_copier(repo: Path) -> None:
    # `generate --check` runs in pre-commit hooks: keep ghapi and copier out of it.
    unwanted = ("copier", "ghapi", "repowarden.runtime.dispatch.client")
    assert cli_imports(["generate", "--root", str(repo)], unwanted) == (0, [])


def test_dispatch_sends_the_operation_through_the_runtime_client(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    github.add_repo("octo/hello")
    github.add_workflow("octo/hello", path=".github/workflows/repowarden-dispatch.yml")
    token = github.token({"contents": "write", "actions": "read"}, login="octo-bot[bot]")
    monkeypatch.setenv("GITHUB_TOKEN", token)
    # No runner picks the dispatch up here, so the client gives up finding its jobs.
    args = ["dispatch", "octo/hello", "pip-compile", "--pr", "7"]
    assert main([*args, "--find-timeout", "0.05", "--interval", "0.01"]) == Exit.DRIFT
    [sent] = github.state.dispatches
    assert sent.event_type == "repowarden"
    assert sent.client_payload["operation"] == "pip-compile"
    assert sent.client_payload["pr"] == 7
    assert f"with id {sent.client_payload['id']}" in capsys.readouterr().out


def test_dispatch_refuses_bad_arguments_before_calling_github(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", github.token({"contents": "write"}))
    assert main(["dispatch", "octo/hello", "pip-compile", "--pr", "-1"]) == Exit.BAD_INPUT
    assert main(["dispatch", "not a repo", "pip-compile"]) == Exit.BAD_INPUT
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.delenv("GH_TOKEN", raising=False)
    assert main(["dispatch", "octo/hello", "pip-compile"]) == Exit.BAD_INPUT
    assert "never taken as arguments" in capsys.readouterr().err
    assert github.calls == []


@pytest.mark.parametrize(
    "example",
    sorted(p.parent.parent.name for p in (TELEPORT.parents[2]).glob("*/.github/repowarden.yml")),
)
def test_committed_example_output_is_current(
    example: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Refresh with: repowarden generate --root examples/<name>
    root = Path(__file__).parents[2] / "examples" / example
    assert generate(root, "--check") == Exit.OK, capsys.readouterr().err
