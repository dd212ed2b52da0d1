"""`token-isolation`: tokens through env/token inputs only; the unprivileged job holds nothing."""

from __future__ import annotations

import pytest
from repowarden.generator.invariants import unprivileged
from support.invariants import DISPATCH, LINT, Mutate, Parse

OPERATE = "          command: operate\n"
# The unprivileged job's own lines (the verify job before it has the same ones).
UNPRIVILEGED_PERMS = (
    "-unprivileged\n      cancel-in-progress: false\n"
    "    permissions:\n      contents: read  # actions/checkout"
)
UNPRIVILEGED_RUNNER = (
    '    needs: verify\n    if: "github.event.sender.id == 63812935"\n    runs-on: '
)
HOSTED = UNPRIVILEGED_RUNNER + '"ubuntu-24.04"'


def test_the_rendered_example_passes(parsed: Parse, rendered: dict[str, str]) -> None:
    assert unprivileged.check(parsed(rendered)) == []


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            OPERATE,
            OPERATE + "          token: ${{ github.token }}\n",
            "the unprivileged runtime gets no token",
        ),
        (
            OPERATE,
            OPERATE + "          args: ${{ secrets.PYPI_TOKEN }}\n",
            "a token in `with: args`",
        ),
        (
            HOSTED,
            UNPRIVILEGED_RUNNER + "[self-hosted, linux]",
            "untrusted code on a self-hosted runner",
        ),
        (
            HOSTED,
            UNPRIVILEGED_RUNNER + "[Self-Hosted, linux]",  # labels match case-insensitively
            "untrusted code on a self-hosted runner",
        ),
        (
            UNPRIVILEGED_PERMS,
            UNPRIVILEGED_PERMS.replace(
                "    permissions:", "    environment: release\n    permissions:"
            ),
            "an environment gives the unprivileged job secrets",
        ),
        (
            UNPRIVILEGED_PERMS,
            UNPRIVILEGED_PERMS.replace(
                "    permissions:", "    permissions:\n      id-token: write  # x"
            ),
            "unprivileged permissions must be ⊆ contents: read",
        ),
        (
            "      - name: Run the operation\n",
            "      - name: leak\n        env:\n          T: ${{ secrets.GITHUB_TOKEN }}\n"
            "        run: echo hi\n"
            "      - name: Run the operation\n",
            "a secret or token reaches the unprivileged job",
        ),
    ],
)
def test_anything_secret_in_the_unprivileged_job_is_caught(
    parsed: Parse, mutate: Mutate, old: str, new: str, message: str
) -> None:
    violations = unprivileged.check(parsed(mutate(DISPATCH, old, new, 1)))
    assert any(message in v.message for v in violations), violations
    assert all(v.path == DISPATCH for v in violations)


def test_a_token_on_a_command_line_is_caught_in_any_job(parsed: Parse, mutate: Mutate) -> None:
    files = mutate(LINT, "--offline --persona", '--gh-token "$GITHUB_TOKEN" --offline --persona')
    [violation] = unprivileged.check(parsed(files))
    assert "a token on a command line" in violation.message
