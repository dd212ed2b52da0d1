"""`pinned-uses`: every remote action is pinned by commit from the one pin table.

`uses: owner/repo@<40-hex sha> # vX.Y.Z`, with the sha and tag of generator/pins.json,
and only `with:` keys that the pinned commit's action.yml declares. The local
composite action is referenced as `$/…` (zizmor's self-repository audit flags `./`),
or with `local_action: checkout` as `./…` from the job's checkout (invariant 4).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from repowarden.generator.pins import pins

from .base import CHECKED_OUT_ACTION, LOCAL_ACTION, ParsedFile, Violation, steps

ID = "pinned-uses"
TITLE = "remote uses: pinned to the table's 40-hex sha with its tag comment; local via $/"

_REMOTE_RE = re.compile(r"^(?P<action>[A-Za-z0-9-]+/[A-Za-z0-9._-]+)@(?P<sha>[0-9a-f]{40})$")
_TAG_COMMENT_RE = re.compile(r"uses:\s*\S+\s+#\s*(?P<tag>v[0-9]+\.[0-9]+\.[0-9]+)\s*$")


def check(files: Mapping[str, ParsedFile]) -> list[Violation]:
    found: list[Violation] = []
    table = pins()
    local = files.get(LOCAL_ACTION.removeprefix("$/") + "/action.yml")
    local_inputs = set((local.data.get("inputs") or {}) if local is not None else ())
    for step in steps(files):
        uses = step.uses
        if uses is None:
            continue
        path = step.file.path

        def bad(message: str, path: str = path, where: str = step.where) -> None:
            found.append(Violation(path, f"{where}: {message}", ID))

        if uses.startswith(("$/", "./")):
            if uses not in (LOCAL_ACTION, CHECKED_OUT_ACTION):
                bad(f"{uses}: the only local action is {LOCAL_ACTION} (or {CHECKED_OUT_ACTION})")
            elif local is not None:
                for key in step.with_:
                    if key not in local_inputs:
                        bad(f"`with: {key}` is not an input of {LOCAL_ACTION}")
            continue
        match = _REMOTE_RE.match(uses)
        if match is None:
            bad(f"{uses!r} is not owner/repo@<40-hex sha>")
            continue
        pin = table.get(match["action"])
        if pin is None:
            bad(f"{match['action']} is not in the pin table generator/pins.json")
            continue
        if match["sha"] != pin.sha:
            bad(f"{uses} is not the pinned commit {pin.sha}")
        comment = _TAG_COMMENT_RE.search(step.file.line_of_key(step.node, "uses"))
        if comment is None or comment["tag"] != pin.tag:
            bad(f"{uses} needs the tag comment `# {pin.tag}`")
        for key in step.with_:
            if key not in pin.inputs:
                bad(f"`with: {key}` is not an input of {pin.action}@{pin.tag}")
    return found
