"""`safe-checkout`: persist-credentials: false; no ref/repository under pull_request_target."""

from __future__ import annotations

import pytest
from repowarden.generator.invariants import checkout
from support.invariants import ASSIGN, DISPATCH, Mutate, Parse


def test_the_rendered_example_passes(parsed: Parse, rendered: dict[str, str]) -> None:
    assert checkout.check(parsed(rendered)) == []


def test_the_dispatch_job_may_check_out_a_verified_ref_outside_pull_request_target(
    parsed: Parse, rendered: dict[str, str]
) -> None:
    assert "ref: ${{ steps.event.outputs.checkout-ref }}" in rendered[DISPATCH]
    assert checkout.check(parsed({DISPATCH: rendered[DISPATCH]})) == []


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("persist-credentials: true", "needs persist-credentials: false"),
        ("persist-credentials: 'true'", "needs persist-credentials: false"),
        ("fetch-depth: 1", "needs persist-credentials: false"),
        (
            "persist-credentials: false\n          ref: ${{ github.event.pull_request.head.sha }}",
            "`ref:` under pull_request_target",
        ),
        (
            "persist-credentials: false\n"
            "          repository: ${{ github.event.pull_request.head.repo.full_name }}",
            "`repository:` under pull_request_target",
        ),
        (
            "persist-credentials: false\n          allow-unsafe-pr-checkout: true",
            "allow-unsafe-pr-checkout",
        ),
    ],
)
def test_unsafe_checkouts_are_caught(parsed: Parse, mutate: Mutate, new: str, message: str) -> None:
    violations = checkout.check(parsed(mutate(ASSIGN, "persist-credentials: false", new)))
    assert [v.path for v in violations] == [ASSIGN]
    assert message in violations[0].message
