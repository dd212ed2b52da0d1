"""`no-expressions-in-run`: no `${{ }}` inside run:."""

from __future__ import annotations

from repowarden.generator.invariants import no_expressions_in_run
from support.invariants import ACTION, LINT, Mutate, Parse


def test_the_rendered_example_passes(parsed: Parse, rendered: dict[str, str]) -> None:
    assert no_expressions_in_run.check(parsed(rendered)) == []


def test_an_expression_in_a_workflow_script_is_caught(parsed: Parse, mutate: Mutate) -> None:
    files = mutate(
        LINT,
        'python -m venv "$RUNNER_TEMP',
        'echo "${{ github.head_ref }}"\n          python -m venv "$RUNNER_TEMP',
    )
    [violation] = no_expressions_in_run.check(parsed(files))
    assert violation.path == LINT
    assert "step 'Install actionlint, shellcheck and zizmor (hash-pinned)'" in violation.message


def test_an_expression_in_the_composite_script_is_caught(parsed: Parse, mutate: Mutate) -> None:
    files = mutate(ACTION, '"$REPOWARDEN_COMMAND"', "${{ inputs.command }}")
    [violation] = no_expressions_in_run.check(parsed(files))
    assert violation.path == ACTION
    assert "composite action" in violation.message


def test_expressions_in_env_are_how_values_reach_scripts(
    parsed: Parse, rendered: dict[str, str]
) -> None:
    assert "REPOWARDEN_ARGS: ${{ inputs.args }}" in rendered[ACTION]
    assert no_expressions_in_run.check(parsed(rendered)) == []
