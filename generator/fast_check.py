"""`generate --check` on an unchanged tree, decided from the manifest and headers alone.

The manifest (runtime/generated.py) records the generator build (version + source
fingerprint), the config's path and sha256, and every generated path; each file's
header records its own content's sha256. When the manifest names this build and this
config and every file it lists is present with an intact body, `generate` would write
the same bytes (rendering is deterministic; tests/generator/test_fast_check.py holds
it to that), so the tree is current without importing pydantic, Jinja or ruamel.yaml.
Anything short of that answers "unknown" and the caller renders and diffs in full.
"""

from __future__ import annotations

from pathlib import Path

from repowarden.runtime.generated import listed_files, problems_with, read_manifest, sha256

from .fingerprint import generator_version


def proven_current(root: Path, config_text: str, config_name: str) -> int | None:
    """The number of generated files if the manifest proves them current, else None."""
    manifest = read_manifest(root)
    if (
        manifest is None
        or manifest.generator != generator_version()
        or manifest.config != config_name
        or manifest.config_hash != sha256(config_text)
    ):
        return None
    files = listed_files(root, manifest)
    if any(problems_with(path, text) for path, text in files.items()):
        return None
    return len(files)
