"""`dispatch-sender-gate`: dispatch types filtered; every job gated on the sender's numeric id."""

from __future__ import annotations

import pytest
from repowarden.generator.invariants import dispatch_gate
from support.invariants import DISPATCH, Mutate, Parse

GATE = "github.event.sender.id == 63812935"


def test_the_rendered_example_passes(parsed: Parse, rendered: dict[str, str]) -> None:
    assert dispatch_gate.check(parsed(rendered)) == []


@pytest.mark.parametrize(
    "condition",
    [
        "github.event.sender.id == 1",
        "github.event.sender.id == 1 || github.event.sender.id == 22",
        "(github.event.sender.id == 1 || github.event.sender.id == 22)"
        " && github.event.client_payload.operation == 'a'",
        "${{ !cancelled() && (github.event.sender.id == 1)"
        " && github.event.client_payload.operation != 'x' }}",
        "github.event.client_payload.operation == 'a||b' && github.event.sender.id == 3",
    ],
)
def test_gated_conditions(condition: str) -> None:
    assert dispatch_gate.gated(condition)


@pytest.mark.parametrize(
    "condition",
    [
        "github.actor == 'trio-bot[bot]'",
        "github.event.sender.login == 'trio-bot'",
        "github.event.sender.id == 1 || github.event.client_payload.operation == 'a'",
        "github.event.sender.id == 1 && github.event.client_payload.x == 'a' || true",
        "github.event.sender.id == 1 || github.event.sender.id == 2"
        " && github.event.client_payload.operation == 'a'",
        "github.event.sender.id != 1",
        "github.event.sender.id == 01",
        "github.event.sender.id == github.event.client_payload.id",
        "always()",
    ],
)
def test_conditions_a_sender_could_get_around(condition: str) -> None:
    assert not dispatch_gate.gated(condition)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('    types: ["repowarden"]\n', "", "needs a non-empty `types:` filter"),
        (
            "on:\n  repository_dispatch:\n",
            "on:\n  workflow_dispatch:\n  repository_dispatch:\n",
            "no trigger but repository_dispatch",
        ),
        (
            f'if: "{GATE}"',
            "if: \"github.actor == 'trio-bot'\"",
            "`if:` must require github.event.sender.id",
        ),
        (f'    if: "{GATE}"\n', "", "`if:` must require github.event.sender.id"),
        (
            "name: unprivileged-${{ needs.verify.outputs.dispatch-id }}",
            "name: unprivileged",
            "name must be unprivileged-",
        ),
        (
            "name: unprivileged-${{ needs.verify.outputs.dispatch-id }}",
            "name: unprivileged-${{ github.event.client_payload.id }}",
            "an unverified payload field in its name or group",
        ),
        (
            "group: repowarden-dispatch-${{ needs.verify.outputs.dispatch-id }}-apply",
            "group: repowarden-dispatch-${{ github.event.client_payload.id }}-apply",
            "an unverified payload field in its name or group",
        ),
        (
            "    needs: [verify, unprivileged, announce]\n",
            "    needs: [unprivileged, announce]\n",
            "needs the verify job that checks the id",
        ),
        ("    name: verify-dispatch\n", "    name: verify\n", "the first job, named"),
    ],
)
def test_ungated_dispatch_jobs_are_caught(
    parsed: Parse, mutate: Mutate, old: str, new: str, message: str
) -> None:
    violations = dispatch_gate.check(parsed(mutate(DISPATCH, old, new, 1)))
    assert violations
    assert any(message in v.message for v in violations), violations
