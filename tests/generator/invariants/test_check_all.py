"""All invariants together: every DESIGN.md invariant has a module; every example passes all."""

from __future__ import annotations

from collections.abc import Callable

from repowarden.generator.invariants import MODULES, ParsedFile, check_all
from repowarden.generator.render import render_templates
from repowarden.runtime.config import Config

Parse = Callable[[dict[str, str]], dict[str, ParsedFile]]


def test_each_of_the_thirteen_invariants_has_a_module_with_the_uniform_interface() -> None:
    # DESIGN.md's twelve, and 13: review events carry no privilege (issue 10).
    assert sorted({module.INVARIANT for module in MODULES}) == list(range(1, 14))
    for module in MODULES:
        assert callable(module.check)
        assert module.TITLE
        assert module.__doc__


def test_every_example_passes_every_invariant(parsed: Parse, example: tuple[str, Config]) -> None:
    _name, config = example
    assert check_all(parsed(render_templates(config))) == []
