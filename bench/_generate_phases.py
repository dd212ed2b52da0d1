"""`generate --check`'s full path, cut into phases with perf_counter (run by generate.py).

    python bench/_generate_phases.py TREE   -> JSON {phase: seconds} on stdout

It repeats what `repowarden generate --check` does when the headers alone cannot
prove the tree current (and what `generate` does before writing), through the
generator's own functions (build.plan -> writer.check), timing each step, so a
missed target comes with the step that costs. It follows the generator's internals
and is the first thing to update when they move.
"""

from __future__ import annotations

import itertools
import json
import sys
import time

marks: list[tuple[str, float]] = [("start", time.perf_counter())]


def mark(name: str) -> None:
    marks.append((name, time.perf_counter()))


def main(tree: str) -> None:
    from pathlib import Path

    import jinja2  # noqa: F401 - the floor's imports, timed on their own
    import ruamel.yaml  # noqa: F401

    mark("import jinja2 + ruamel.yaml (the floor)")
    from repowarden.runtime.config import CONFIG_PATH, parse_config

    mark("import runtime.config (pydantic, the Config models)")
    from repowarden.generator import build, render, writer
    from repowarden.generator.invariants import base

    mark("import generator.build/render/invariants/writer")
    text = (Path(tree) / CONFIG_PATH).read_text(encoding="utf-8")
    config = parse_config(text, CONFIG_PATH)
    mark("parse + validate the config")
    values = render.context(config)
    mark("render context (loads runtime command modules for their permissions)")
    env = render.environment()
    bodies = {
        path: env.get_template(template).render(values)
        for path, template in render.TEMPLATES.items()
        if not (path == render.DISPATCH and values["dispatch"] is None)
    }
    mark("Jinja: compile + render the templates")
    base.parse(bodies)
    mark("ruamel round-trip parse of the rendered YAML (invariants)")
    render.check_invariants(bodies)
    mark("invariant checks (parse cached)")
    files = build.plan(config, text, CONFIG_PATH)
    mark("build.plan again, warm (vendored runtime, schema, headers, cached parse)")
    drift = writer.check(Path(tree), files)
    mark("writer.check: read and compare the tree")
    if drift:
        raise SystemExit(f"the tree is not current: {[d.path for d in drift]}")
    phases = {name: t - prev for (_, prev), (name, t) in itertools.pairwise(marks)}
    print(json.dumps(phases))


if __name__ == "__main__":
    main(sys.argv[1])
