"""Trim GitHub's OpenAPI description down to the endpoints the fake serves.

Usage (from the repository root, after `npm pack @octokit/openapi` in a temp dir):

    .venv/bin/python -P tests/fake_github/schema/trim.py \
        /tmp/x/package/generated/api.github.com.json VERSION \
        > tests/fake_github/schema/api.github.com.trimmed.json

Keeps, for each route in fake_github.permissions.PERMISSIONS, the operation's
responses (2xx and the 4xx the fake answers with), minus content examples, plus
every component they reach through $ref, so the file stands alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fake_github.permissions import PERMISSIONS

KEEP_STATUSES = {"200", "201", "202", "204", "302", "401", "403", "404", "409", "422"}


def _strip(node: Any, *, names: bool = False) -> Any:
    """Drop `example`/`examples` keywords (not properties that happen to be named so)."""
    if isinstance(node, dict):
        if names:  # a `properties` map: its keys are field names
            return {k: _strip(v) for k, v in node.items()}
        return {
            k: _strip(v, names=k == "properties")
            for k, v in node.items()
            if k not in {"examples", "example"}
        }
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _lookup(spec: dict[str, Any], ref: str) -> Any:
    node: Any = spec
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def trim(spec: dict[str, Any], version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for template in sorted(PERMISSIONS):
        method, path = template.split(" ", 1)
        op = spec["paths"][path][method.lower()]
        responses = {
            code: _strip(response)
            for code, response in op["responses"].items()
            if code in KEEP_STATUSES
        }
        paths.setdefault(path, {})[method.lower()] = {
            "operationId": op["operationId"],
            "responses": responses,
        }
    # Close over $refs.
    components: dict[str, dict[str, Any]] = {}
    pending: set[str] = set()
    _refs(paths, pending)
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        _, _, kind, name = ref.split("/", 3)
        target = _strip(_lookup(spec, ref))
        components.setdefault(kind, {})[name] = target
        _refs(target, pending)
    return {
        "openapi": spec["openapi"],
        "info": {
            "title": spec["info"]["title"],
            "version": spec["info"]["version"],
            "x-source": f"npm @octokit/openapi@{version}, generated/api.github.com.json, "
            "trimmed by tests/fake_github/schema/trim.py",
        },
        "paths": paths,
        "components": {k: dict(sorted(v.items())) for k, v in sorted(components.items())},
    }


def main() -> None:
    source, version = sys.argv[1], sys.argv[2]
    spec = json.loads(Path(source).read_text())
    json.dump(trim(spec, version), sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
