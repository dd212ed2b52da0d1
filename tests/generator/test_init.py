"""Scaffolding with real copier: from a git tag, `copier update` to a newer tag, and init."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from copier import run_copy, run_update
from repowarden.generator.build import SCHEMA_MODELINE
from repowarden.generator.cli import Exit, main
from repowarden.runtime.config import load_config
from support.tree import tree_digest

PROJECT = Path(__file__).parents[2]
ANSWERS = {
    "repository": "octo-org/hello",
    "admins": "[alice]",  # no default: the owner is often an organisation
    "reviewers": '{alice: [bob], "*": [alice, bob]}',
}


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def commit_all(cwd: Path, message: str) -> None:
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "-m", message)


def template_repo(where: Path) -> Path:
    """A git repository holding a copy of this project's tree, tagged v0.0.1+test.

    (copier reads tags as PEP 440 versions to update; `v0.0.1-test` would not parse.)
    """
    listed = git(PROJECT, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
    for rel in filter(None, listed):
        source = PROJECT / rel
        if source.is_file():
            (where / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, where / rel)
    git(where, "init", "-q", "-b", "main")
    commit_all(where, "project tree")
    git(where, "tag", "v0.0.1+test")
    return where


def check(root: Path) -> int:
    return main(["generate", "--root", str(root), "--check"])


@pytest.mark.slow
def test_copy_from_a_git_tag_then_update_to_a_newer_tag(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    src = template_repo(tmp_path / "template")
    dst = tmp_path / "project"

    # 1. scaffold: one step leaves the config and every generated file
    run_copy(str(src), dst, data=ANSWERS, defaults=True, unsafe=True, vcs_ref="v0.0.1+test")
    config = dst / ".github/repowarden.yml"
    assert config.read_text().startswith(SCHEMA_MODELINE + "\n")
    assert load_config(config).review.reviewers == {"alice": ["bob"], "*": ["alice", "bob"]}
    assert (dst / ".github/workflows/repowarden-check.yml").is_file()
    assert "_commit: v0.0.1+test" in (dst / ".copier-answers.yml").read_text()
    assert check(dst) == Exit.OK

    # 2. the project edits its config and regenerates, as users do
    git(dst, "init", "-q", "-b", "main")
    commit_all(dst, "scaffold")
    config.write_text(config.read_text().replace('["bob"]', '["bob", "carol"]'))
    assert main(["generate", "--root", str(dst)]) == Exit.OK
    commit_all(dst, "carol reviews alice")

    # 3. a newer template version asks a new question whose answer lands in the config
    with (src / "templates/copier/questions.yml").open("a") as questions:
        questions.write(
            "\ndismiss_schedule:\n  type: str\n  help: cron\n  default: '15,45 * * * *'\n"
        )
    with (src / "templates/copier/template/.github/repowarden.yml.jinja").open("a") as body:
        body.write("dismiss:\n  schedule: {{ dismiss_schedule | to_json }}\n")
    commit_all(src, "ask for the dismiss schedule")
    git(src, "tag", "v0.0.2+test")

    run_update(dst, defaults=True, unsafe=True, overwrite=True, vcs_ref="v0.0.2+test")
    capfd.readouterr()

    # the project's edit stays, the new version's answer arrives, generated files follow
    updated = load_config(config)
    assert updated.review.reviewers["alice"] == ["bob", "carol"]
    assert updated.dismiss.schedule == "15,45 * * * *"
    assert 'cron: "15,45 * * * *"' in (dst / ".github/workflows/repowarden-dismiss.yml").read_text()
    assert check(dst) == Exit.OK
    assert "_commit: v0.0.2+test" in (dst / ".copier-answers.yml").read_text()
    status = git(dst, "status", "--porcelain")
    assert not [line for line in status.splitlines() if line[:2] in ("UU", "AA", "??")], status
    assert not list(dst.rglob("*.rej"))


@pytest.mark.slow
def test_copier_folds_an_existing_codeowners_into_the_config(tmp_path: Path) -> None:
    src = template_repo(tmp_path / "template")
    dst = tmp_path / "project"
    (dst / ".github").mkdir(parents=True)
    (dst / ".github/CODEOWNERS").write_text("/docs/ @alice\n")
    run_copy(str(src), dst, data=ANSWERS, defaults=True, unsafe=True, vcs_ref="v0.0.1+test")
    config = load_config(dst / ".github/repowarden.yml")
    assert [(r.pattern, r.owners) for r in config.codeowners] == [("/docs/", ["@alice"])]
    assert "/docs/ @alice\n" in (dst / ".github/CODEOWNERS").read_text()
    assert check(dst) == Exit.OK


def init(dst: Path, *data: str, defaults: bool = True) -> int:
    args = ["init", str(dst), *(f"--data={d}" for d in data)]
    return main([*args, "--defaults"] if defaults else args)


def test_init_scaffolds_and_generates_from_the_packaged_template(tmp_path: Path) -> None:
    dst = tmp_path / "new"
    status = init(
        dst,
        "repository=octo-org/hello",
        "admins=[alice]",
        "operations=[pip-compile, build-and-publish]",
        "dispatcher_login=octo-bot[bot]",
        "dispatcher_id=4242",
    )
    assert status == Exit.OK
    config = load_config(dst / ".github/repowarden.yml")
    assert config.review.reviewers == {"*": ["alice"]}
    assert config.review.external.approvals == 1  # capped by the one '*' reviewer
    assert config.dispatch is not None
    assert [s.id for s in config.dispatch.senders] == [4242]
    assert [op.kind for op in config.dispatch.operations] == ["pip-compile", "build-and-publish"]
    assert (dst / ".github/workflows/repowarden-dispatch.yml").is_file()
    assert check(dst) == Exit.OK
    # not from git: copier could never update it, so no answers file pretends it could
    assert not (dst / ".copier-answers.yml").exists()


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (["repository=not a repo", "admins=[alice]"], "must be owner/name"),
        (["repository=octo-org/hello", "admins=[al]", "reviewers=[bob]"], 'with a "*" entry'),
        (
            ["repository=octo-org/hello", "operations=[pip-compile]", "dispatcher_id=x"],
            "dispatcher_id=x: must be a whole number",
        ),
        (
            ["repository=octo-org/hello", "admins=[al]", "operations=pip-compile"],
            "--data dispatcher_id: required",
        ),
        (
            ["repository=octo-org/hello", "admins=[al]", "operations=[pip-compile, lint]"],
            "--data operations=[pip-compile, lint]: lint not among pip-compile, format",
        ),
        (["repository=octo-org/hello", "admins=[al]", "reviewer=x"], "did you mean 'reviewers'"),
        (["repository=octo-org/hello"], "--data admins: required, --defaults has no answer"),
        (
            ["repository=octo-org/hello", "admins=[al]", "operations=[format]", "dispatcher_id=4"],
            "--data dispatcher_type: required",
        ),
    ],
    ids=[
        "repository",
        "reviewers-not-a-map",
        "sender-id-not-an-integer",
        "a-single-operation-is-a-list-of-one",
        "unknown-operation",
        "typo-in-a-key",
        "no-default-admins-from-the-owner",
        "a-dispatcher-not-named-a-bot-is-asked-for-its-type",
    ],
)
def test_init_refuses_bad_answers_and_leaves_the_directory_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: list[str], says: str
) -> None:
    (tmp_path / "README.md").write_text("hello\n")
    before = tree_digest(tmp_path)
    assert init(tmp_path, *data, "dispatcher_login=octo-bot") == Exit.BAD_INPUT
    err = capsys.readouterr().err
    assert says in err
    assert "Traceback" not in err
    assert tree_digest(tmp_path) == before


def test_init_names_every_missing_answer_on_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert init(tmp_path, "operations=[pip-compile]") == Exit.BAD_INPUT
    lines = capsys.readouterr().err.splitlines()
    missing = [line.split("--data ")[1].split(":")[0] for line in lines if "required" in line]
    assert missing == [
        "repository",
        "admins",
        "dispatcher_login",
        "dispatcher_type",
        "dispatcher_id",
    ]


def test_a_human_dispatcher_is_written_as_a_user(tmp_path: Path) -> None:
    data = ["repository=octo-org/hello", "admins=[alice, bob]", "operations=pip-compile"]
    sender = ["dispatcher_login=carol", "dispatcher_type=User", "dispatcher_id=7"]
    assert init(tmp_path, *data, *sender) == Exit.OK
    config = load_config(tmp_path / ".github/repowarden.yml")
    assert config.dispatch is not None
    assert [(s.login, s.type) for s in config.dispatch.senders] == [("carol", "User")]


def test_init_removes_the_config_when_generate_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # copier's checks pass, the generator's do not: 'bad_login' is no GitHub login
    before = tree_digest(tmp_path)
    assert init(tmp_path, "repository=octo-org/hello", "admins=[bad_login]") == Exit.BAD_INPUT
    err = capsys.readouterr().err
    assert ".github/repowarden.yml:" in err
    assert "is not a GitHub login" in err
    assert tree_digest(tmp_path) == before
    # into a directory that did not exist: it does not exist afterwards either
    assert init(tmp_path / "new", "repository=octo-org/hello", "admins=[bad_login]") == 2
    assert not (tmp_path / "new").exists()


def test_init_never_overwrites_an_existing_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/repowarden.yml").write_text("repository: mine/mine\n")
    before = tree_digest(tmp_path)
    assert init(tmp_path, "repository=octo-org/hello", "admins=[al]") == Exit.BAD_INPUT
    assert "already exists" in capsys.readouterr().err
    assert tree_digest(tmp_path) == before


def test_init_rejects_data_without_a_value(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--data", "repository"]) == Exit.BAD_INPUT
    assert "expected KEY=VALUE" in capsys.readouterr().err


def test_root_copier_yml_and_the_packaged_one_share_their_questions() -> None:
    root = (PROJECT / "copier.yml").read_text()
    packaged = (PROJECT / "templates/copier/copier.yml").read_text()
    assert "!include templates/copier/questions.yml" in root
    assert "_subdirectory: templates/copier/template" in root
    assert "!include questions.yml" in packaged
    assert "_subdirectory: template" in packaged
    # the template renders only the config (and the answers file when copied from git)
    rendered = sorted(
        p.relative_to(PROJECT / "templates/copier/template").as_posix()
        for p in (PROJECT / "templates/copier/template").rglob("*")
        if p.is_file()
    )
    assert rendered == [
        ".github/repowarden.yml.jinja",
        "{% if _copier_conf.vcs_ref_hash %}{{ _copier_conf.answers_file }}{% endif %}.jinja",
    ]


@pytest.mark.slow
def test_init_runs_as_a_console_command(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "repowarden"
    done = subprocess.run(
        [
            str(script),
            "init",
            str(tmp_path),
            "--defaults",
            "-d",
            "repository=octo/hi",
            "-d",
            "admins=[al]",
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert check(tmp_path) == Exit.OK
