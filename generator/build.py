"""The whole plan of generated files for one config: rendered, vendored, headed, checked.

Nothing here touches the filesystem of the target: `plan` returns `{path: text}` and
the writer decides what to do with it. Every text opens with the repowarden header
(runtime/generated.py), so ownership, hand edits and staleness are detectable later.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from repowarden.runtime.config import Config, parsed_config_body
from repowarden.runtime.errors import Exit, RepowardenError
from repowarden.runtime.generated import (
    CONFIG_PATH,
    MANIFEST_PATH,
    PARSED_CONFIG_PATH,
    VENDOR_ROOT,
    Manifest,
    sha256,
    with_header,
)

from .fingerprint import generator_version
from .render import UnsafeRenderError, render_templates
from .vendor import vendored_files

SCHEMA_PATH = f"{VENDOR_ROOT}/config.schema.yml"
# The config's modeline points here, relative to .github/repowarden.yml.
SCHEMA_MODELINE = "# yaml-language-server: $schema=repowarden/config.schema.yml"


class InvariantError(RepowardenError):
    """The rendered files break a security invariant; nothing may be written."""

    exit_code = Exit.INVARIANT

    def __init__(self, violations: list[Any]) -> None:
        self.violations = violations
        super().__init__("\n".join(str(v) for v in violations))


def config_schema() -> dict[str, Any]:
    """The JSON Schema of the config file, as `repowarden schema` prints it."""
    schema = Config.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


@cache
def schema_text() -> str:
    return json.dumps(config_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def plan(config: Config, config_text: str, config_name: str = CONFIG_PATH) -> dict[str, str]:
    """Every generated file for `config`, path -> full text with header, in path order.

    `config_text` is the exact text of the config file and `config_name` its path
    relative to the target root: the manifest records both (its hash), with the
    generator build, so that neither touches any other file's bytes.
    """
    try:
        # render_templates parses what it rendered and runs every invariant check
        # before returning; a second pass here would double the cost of each run
        # (pure-Python YAML parsing dominates) while the header adds comment lines only.
        rendered = render_templates(config)
    except UnsafeRenderError as exc:
        raise InvariantError(exc.violations) from None
    # The schema is YAML-compatible JSON, so the `#` header can precede it and
    # yaml-language-server (which reads YAML schema files) still loads it.
    extra = {
        **vendored_files(),
        SCHEMA_PATH: schema_text(),
        PARSED_CONFIG_PATH: parsed_config_body(config_text, config_name),
    }
    clash = sorted(set(rendered) & set(extra))
    if clash:
        raise InvariantError([f"{p}: rendered by a template and also vendored" for p in clash])
    bodies = {**rendered, **extra}
    build = generator_version()
    manifest = Manifest(tuple(sorted(bodies)), config_name, sha256(config_text), build)
    bodies[MANIFEST_PATH] = manifest.render()
    return {path: with_header(body) for path, body in sorted(bodies.items())}
