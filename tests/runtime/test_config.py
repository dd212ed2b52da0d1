"""The config model: what is accepted, and how each mistake is reported."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from repowarden.runtime.config import (
    DISPATCH_ID_RE,
    LOGIN_RE,
    OWNER_REPO_RE,
    TEAM_RE,
    Config,
    ConfigError,
    load_config,
    parse_config,
)

VALID = """\
repository: python-trio/trio
review:
  reviewers:
    alice: [bob, carol]
    "*": [admin1, admin2]
  admins: [admin1]
dispatch:
  senders: [{login: "trio-bot[bot]", id: 4242}]
  operations:
    - {kind: pip-compile, requirements: [test-requirements.in]}
    - {kind: format, commands: [[ruff, format, .]], paths: ["src/**"]}
    - {kind: build-and-publish, project: trio}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(textwrap.dedent(text), "repowarden.yml")
    return [str(p) for p in info.value.problems]


def test_valid_config_has_documented_defaults() -> None:
    config = parse_config(VALID)
    assert config.default_branch == "main"
    # Off :00 and :30, when GitHub delays and drops scheduled runs most; hourly: the
    # sweep costs about 2 calls per open pull request (issue 10).
    assert config.dismiss.schedule == "17 * * * *"
    assert config.dismiss.delete_runs is False
    assert config.review.external.approvals == 2
    assert config.review.external.dismiss_on_push is True
    assert config.review.blocking_label == "do-not-merge"
    assert config.review.status_context == "repowarden/review"
    assert config.dispatch is not None
    assert [op.name for op in config.dispatch.operations] == ["pip-compile", "format", "release"]
    assert config.dispatch.operation("pip-compile").allowed_paths == ["test-requirements.txt"]


def test_entry_for_compares_logins_case_insensitively() -> None:
    review = parse_config(VALID).review
    assert review.entry_for("ALICE") == ["bob", "carol"]
    assert review.entry_for("mallory") is None
    assert review.is_bot("Dependabot[bot]")
    assert review.is_bot("someone", user_type="Bot")
    assert not review.is_bot("alice")


def test_missing_star_entry_is_reported_with_location() -> None:
    (problem,) = problems(
        """\
        repository: o/r
        review:
          reviewers: {alice: [bob]}
          admins: [bob]
        """
    )
    assert problem.startswith("repowarden.yml:3:3: review.reviewers:")
    assert "'*' entry is missing" in problem


def test_reviewers_value_not_a_list() -> None:
    (problem,) = problems(
        """\
        repository: o/r
        review:
          reviewers:
            alice: bob
            "*": [admin]
          admins: [admin]
        """
    )
    assert problem.startswith("repowarden.yml:4:5: review.reviewers.alice:")
    assert "valid list" in problem


def test_every_problem_is_reported_once_with_its_own_line() -> None:
    found = problems(
        """\
        repository: o/r
        bogus: 1
        review:
          reviewers: {"*": [admin]}
          admins: ["bad login!"]
        dismiss:
          schedule: "* * *"
        """
    )
    assert len(found) == 3
    assert found[0].startswith("repowarden.yml:2:1: bogus: unknown key")
    assert found[1].startswith("repowarden.yml:5:12: review.admins.0:")
    assert "not a GitHub login" in found[1]
    assert found[2].startswith("repowarden.yml:7:3: dismiss.schedule:")
    assert "five fields" in found[2]


@pytest.mark.parametrize(
    "value",
    ['"a\\"b"', '"a\'b"', '"line\\nbreak"', '"${{ github.token }}"', '"$(id)"', '"`id`"'],
)
def test_strings_that_could_escape_yaml_or_a_shell_are_refused(value: str) -> None:
    (problem,) = problems(
        f"""\
        repository: o/r
        review:
          reviewers: {{"*": [admin]}}
          admins: [admin]
          blocking_label: {value}
        """
    )
    assert "review.blocking_label" in problem
    assert "must not contain" in problem


def test_empty_reviewer_set_and_self_review_only() -> None:
    found = problems(
        """\
        repository: o/r
        review:
          reviewers: {alice: [], bob: [Bob], "*": [admin]}
          admins: [admin]
        """
    )
    (problem,) = found
    assert "'alice' has no reviewers" in problem
    assert "'bob' lists only themselves" in problem


