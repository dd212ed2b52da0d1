"""`well-formed-workflows` (render-time part): names, trigger filters, uses: xor run:."""

from __future__ import annotations

import pytest
from repowarden.generator.invariants import workflow_shape
from support.invariants import ACTION, CHECK, Mutate, Parse

REVIEW = ".github/workflows/repowarden-review.yml"
GATE = ".github/workflows/repowarden-gate.yml"


def test_the_rendered_example_passes(parsed: Parse, rendered: dict[str, str]) -> None:
    assert workflow_shape.check(parsed(rendered)) == []


@pytest.mark.parametrize(
    ("path", "old", "new", "message"),
    [
        # The seeds' own workflows had this typo: GitHub ignores the filter silently.
        (
            REVIEW,
            "  pull_request_review:\n    types:",
            "  pull_request_review:\n    type:",
            "unknown filter 'type'",
        ),
        (GATE, "    workflows: [", "    workflow: [", "unknown filter 'workflow'"),
        (CHECK, 'name: "repowarden: review check"\n', "", "needs a `name:`"),
        (CHECK, "    name: check\n", "", "job check: needs a `name:`"),
        (
            CHECK,
            "      - name: Evaluate the pull request and write its gate\n        uses:",
            "      - uses:",
            "needs a `name:`",
        ),
        (
            CHECK,
            "        uses: $/.github/actions/repowarden\n        with:\n          command: check\n",
            "        run: echo\n        uses: $/.github/actions/repowarden\n"
            "        with:\n          command: check\n",
            "exactly one of uses: and run:",
        ),
        (
            REVIEW,
            "  merge_group:\n",
            "  issue_comment:\n",
            "trigger issue_comment is not one repowarden renders",
        ),
        (ACTION, "      shell: bash\n", "", "a composite run: step needs `shell:`"),
        (ACTION, "  using: composite", "  using: node24", "must be `runs: using: composite`"),
    ],
)
def test_malformed_or_anonymous_definitions_are_caught(
    parsed: Parse, mutate: Mutate, path: str, old: str, new: str, message: str
) -> None:
    violations = workflow_shape.check(parsed(mutate(path, old, new, 1)))
    assert any(message in v.message for v in violations), violations
