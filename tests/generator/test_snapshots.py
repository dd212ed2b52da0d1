"""Golden copies of every rendered file of every example, kept as real files.

A template change shows up in review as a diff of the .yml files under
__snapshots__/test_snapshots/; refresh them deliberately with
`python -P -m pytest tests/generator/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from repowarden.generator.render import CODEOWNERS, render_templates
from repowarden.runtime.config import load_config
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

EXAMPLES = Path(__file__).parents[2] / "examples"


class YamlSnapshot(SingleFileSnapshotExtension):
    """One text file per snapshot, named *.yml so editors and reviewers read it as YAML."""

    file_extension = "yml"
    _write_mode = WriteMode.TEXT


class CodeownersSnapshot(YamlSnapshot):
    file_extension = "txt"


def cases() -> list[tuple[str, str]]:
    found = []
    for root in sorted(EXAMPLES.iterdir()):
        config = root / ".github/repowarden.yml"
        if config.is_file():
            found += [(root.name, path) for path in render_templates(load_config(config))]
    return found


@pytest.mark.parametrize(
    ("example", "path"), cases(), ids=[f"{e}-{Path(p).name}" for e, p in cases()]
)
def test_rendered_file_matches_its_golden_copy(
    snapshot: SnapshotAssertion, example: str, path: str
) -> None:
    files = render_templates(load_config(EXAMPLES / example / ".github/repowarden.yml"))
    extension = CodeownersSnapshot if path == CODEOWNERS else YamlSnapshot
    assert files[path] == snapshot(extension_class=extension)