def test_sender_id_must_be_an_integer_and_operations_unique() -> None:
    found = problems(
        """\
        repository: o/r
        review: {reviewers: {"*": [admin]}, admins: [admin], external: {approvals: 1}}
        dispatch:
          senders: [{login: bot, id: "12"}]
          operations:
            - {kind: pip-compile, requirements: [a.in]}
            - {kind: pip-compile, requirements: [b.in]}
        """
    )
    assert len(found) == 2
    assert "dispatch.senders.0.id" in found[0]
    assert "valid integer" in found[0]
    assert "duplicated: pip-compile" in found[1]


def test_external_approvals_cannot_exceed_star_reviewers() -> None:
    (problem,) = problems(
        """\
        repository: o/r
        review: {reviewers: {"*": [admin]}, admins: [admin]}
        """
    )
    assert "external.approvals is 2" in problem


def test_unknown_operation_kind_lists_the_valid_ones() -> None:
    (problem,) = problems(
        """\
        repository: o/r
        review: {reviewers: {"*": [a, b]}, admins: [a]}
        dispatch:
          senders: [{login: bot, id: 1}]
          operations: [{kind: deploy}]
        """
    )
    assert "pip-compile, format, build-and-publish" in problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ":1:1: the config is empty"),
        ("repository: [unclosed\n", "not valid YAML"),
        ("- a\n- b\n", "must be a YAML mapping"),
    ],
)
def test_files_that_are_not_a_config(text: str, expected: str) -> None:
    (problem,) = problems(text)
    assert expected in problem


def test_unreadable_and_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.yml")
    with pytest.raises(ConfigError, match="cannot read the config"):
        load_config(tmp_path)  # a directory
    binary = tmp_path / "binary.yml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="cannot read the config"):
        load_config(binary)


def test_patch_paths_must_stay_inside_the_repository() -> None:
    found = problems(
        """\
        repository: o/r
        review: {reviewers: {"*": [a, b]}, admins: [a]}
        dispatch:
          senders: [{login: bot, id: 1}]
          operations: [{kind: format, commands: [[black, .]], paths: ["../etc/**", /abs]}]
        """
    )
    assert len(found) == 2
    assert all("repository-relative path" in p for p in found)


def test_schema_is_available_for_editors() -> None:
    schema = Config.model_json_schema()
    assert schema["additionalProperties"] is False
    assert {"repository", "review"} <= set(schema["required"])


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("abc-DEF_123", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("$(id)", False),
        ("a\nb", False),
        ("d1\n", False),  # `$` would let a final newline through
        ("../x", False),
        ("", False),
    ],
)
def test_dispatch_id_pattern(value: str, ok: bool) -> None:
    assert bool(DISPATCH_ID_RE.match(value)) is ok


@pytest.mark.parametrize(
    ("pattern", "value"),
    [(LOGIN_RE, "alice\n"), (OWNER_REPO_RE, "o/r\n"), (TEAM_RE, "@o/team\n")],
)
def test_identity_patterns_refuse_a_final_newline(pattern: re.Pattern[str], value: str) -> None:
    assert pattern.match(value) is None
    assert pattern.match(value.rstrip("\n")) is not None


def test_operation_names_are_one_word() -> None:
    (problem,) = problems(
        """\
        repository: o/r
        review: {reviewers: {"*": [a, b]}, admins: [a]}
        dispatch:
          senders: [{login: bot, id: 1}]
          operations: [{kind: build-and-publish, name: "two words", project: p}]
        """
    )
    assert problem.startswith("repowarden.yml:5:42: dispatch.operations.0.name:")
    assert "one word of letters, digits and '._-'" in problem


RUNNER_CONFIG = """\
repository: o/r
runner: {runner}
review: {{reviewers: {{"*": [a, b]}}, admins: [a]}}
dispatch:
  senders: [{{login: bot, id: 1}}]
  operations: [{{kind: build-and-publish, project: p}}]
"""


@pytest.mark.parametrize("runner", ["self-hosted", "Self-Hosted", "SELF-HOSTED"])
def test_untrusted_dispatch_code_never_runs_on_a_self_hosted_runner(runner: str) -> None:
    config = RUNNER_CONFIG.format(runner=runner)
    for text in (config, config + "  custom_runner_is_github_hosted: true\n"):
        (problem,) = problems(text)
        assert problem.startswith("repowarden.yml:4:1: dispatch:")
        assert "must not run on a self-hosted runner" in problem


