"""`codeowners-own-github`: CODEOWNERS gives /.github/ and the config to the admins, last."""

from __future__ import annotations

import pytest
from repowarden.generator.invariants import codeowners
from support.invariants import CODEOWNERS, Mutate, Parse

TAIL = "/.github/ @njsmith @oremanj\n/.github/repowarden.yml @njsmith @oremanj\n"


def test_the_rendered_example_passes(parsed: Parse, rendered: dict[str, str]) -> None:
    assert rendered[CODEOWNERS].endswith(TAIL)
    assert codeowners.check(parsed(rendered)) == []


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (TAIL + "* @mallory\n", "the last rules must be /.github/, /.github/repowarden.yml"),
        ("/.github/repowarden.yml @njsmith\n/.github/ @njsmith\n", "the last rules must be"),
        ("/.github/ @njsmith @oremanj\n/.github/repowarden.yml\n", "needs the admins as owners"),
        ("/.github/ @njsmith\n", "the last rules must be"),
    ],
)
def test_codeowners_that_give_up_github_are_caught(
    parsed: Parse, mutate: Mutate, new: str, message: str
) -> None:
    violations = codeowners.check(parsed(mutate(CODEOWNERS, TAIL, new)))
    assert any(message in v.message for v in violations), violations


def test_workflows_without_codeowners_are_caught(parsed: Parse, rendered: dict[str, str]) -> None:
    files = {p: t for p, t in rendered.items() if p != CODEOWNERS}
    [violation] = codeowners.check(parsed(files))
    assert violation.path == CODEOWNERS
    assert "missing" in violation.message


def test_escaped_spaces_stay_in_the_pattern() -> None:
    assert codeowners.rules("docs/my\\ guide/ @a @b\n# c\n\n") == [
        ("docs/my\\ guide/", ["@a", "@b"])
    ]
