"""The one table of third-party action pins (pins.json) that templates may use.

Every remote `uses:` the generator renders comes from here, as
`owner/repo@<40-hex sha> # <tag>`, so moving an action to a new release is a
one-line change that tests check against that release's action.yml. The exact
versions of tools an action installs (uv, for setup-uv) are pinned beside them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

SHA_RE = re.compile(r"^[0-9a-f]{40}$")
TAG_RE = re.compile(r"^v[0-9]+\.[0-9]+\.[0-9]+$")
VERSION_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")


@dataclass(frozen=True)
class Pin:
    action: str
    sha: str
    tag: str
    inputs: frozenset[str]

    @property
    def ref(self) -> str:
        """The value of `uses:`, without the tag comment."""
        return f"{self.action}@{self.sha}"

    @property
    def uses(self) -> str:
        """The whole `uses:` value as rendered, with the tag as a YAML comment."""
        return f"{self.ref} # {self.tag}"


@cache
def _table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        files("repowarden.generator").joinpath("pins.json").read_text("utf-8")
    )
    return data


@cache
def pins() -> dict[str, Pin]:
    data = _table()
    table: dict[str, Pin] = {}
    for action, entry in data["actions"].items():
        if not SHA_RE.match(entry["sha"]) or not TAG_RE.match(entry["tag"]):
            raise ValueError(f"pins.json: {action} needs a 40-hex sha and a vX.Y.Z tag")
        table[action] = Pin(action, entry["sha"], entry["tag"], frozenset(entry["inputs"]))
    return table


def pin(action: str) -> Pin:
    try:
        return pins()[action]
    except KeyError:
        raise KeyError(f"{action} is not in generator/pins.json; pin it there first") from None


def tool_version(tool: str) -> str:
    """The exact version of a tool a pinned action installs (`tools` in pins.json)."""
    try:
        version = str(_table()["tools"][tool]["version"])
    except KeyError:
        raise KeyError(f"{tool} has no version in generator/pins.json `tools`") from None
    if not VERSION_RE.match(version):
        raise ValueError(f"pins.json: {tool} needs an exact X.Y.Z version, not {version!r}")
    return version
