"""All invariants together: the uniform interface, distinct ids, every example passes all."""

from __future__ import annotations

from repowarden.generator.invariants import MODULES, check_all
from repowarden.generator.invariants.base import ID_RE
from repowarden.generator.render import render_templates
from repowarden.runtime.config import Config
from support.invariants import SNIPPET, Parse

# One workflow that breaks every invariant at least once (no CODEOWNERS beside it).
BROKEN = """\
on:
  repository_dispatch:
  pull_request_target:
  pull_request_review:
permissions: write-all
jobs:
  unprivileged:
    runs-on: self-hosted
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.head_ref }}
      - run: echo "${{ github.token }}" >> "$GITHUB_ENV"  # zizmor: ignore[template-injection]
      - uses: actions/upload-artifact@v4
        with:
          name: artifacts
          path: .
      - uses: pypa/gh-action-pypi-publish@release/v1
        with:
          password: ${{ secrets.PYPI_TOKEN }}
"""


def test_every_module_has_the_uniform_interface_and_its_own_id() -> None:
    ids = [module.ID for module in MODULES]
    assert len(set(ids)) == len(ids), ids
    for module in MODULES:
        assert ID_RE.match(module.ID), module.ID
        assert callable(module.check)
        assert module.TITLE
        assert module.__doc__
        assert module.__doc__.startswith(f"`{module.ID}`"), module.__name__


def test_each_module_reports_its_violations_under_its_id(parsed: Parse) -> None:
    files = parsed({SNIPPET: BROKEN})
    for module in MODULES:
        violations = module.check(files)
        assert violations, f"{module.ID} found nothing in a workflow that breaks it"
        assert {violation.rule for violation in violations} == {module.ID}
    assert {violation.rule for violation in check_all(files)} == {m.ID for m in MODULES}


def test_every_example_passes_every_invariant(parsed: Parse, example: tuple[str, Config]) -> None:
    _name, config = example
    assert check_all(parsed(render_templates(config))) == []
