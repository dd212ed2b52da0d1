"""docs/design.md: its invariant table names exactly the invariants the code checks."""

from __future__ import annotations

import re
from pathlib import Path

from repowarden.generator.invariants import MODULES

ROOT = Path(__file__).parents[2]
DESIGN = ROOT / "docs/design.md"
ROW_RE = re.compile(r"^\| `(?P<id>[^`]+)` \| (?P<enforces>[^|]+) \| (?P<proved_by>[^|]+) \|$")
TEST_PATH_RE = re.compile(r"`(tests/[^`]+\.py)`")


def section(title: str) -> str:
    text = DESIGN.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def invariant_rows() -> dict[str, tuple[str, str]]:
    rows: dict[str, tuple[str, str]] = {}
    for line in section("Security invariants").splitlines():
        match = ROW_RE.match(line)
        if match:
            assert match["id"] not in rows, f"{match['id']} is listed twice"
            rows[match["id"]] = (match["enforces"].strip(), match["proved_by"].strip())
    return rows


def test_the_table_lists_exactly_the_invariants_the_code_checks() -> None:
    assert set(invariant_rows()) == {module.ID for module in MODULES}


def test_each_invariant_names_its_own_test_module_and_only_real_tests() -> None:
    rows = invariant_rows()
    for module in MODULES:
        enforces, proved_by = rows[module.ID]
        assert enforces, module.ID
        own = f"tests/generator/invariants/test_{module.__name__.rsplit('.', 1)[-1]}.py"
        tests = TEST_PATH_RE.findall(proved_by)
        assert own in tests, f"{module.ID}: the row must name {own}"
        for test in tests:
            assert (ROOT / test).is_file(), f"{module.ID}: {test} does not exist"


def test_the_readme_lists_the_same_invariants() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("\n## Security model\n")
    model = readme[start : readme.index("\n## ", start + 1)]
    listed = re.findall(r"^- `([a-z-]+)`:", model, flags=re.MULTILINE)
    assert sorted(listed) == sorted(module.ID for module in MODULES)
