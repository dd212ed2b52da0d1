"""`pinned-uses`: remote actions pinned by sha from the table, with the tag comment."""

from __future__ import annotations

import pytest
from repowarden.generator.invariants import pinned_uses
from support.invariants import CHECKOUT_SHA as SHA
from support.invariants import CHECKOUT_STEP, SNIPPET, Parse, snippet_workflow

GOOD = snippet_workflow(
    "  lint:\n"
    "    name: lint\n"
    "    runs-on: ubuntu-24.04\n"
    "    steps:\n" + CHECKOUT_STEP + "      - name: run\n"
    "        uses: $/.github/actions/repowarden\n"
    "        with:\n"
    "          command: verify-generated\n"
)


def test_pinned_and_local_actions_pass(parsed: Parse, rendered: dict[str, str]) -> None:
    assert pinned_uses.check(parsed({SNIPPET: GOOD})) == []
    assert pinned_uses.check(parsed(rendered)) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ((f"@{SHA} # v7.0.1", "@v7 # v7.0.1"), "is not owner/repo@<40-hex sha>"),
        ((f"@{SHA} # v7.0.1", f"@{SHA}"), "needs the tag comment `# v7.0.1`"),
        (
            (f"@{SHA} # v7.0.1", f"@{SHA} # v6.0.0"),
            "needs the tag comment `# v7.0.1`",
        ),
        ((f"@{SHA}", "@" + "a" * 40), "is not the pinned commit"),
        (("actions/checkout@", "actions/cache@"), "is not in the pin table"),
        (("$/.github/actions/repowarden", "./.github/actions/other"), "the only local action"),
        (("$/.github/actions/repowarden", "$/.github/actions/other"), "the only local action"),
        (("persist-credentials: false", "persist-credential: false"), "`with: persist-credential`"),
    ],
)
def test_unpinned_or_unknown_uses_are_caught(
    parsed: Parse, change: tuple[str, str], message: str
) -> None:
    bad = GOOD.replace(*change)
    assert bad != GOOD
    violations = pinned_uses.check(parsed({SNIPPET: bad}))
    assert any(message in v.message for v in violations), violations
    assert all(v.rule == "pinned-uses" for v in violations)


def test_inputs_of_the_local_action_are_checked_against_its_action_yml(
    parsed: Parse, rendered: dict[str, str]
) -> None:
    path = ".github/workflows/repowarden-assign.yml"
    bad = {**rendered, path: rendered[path].replace("command: assign", "comand: assign")}
    violations = pinned_uses.check(parsed(bad))
    assert [v.message for v in violations] == [
        "job assign, step 'Request the reviewers the config names for this author': "
        "`with: comand` is not an input of $/.github/actions/repowarden"
    ]
