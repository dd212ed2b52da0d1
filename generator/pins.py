"""The one table of third-party action pins (pins.json) that templates may use.

Every remote `uses:` the generator renders comes from here, as
`owner/repo@<40-hex sha> # <tag>`, so moving an action to a new release is a
one-line change that tests check against that release's action.yml.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

SHA_RE = re.compile(r"^[0-9a-f]{40}$")
TAG_RE = re.compile(r"^v[0-9]+\.[0-9]+\.[0-9]+$")


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
def pins() -> dict[str, Pin]:
    data = json.loads(files("repowarden.generator").joinpath("pins.json").read_text("utf-8"))
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
