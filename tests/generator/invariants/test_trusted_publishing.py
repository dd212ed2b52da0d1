"""`trusted-publishing`: OIDC only; id-token and environment on the publish job alone."""

from __future__ import annotations

import pytest
from repowarden.generator.invariants import trusted_publishing
from support.invariants import DISPATCH, Mutate, Parse

SKIP = "          skip-existing: true\n"
ENVIRONMENT = '    environment: "release"\n'
ID_TOKEN = (
    "      id-token: write  # trusted publishing: pypi-publish exchanges an OIDC token for PyPI\n"
)


def test_the_rendered_example_passes(parsed: Parse, rendered: dict[str, str]) -> None:
    assert trusted_publishing.check(parsed(rendered)) == []


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            SKIP,
            SKIP + "          password: ${{ secrets.PYPI_API_TOKEN }}\n",
            "`password:` is a long-lived token",
        ),
        (SKIP, SKIP + "          user: __token__\n", "`user:` is a long-lived token"),
        (ENVIRONMENT, "", "publishing runs in an `environment:`"),
        (ID_TOKEN, "", "trusted publishing needs id-token: write"),
        (
            # The first job with pull-requests: write after contents: read is announce.
            "vendored runtime\n      pull-requests: write",
            "vendored runtime\n      id-token: write  # x\n      pull-requests: write",
            "job announce: id-token only on the job that publishes",
        ),
    ],
)
def test_long_lived_tokens_and_stray_oidc_are_caught(
    parsed: Parse, mutate: Mutate, old: str, new: str, message: str
) -> None:
    violations = trusted_publishing.check(parsed(mutate(DISPATCH, old, new, 1)))
    assert any(message in v.message for v in violations), violations
