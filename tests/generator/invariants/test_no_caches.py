"""`no-caches`: no caches; no GITHUB_ENV / GITHUB_PATH writes."""

from __future__ import annotations

import pytest
from repowarden.generator.invariants import no_caches
from support.invariants import ACTION, LINT, Mutate, Parse

VENV = 'python -m venv "$RUNNER_TEMP/repowarden-lint"'


def test_the_rendered_example_passes(parsed: Parse, rendered: dict[str, str]) -> None:
    assert no_caches.check(parsed(rendered)) == []


@pytest.mark.parametrize(
    ("path", "old", "new", "message"),
    [
        (ACTION, "python-version: ${{", "cache: pip\n        python-version: ${{", "`with: cache`"),
        # setup-uv's default ("auto") caches, on repository_dispatch runs too.
        (ACTION, "        enable-cache: false\n", "", "caches unless told `enable-cache: false`"),
        (ACTION, "enable-cache: false", "enable-cache: auto", "`with: enable-cache`"),
        (ACTION, "enable-cache: false", "enable-cache: true", "caches unless told"),
        (
            LINT,
            VENV,
            f'echo "PATH=/tmp/x" >> "$GITHUB_PATH"\n          {VENV}',
            "GITHUB_ENV/GITHUB_PATH",
        ),
        (LINT, VENV, f'echo "A=1" >> "$GITHUB_ENV"\n          {VENV}', "GITHUB_ENV/GITHUB_PATH"),
        (
            LINT,
            "      - name: actionlint\n",
            "      - name: restore\n"
            "        uses: actions/cache@0c45773b623bea8c8e75f6c82b208c3cf94ea4f9\n"
            "        with:\n          path: ~/.cache\n          key: x\n      - name: actionlint\n",
            "is a cache",
        ),
    ],
)
def test_caches_and_environment_file_writes_are_caught(
    parsed: Parse, mutate: Mutate, path: str, old: str, new: str, message: str
) -> None:
    violations = no_caches.check(parsed(mutate(path, old, new)))
    assert violations
    assert all(v.path == path and v.rule == "no-caches" for v in violations)
    assert any(message in v.message for v in violations), violations
