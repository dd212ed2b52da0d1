"""The unprivileged side's environment and its formatter venv."""

from __future__ import annotations

import json

import pytest
from fake_github import FakeGitHub
from repowarden.runtime.dispatch.operations import scrubbed_env
from support.dispatch_pipeline import Pipeline

SIX = (
    "six==1.17.0 \\\n"
    "    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274 \\\n"
    "    --hash=sha256:ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81\n"
)
USES_SIX = """\
import pathlib, six, sys
report = f"VERSION = {six.__version__!r}\\nPYTHON = {sys.executable!r}\\n"
pathlib.Path("src/demo/__init__.py").write_text(report)  # format edits existing files
"""


def test_scrubbed_env_keeps_the_basics_and_drops_every_credential() -> None:
    env = scrubbed_env(
        {
            "PATH": "/usr/bin",
            "HOME": "/home/runner",
            "LANG": "C.UTF-8",
            "GITHUB_REPOSITORY": "o/r",
            "GITHUB_TOKEN": "ghs_x",
            "GH_TOKEN": "x",
            "gh_enterprise_token": "x",
            "ACTIONS_RUNTIME_TOKEN": "x",
            "ACTIONS_RESULTS_URL": "x",
            "ACTIONS_ID_TOKEN_REQUEST_URL": "x",
            "PYPI_PASSWORD": "x",
            "AWS_SECRET_ACCESS_KEY": "x",
            "SSH_PRIVATE_KEY": "x",
            "INPUT_TOKEN": "x",
            "REPOWARDEN_ARGS": "x",
            "GITHUB_ENV": "/x",
            "GITHUB_PATH": "/x",
            "GITHUB_OUTPUT": "/x",
            "GITHUB_STATE": "/x",
            "GITHUB_STEP_SUMMARY": "/x",
        }
    )
    assert env == {
        "PATH": "/usr/bin",
        "HOME": "/home/runner",
        "LANG": "C.UTF-8",
        "GITHUB_REPOSITORY": "o/r",
    }


def test_a_missing_formatter_is_a_clear_failure(pipeline: Pipeline) -> None:
    text = pipeline.config_path.read_text()
    start = text.index("      commands: ")
    end = text.index("\n", start)
    pipeline.config_path.write_text(
        text[:start] + '      commands: [["no-such-formatter-xyz", "."]]' + text[end:]
    )
    outcome = pipeline.unprivileged(pipeline.event("format", id="nf"))
    assert outcome.code == 1
    assert "program 'no-such-formatter-xyz' not found" in outcome.out


@pytest.mark.slow
def test_formatters_come_from_the_trusted_hash_pinned_file(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    github.commit("o/r", {"tools/use_six.py": USES_SIX})
    pipeline.sha = pipeline.head()
    text = pipeline.config_path.read_text()
    start = text.index("      commands: ")
    end = text.index("\n", start)
    pipeline.config_path.write_text(
        text[:start]
        + json.dumps([["python", "tools/use_six.py"]]).join(["      commands: ", ""])
        + "\n      requirements: tools/format-requirements.txt"
        + text[end:]
    )
    # The default-branch checkout ($GITHUB_WORKSPACE) holds the pinned file, not the target.
    workspace = pipeline.job_dir("unprivileged") / "workspace"
    (workspace / "tools").mkdir(parents=True)
    (workspace / "tools" / "format-requirements.txt").write_text(SIX)
    outcome = pipeline.unprivileged(pipeline.event("format", id="venv"))
    assert outcome.code == 0, outcome.out + outcome.err
    patch = (pipeline.artifacts("unprivileged") / "patch.diff").read_text()
    assert "+VERSION = '1.17.0'" in patch
    venv = pipeline.job_dir("unprivileged") / "temp" / "repowarden-format-venv"
    assert f"+PYTHON = '{venv / 'bin' / 'python'}'" in patch


@pytest.mark.slow
def test_an_unpinned_formatter_requirement_is_refused(pipeline: Pipeline) -> None:
    text = pipeline.config_path.read_text()
    start = text.index("      commands: ")
    end = text.index("\n", start)
    pipeline.config_path.write_text(
        text[:end] + "\n      requirements: tools/format-requirements.txt" + text[end:]
    )
    workspace = pipeline.job_dir("unprivileged") / "workspace"
    (workspace / "tools").mkdir(parents=True)
    (workspace / "tools" / "format-requirements.txt").write_text("six\n")
    outcome = pipeline.unprivileged(pipeline.event("format", id="unpinned"))
    assert outcome.code == 1
    assert "format: install the tools of format-requirements.txt: " in outcome.out
    assert not (pipeline.artifacts("unprivileged") / "manifest.json").exists()


def test_missing_requirements_file_is_a_failure(pipeline: Pipeline) -> None:
    text = pipeline.config_path.read_text()
    end = text.index("\n", text.index("      commands: "))
    pipeline.config_path.write_text(
        text[:end] + "\n      requirements: tools/format-requirements.txt" + text[end:]
    )
    outcome = pipeline.unprivileged(pipeline.event("format", id="nofile"))
    assert outcome.code == 1
    assert "format: tools/format-requirements.txt not found in" in outcome.out