def test_a_custom_runner_label_needs_the_explicit_opt_in() -> None:
    # A self-hosted runner can carry any label; only the config owner can say this
    # one names a GitHub-hosted larger runner.
    config = RUNNER_CONFIG.format(runner="linux-16-core")
    (problem,) = problems(config)
    assert "`runner: linux-16-core` is not a GitHub-hosted Linux image" in problem
    assert "dispatch.custom_runner_is_github_hosted: true" in problem
    opted_in = parse_config(config + "  custom_runner_is_github_hosted: true\n")
    assert opted_in.runner == "linux-16-core"
    assert parse_config(RUNNER_CONFIG.format(runner="ubuntu-24.04-arm")).dispatch is not None


def test_app_is_optional_and_validated() -> None:
    assert parse_config(VALID).app is None
    config = parse_config(
        VALID + "app: {id: 123456, client_id: Iv23liAbCdEf0123, slug: trio-warden}\n"
    )
    assert config.app is not None
    assert config.app.environment == "repowarden-app"
    assert config.app.private_key_secret == "REPOWARDEN_APP_PRIVATE_KEY"
    assert config.app.bot_login == "trio-warden[bot]"
    found = problems(
        VALID + "app: {id: 0, client_id: 'x y', slug: Trio, private_key_secret: GITHUB_KEY}\n"
    )
    assert [p.split(": ", 1)[1].split(":")[0] for p in found] == [
        "app.id",
        "app.client_id",
        "app.slug",
        "app.private_key_secret",
    ]


def with_schedule(schedule: str) -> str:
    return VALID + f'dismiss: {{schedule: "{schedule}"}}\n'


@pytest.mark.parametrize(
    ("schedule", "says"),
    [
        ("61 * * * *", "minute 61 is out of range 0-59"),
        ("0 25 * * *", "hour 25 is out of range 0-23"),
        ("0 0 0 * *", "day of the month 0 is out of range 1-31"),
        ("0 0 * 13 *", "month 13 is out of range 1-12"),
        ("0 0 * * 7", "day of the week 7 is out of range 0-6"),
        ("0 0 * * FUNDAY", "day of the week 'FUNDAY' is not a number 0-6 or SUN-SAT"),
        ("*/0 * * * *", "minute step '0' is not a positive number"),
        ("5/15 * * * *", "a step goes with '*' or a range"),
        ("30-10 * * * *", "minute range '30-10' runs backwards"),
        ("* * * * *", "runs every 1 minute(s); GitHub runs a schedule at most every 5"),
        ("0,2 * * * *", "runs every 2 minute(s)"),
        ("58 * * * *,", "day of the week '' is not a number"),  # the field '*,'
        ("every 30 minutes", "is not a cron schedule of five fields"),
        ("@daily", "is not a cron schedule of five fields"),
    ],
)
def test_cron_is_validated_as_github_documents_it(schedule: str, says: str) -> None:
    # docs.github.com "Events that trigger workflows" -> schedule: POSIX cron, 0-59,
    # 0-23, 1-31, 1-12 or JAN-DEC, 0-6 or SUN-SAT; at most every 5 minutes.
    [problem] = problems(with_schedule(schedule))
    assert problem.startswith("repowarden.yml:13:11: ")  # where the schedule is
    assert "dismiss.schedule: " in problem
    assert says in problem


@pytest.mark.parametrize(
    "schedule",
    [
        "0,30 * * * *",
        "*/5 * * * *",
        "15 3 * * MON-FRI",
        "0 0 1 JAN,jul *",
        "0 */6 1-31/2 * 0",
        "55,0 9 * * *",
    ],
)
def test_cron_github_accepts_is_accepted(schedule: str) -> None:
    assert parse_config(with_schedule(schedule)).dismiss.schedule == schedule


@pytest.mark.parametrize("runner", ["windows-latest", "windows-2022", "macos-14", "macOS-latest"])
def test_a_runner_that_is_not_linux_is_refused(runner: str) -> None:
    [problem] = problems(f"runner: {runner}\n" + VALID.replace("dispatch:", "x:").split("x:")[0])
    assert f"runner: {runner!r} is not a Linux runner" in problem


@pytest.mark.parametrize("runner", ["ubuntu-24.04", "ubuntu-22.04-arm", "my-linux-box", "machine"])
def test_linux_and_self_hosted_labels_are_accepted(runner: str) -> None:
    base = VALID.split("dispatch:")[0]  # dispatch refuses self-hosted runners on its own
    assert parse_config(f"runner: {runner}\n{base}").runner == runner


