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


# `local_action: checkout` (GHES): the action from the job's own checkout.
CHECKED_OUT = (
    "uses: ./.github/actions/repowarden  # zizmor: ignore[self-repository] no $/ on GHES or "
    "runners before 2.336.0; the job checked out its own commit"
)


@pytest.fixture
def on_ghes(rendered: dict[str, str]) -> dict[str, str]:
    return {
        path: text.replace("uses: $/.github/actions/repowarden", CHECKED_OUT)
        for path, text in rendered.items()
    }


def test_the_checked_out_action_after_the_jobs_own_checkout_passes(
    parsed: Parse, on_ghes: dict[str, str]
) -> None:
    assert CHECKED_OUT in on_ghes[DISPATCH]
    assert checkout.check(parsed(on_ghes)) == []


def test_the_checked_out_action_without_the_jobs_own_checkout_is_caught(
    parsed: Parse, on_ghes: dict[str, str]
) -> None:
    # Drop the root checkout of the assign job: the `./` action then has none before it.
    text = on_ghes[ASSIGN]
    start = text.index("      - name: Check out")
    end = text.index("      - name:", start + 1)
    broken = {**on_ghes, ASSIGN: text[:start] + text[end:]}
    found = checkout.check(parsed(broken))
    assert [(v.path, v.rule) for v in found] == [(ASSIGN, checkout.ID)]
    assert "check out the job's own commit at the root first" in found[0].message


def test_the_checked_out_action_after_a_checkout_of_another_ref_is_caught(
    parsed: Parse, on_ghes: dict[str, str]
) -> None:
    # The unprivileged job's PR checkout goes to `path: target`; at the root it would
    # put the payload's code where `./` reads the action from.
    broken = {
        **on_ghes,
        DISPATCH: on_ghes[DISPATCH].replace("          path: target\n", "", 1),
    }
    found = checkout.check(parsed(broken))
    assert any("runs whatever the workspace holds" in v.message for v in found)
