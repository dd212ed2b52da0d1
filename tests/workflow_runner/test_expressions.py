"""The `${{ }}` evaluator against GitHub's documented semantics."""

from __future__ import annotations

from typing import Any

import pytest

from workflow_runner.expressions import (
    Evaluator,
    ExpressionError,
    evaluate_condition,
    interpolate,
    strip_condition,
)

CONTEXTS: dict[str, Any] = {
    "github": {
        "event_name": "repository_dispatch",
        "event": {
            "action": "repowarden",
            "sender": {"id": 41898282, "login": "repowarden-bot[bot]", "type": "Bot"},
            "client_payload": {"id": "abc-1", "operation": "pip-compile", "pr": 7},
            "pull_request": {"head": {"repo": {"fork": True}}, "labels": []},
        },
        "token": "tkn",
    },
    "env": {"GREETING": "Hello"},
    "inputs": {"command": "check", "args": ""},
    "steps": {"build": {"outputs": {"dir": "/tmp/out"}, "outcome": "success"}},
    "needs": {"unprivileged": {"result": "success", "outputs": {"ok": "true"}}},
    "runner": {"temp": "/tmp/runner"},
}


def ev(source: str, **status: bool) -> Any:
    return Evaluator(
        CONTEXTS, lambda name: status.get(name, name in ("success", "always"))
    ).evaluate(source)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("github.event.sender.id == 41898282", True),
        ("github.event.sender.id == '41898282'", True),  # number coercion
        ("github.event.sender.id != 1", True),
        ("github.event.sender.id == 1 || github.event.sender.id == 41898282", True),
        ("github.event.sender.type == 'bot'", True),  # strings compare case-insensitively
        ("github.event.action == 'repowarden' && github.event.sender.id == 2", False),
        ("!(github.event.sender.id == 2)", True),
        ("!github.event.missing", True),
        ("github.event.missing == null", True),
        ("github.event.missing.deeper", None),  # missing properties are null, not errors
        ("github.event.client_payload.pr == 7", True),
        ("github.event['client_payload']['operation']", "pip-compile"),
        ("github.EVENT.Client_Payload.id", "abc-1"),  # property names too
        ("needs.unprivileged.result == 'success'", True),
        ("needs.unprivileged.outputs.ok == 'true'", True),
        ("steps.build.outputs.dir", "/tmp/out"),
        ("inputs.args == ''", True),
        ("env.GREETING", "Hello"),
        ("true == 1", True),
        ("null == 0", True),
        ("'' == 0", True),
        ("'abc' == 0", False),  # NaN never equals
        ("0x10 == 16", True),
        ("1 < 2 && 'b' > 'A'", True),
        ("github.event.pull_request.head.repo.fork && 'yes' || 'no'", "yes"),
        ("github.event.missing && 'yes' || 'no'", "no"),
        ("'it''s'", "it's"),
    ],
)
def test_operators_and_property_access(source: str, expected: Any) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("contains('pip-compile format', 'FORMAT')", True),
        ("contains(fromJSON('[\"a\", \"b\"]'), 'B')", True),
        ("contains(fromJSON('[1, 2]'), '2')", True),
        ("contains(github.event.pull_request.labels, 'x')", False),
        ("startsWith(github.event.client_payload.id, 'ABC')", True),
        ("endsWith('repowarden-check.yml', '.YML')", True),
        ("format('{0}-{1}', 'unprivileged', github.event.client_payload.id)", "unprivileged-abc-1"),
        ("format('{{0}} is {0}', 1)", "{0} is 1"),
        ("fromJSON('{\"a\": [1, 2]}').a[1]", 2),
        ("join(fromJSON('[\"a\", \"b\"]'), ', ')", "a, b"),
        ("toJSON(github.event.client_payload.pr)", "7"),
    ],
)
def test_functions(source: str, expected: Any) -> None:
    assert ev(source) == expected


def test_status_functions_are_answered_by_the_caller() -> None:
    assert ev("success()") is True
    assert ev("failure()", failure=True) is True
    assert ev("always() && needs.unprivileged.result == 'success'") is True
    assert ev("cancelled()") is False


def test_status_functions_outside_if_are_refused() -> None:
    with pytest.raises(ExpressionError, match="only allowed in 'if:'"):
        Evaluator(CONTEXTS).evaluate("always()")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("hashFiles('**/requirements.txt')", "unknown function hashFiles"),
        ("matrix.python", "unknown context 'matrix'"),
        ("github.event.*.id", "object filters"),
        ("github.event.sender.id ==", "unexpected end"),
        ("(github.event.sender.id == 1", "unexpected end"),
        ("github.event.sender.id = 1", "unexpected character '='"),
        ("contains('a')", "takes 2 arguments"),
        ("format('{2}', 'a')", "bad placeholder"),
        ("fromJSON('{nope')", "not JSON"),
        ("", "empty expression"),
    ],
)
def test_unknown_or_malformed_expressions_raise(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        ev(source)


def test_a_context_that_is_not_available_here_raises() -> None:
    with pytest.raises(ExpressionError, match="'steps' is not available"):
        Evaluator({"github": {}}).evaluate("steps.x.outputs.y")


def test_if_without_status_function_means_success_and_condition() -> None:
    contexts = {"github": CONTEXTS["github"]}
    trusted = "github.event.sender.id == 41898282"
    assert evaluate_condition(trusted, contexts, lambda s: s in ("success", "always"))
    # After a failure, a plain condition is false; with always() it still runs.
    failed = {"success": False, "failure": True, "always": True, "cancelled": False}
    assert not evaluate_condition(trusted, contexts, failed.__getitem__)
    assert evaluate_condition(f"always() && {trusted}", contexts, failed.__getitem__)
    assert evaluate_condition("${{ failure() }}", contexts, failed.__getitem__)
    assert not evaluate_condition(None, contexts, failed.__getitem__)


def test_if_mixing_text_and_expression_is_refused() -> None:
    # GitHub would treat this as a non-empty string, i.e. always true: a classic bug.
    with pytest.raises(ExpressionError, match="mixes text"):
        strip_condition("${{ github.event.sender.id }} == 1")


def test_interpolation() -> None:
    assert interpolate("unprivileged-${{ github.event.client_payload.id }}", CONTEXTS) == (
        "unprivileged-abc-1"
    )
    assert interpolate("${{ github.event.client_payload.pr }}", CONTEXTS) == 7
    assert interpolate("pr ${{ github.event.client_payload.pr }}!", CONTEXTS) == "pr 7!"
    assert interpolate("${{ github.event.missing }}x", CONTEXTS) == "x"
    assert interpolate("no expressions", CONTEXTS) == "no expressions"
    assert interpolate(30, CONTEXTS) == 30


def test_two_expressions_in_one_string_are_both_interpolated() -> None:
    text = "${{ github.event.client_payload.id }}/${{ github.event.client_payload.pr }}"
    assert interpolate(text, CONTEXTS) == "abc-1/7"
