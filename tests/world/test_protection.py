"""CODEOWNERS matching as GitHub reads it (gitignore-style, last match wins)."""

from __future__ import annotations

import pytest

from world.protection import owners_of, parse_codeowners

CODEOWNERS = """\
# comment
*            @core
docs/        @docs @org/writers
/build/logs/ @ops
*.js         @js
/.github/    @admins   # the policy
"""


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("src/main.py", ["core"]),
        ("docs/a.md", ["docs", "org/writers"]),
        ("src/docs/b.md", ["docs", "org/writers"]),  # `docs/` matches at any depth
        ("build/logs/x.log", ["ops"]),
        ("src/build/logs/x.log", ["core"]),  # `/build/logs/` is anchored
        ("docs/app.js", ["js"]),  # the last matching line wins
        (".github/workflows/ci.yml", ["admins"]),
        ("docs", ["core"]),  # a file named docs is not the directory
    ],
)
def test_owners_last_match_wins(path: str, owners: list[str]) -> None:
    assert owners_of(parse_codeowners(CODEOWNERS), path) == owners