def test_an_unquoted_star_is_explained() -> None:
    [problem] = problems(VALID.replace('"*": [admin1, admin2]', "*: [admin1, admin2]"))
    assert problem.startswith("repowarden.yml:6:")
    assert "the '*' entry must be quoted" in problem
    assert 'write "*": [alice, bob]' in problem


def test_a_value_that_fits_no_member_of_a_union_is_one_line() -> None:
    [problem] = problems(
        VALID.replace("  admins: [admin1]\n", "  admins: [admin1]\n  required: any\n")
    )
    assert "review.required: Input should be 'all' or input should be a valid integer" in problem


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("review:\n", "reviw:\n  x: 1\nreview:\n"),
        ("  admins:", "  admin: [a]\n  admins:"),
        ("{kind: pip-compile,", "{kind: pip-compile, upgrde: true,"),
    ],
)
def test_a_mistyped_key_gets_a_did_you_mean(typo: str, suggestion: str) -> None:
    found = problems(VALID.replace(typo, suggestion, 1))
    wanted = {"review:\n": "review", "  admins:": "admins", "{kind: pip-compile,": "upgrade"}[typo]
    assert any(f"did you mean {wanted!r}?" in p for p in found), found


def test_a_duplicate_author_in_another_case_is_named() -> None:
    [problem] = problems(VALID.replace("alice: [bob, carol]", "alice: [bob]\n    Alice: [carol]"))
    assert "'alice' and 'Alice' are the same author" in problem


def test_local_action_defaults_to_self_and_takes_checkout() -> None:
    assert parse_config(VALID).local_action == "self"
    assert parse_config("local_action: checkout\n" + VALID).local_action == "checkout"
    [problem] = problems("local_action: ghes\n" + VALID)
    assert "local_action: Input should be 'self' or 'checkout'" in problem


# -- the parsed config beside the vendored runtime (issue 14: no YAML parse per job)

LOAD_PROBE = """
import json
import sys
from repowarden.runtime.config import load_config
config = load_config(sys.argv[1])
print(json.dumps({"config": config.model_dump(mode="json"),
                  "yaml_parsed": "ruamel" in sys.modules}))
"""


def vendored_load(root: Path) -> tuple[dict[str, object], bool]:
    """`load_config` as a job runs it: a fresh interpreter on the vendored runtime."""
    import json
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-P", "-c", LOAD_PROBE, str(root / ".github/repowarden.yml")],
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(root / ".github/repowarden"), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    return report["config"], report["yaml_parsed"]


@pytest.fixture
def generated_tree(tmp_path: Path) -> Path:
    from repowarden.generator.api import generate

    example = Path(__file__).parents[2] / "examples/teleport-rules/.github/repowarden.yml"
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github/repowarden.yml").write_text(example.read_text())
    generate(tmp_path)
    return tmp_path


def test_a_job_reads_the_generated_data_and_gets_the_same_config(generated_tree: Path) -> None:
    config, yaml_parsed = vendored_load(generated_tree)
    text = (generated_tree / ".github/repowarden.yml").read_text()
    assert config == parse_config(text).model_dump(mode="json")
    assert not yaml_parsed  # ruamel.yaml was neither imported nor run


@pytest.mark.parametrize(
    "edit",
    [
        # the config changed and nobody ran `generate`: the YAML is the truth
        lambda cfg, parsed: cfg.write_text(cfg.read_text() + "\n# only a comment\n"),
        # the data file was edited by hand (its header's content hash no longer holds)
        lambda cfg, parsed: parsed.write_text(
            parsed.read_text().replace('"repository"', '"repository" ', 1)
        ),
    ],
    ids=["config-changed-since-generate", "data-edited-by-hand"],
)
def test_data_that_may_not_be_current_is_never_used(generated_tree: Path, edit: Any) -> None:
    cfg = generated_tree / ".github/repowarden.yml"
    parsed = generated_tree / ".github/repowarden/config.parsed.yml"
    edit(cfg, parsed)
    config, yaml_parsed = vendored_load(generated_tree)
    assert yaml_parsed
    assert config == parse_config(cfg.read_text()).model_dump(mode="json")


def test_a_changed_setting_without_generate_takes_effect(generated_tree: Path) -> None:
    cfg = generated_tree / ".github/repowarden.yml"
    before, _ = vendored_load(generated_tree)
    cfg.write_text(cfg.read_text().replace("/teleport\n", "/teleport-fork\n", 1))
    after, yaml_parsed = vendored_load(generated_tree)
    assert yaml_parsed
    assert after["repository"] != before["repository"]
