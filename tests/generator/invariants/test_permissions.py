"""`least-privilege-permissions`: {} on top; each job its commands' union, with # why."""

from __future__ import annotations

from pathlib import Path

import pytest
from repowarden.generator.invariants import permissions
from repowarden.generator.render import render_templates
from repowarden.runtime.config import load_config, parse_config
from support.invariants import CHECKOUT_STEP, SNIPPET, Parse, snippet_workflow

GOOD = snippet_workflow(
    "  check:\n"
    "    name: check\n"
    "    runs-on: ubuntu-24.04\n"
    "    permissions:\n"
    "      contents: read  # checkout\n"
    "      pull-requests: read  # reviews\n"
    "      statuses: write  # the status\n"
    "    steps:\n" + CHECKOUT_STEP + "      - name: check\n"
    "        uses: $/.github/actions/repowarden\n"
    "        with:\n"
    "          command: check\n"
)


def test_a_job_with_exactly_its_commands_permissions_passes(parsed: Parse) -> None:
    assert permissions.check(parsed({SNIPPET: GOOD})) == []


def test_the_rendered_example_passes(parsed: Parse, rendered: dict[str, str]) -> None:
    assert permissions.check(parsed(rendered)) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("permissions: {}\n", "permissions: read-all\n"), "top-level `permissions:` must be `{}`"),
        (("permissions: {}\n", ""), "top-level `permissions:` must be `{}`"),
        (("      statuses: write  # the status\n", "      statuses: write\n"), "no `# why`"),
        (
            (
                "      statuses: write  # the status\n",
                "      statuses: write  # s\n      issues: write  # x\n",
            ),
            "differ from what its steps need",
        ),
        (("      pull-requests: read  # reviews\n", ""), "differ from what its steps need"),
        (("contents: read  # checkout", "contents: write  # checkout"), "differ"),
        (("command: check", "command: rm-rf"), "unknown runtime command(s) rm-rf"),
    ],
)
def test_a_job_granting_other_than_its_commands_need_is_caught(
    parsed: Parse, change: tuple[str, str], message: str
) -> None:
    bad = GOOD.replace(*change)
    assert bad != GOOD
    violations = permissions.check(parsed({SNIPPET: bad}))
    assert violations
    assert all(v.rule == "least-privilege-permissions" for v in violations)
    assert any(message in v.message for v in violations), violations


def test_a_job_without_a_permissions_map_is_caught(parsed: Parse) -> None:
    bad = GOOD.replace(
        "    permissions:\n      contents: read  # checkout\n", "    permissions:\n"
    ).replace("      pull-requests: read  # reviews\n      statuses: write  # the status\n", "")
    [violation] = permissions.check(parsed({SNIPPET: bad}))
    assert "must be an explicit map" in violation.message


def test_union_keeps_the_highest_level_and_every_reason() -> None:
    from repowarden.runtime.commands import Permission

    merged = permissions.union(
        [
            Permission("pull-requests", "read", "read reviews"),
            Permission("contents", "read", "checkout"),
            Permission("pull-requests", "write", "comment"),
            Permission("pull-requests", "write", "request reviewers"),
            Permission("pull-requests", "write", "comment"),
        ]
    )
    assert merged == [
        Permission("contents", "read", "checkout"),
        Permission("pull-requests", "write", "comment; request reviewers"),
    ]


APP_EXAMPLE = Path(__file__).parents[3] / "examples/app/.github/repowarden.yml"
GATE = ".github/workflows/repowarden-gate.yml"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # The job's own token needs no more than checkout once the App token does the work.
        (
            "      contents: read  # actions/checkout",
            "      statuses: write  # x\n      contents: read  # actions/checkout",
            "differ from what its steps need",
        ),
        (
            "          permission-checks: write  # read and create the gate's check run\n",
            "",
            "App token permissions",
        ),
        (
            "          permission-checks: write  # read and create the gate's check run\n",
            "          permission-checks: write  # c\n          permission-contents: write  # x\n",
            "App token permissions",
        ),
        (
            "          permission-checks: write  # read and create the gate's check run\n",
            "          permission-checks: write\n",
            "permission-checks has no `# why` comment",
        ),
    ],
)
def test_app_token_scopes_are_exactly_what_its_commands_declare(
    parsed: Parse, old: str, new: str, message: str
) -> None:
    files = render_templates(load_config(APP_EXAMPLE))
    assert permissions.check(parsed(files)) == []
    assert old in files[GATE]
    found = permissions.check(parsed({**files, GATE: files[GATE].replace(old, new)}))
    assert any(message in str(v) for v in found), found


def test_an_unscoped_app_token_is_caught(parsed: Parse) -> None:
    files = render_templates(load_config(APP_EXAMPLE))
    body = "\n".join(line for line in files[GATE].splitlines() if "permission-" not in line) + "\n"
    found = permissions.check(parsed({**files, GATE: body}))
    assert any("holds all of the App's permissions" in str(v) for v in found), found


# -- options: a scope an option grants is held only where its flag is passed --------------

WITH_OPTION = GOOD.replace(
    "      pull-requests: read  # reviews\n", "      pull-requests: write  # withdraw requests\n"
).replace(
    "          command: check\n", '          command: check\n          args: "--remove-requests"\n'
)


def test_an_options_scope_goes_with_its_flag(parsed: Parse) -> None:
    assert permissions.check(parsed({SNIPPET: WITH_OPTION})) == []
    # The scope without the flag is excess; the flag without the scope is too little.
    no_flag = WITH_OPTION.replace('          args: "--remove-requests"\n', "")
    no_scope = WITH_OPTION.replace("pull-requests: write  # withdraw", "pull-requests: read  # w")
    for bad in (no_flag, no_scope):
        found = permissions.check(parsed({SNIPPET: bad}))
        assert any("differ from what its steps need" in str(v) for v in found), found
    # A flag the command does not declare grants nothing.
    other = no_flag.replace(
        "          command: check\n", '          command: check\n          args: "--bogus"\n'
    )
    assert permissions.check(parsed({SNIPPET: other})) != []


def _app_with_options() -> dict[str, str]:
    text = APP_EXAMPLE.read_text()
    text = text.replace(
        "external: {approvals: 2, org: example-org}",
        "external: {approvals: 2, org: example-org, keep_approvals_on_update_merge: true}\n"
        "  assign: {remove_requests: true}",
    )
    return render_templates(parse_config(text))


def test_an_app_token_holds_an_options_scopes_only_with_its_flag(parsed: Parse) -> None:
    files = _app_with_options()
    assert permissions.check(parsed(files)) == []
    gate = files[GATE]
    assert '          args: "--compare-commits --remove-requests"\n' in gate
    assert "          permission-contents: read  # compare an approved commit" in gate
    assert "          permission-pull-requests: write  # withdraw review requests" in gate
    for old, new in [
        ('          args: "--compare-commits --remove-requests"\n', ""),
        ('"--compare-commits --remove-requests"', '"--remove-requests"'),
    ]:
        found = permissions.check(parsed({**files, GATE: gate.replace(old, new)}))
        assert any("App token permissions" in str(v) for v in found), found
