"""`generate --check` on an unchanged tree, decided from the headers alone.

Every generated file's header names the generator build (version + source
fingerprint), the config's sha256 and its own content's sha256, and the manifest
lists every generated path. When every listed file carries this build, this config's
hash and an intact body, and no other headed file exists, `generate` would write the
same bytes (rendering is deterministic; tests/generator/test_fast_check.py holds it
to that), so the tree is current without importing pydantic, Jinja or ruamel.yaml.
Anything short of that answers "unknown" and the caller renders and diffs in full.
"""

from __future__ import annotations

from pathlib import Path

from repowarden.runtime.commands.verify_generated import headed_files, manifest_problems
from repowarden.runtime.generated import sha256, split_header

from .fingerprint import generator_version


def proven_current(root: Path, config_text: str, config_name: str) -> int | None:
    """The number of generated files if the headers prove them current, else None."""
    found = headed_files(root)
    if not found or manifest_problems(root, {path.as_posix() for path, _ in found}):
        return None
    build, config_hash = generator_version(), sha256(config_text)
    for _, text in found:
        header, body = split_header(text)
        if (
            header is None
            or header.version != build
            or header.config != config_name
            or header.config_hash != config_hash
            or header.content_hash != sha256(body)
        ):
            return None
    return len(found)
