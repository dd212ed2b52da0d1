"""`verify-generated`: every generated file still is what `generate` wrote, for this config.

Runs in the target's lint workflow from the vendored runtime, without the generator.
The manifest (runtime/generated.py) lists every generated path and records the hash
of the config they were generated from: each listed file must exist and hash to the
content hash its header records (no hand edit, none deleted), and the config must
hash to what the manifest records (regenerated after the last config change). The
generator's `generate --check` is the stronger check (it re-renders); this one needs
nothing but the tree.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from repowarden.runtime.commands import Command
from repowarden.runtime.errors import BadInput, Exit
from repowarden.runtime.generated import (
    GENERATED_ROOT,
    MANIFEST_PATH,
    listed_files,
    problems_with,
    read_manifest,
    sha256,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root",
        default=None,
        help="the repository root holding .github/ (default: $GITHUB_WORKSPACE, else .)",
    )


def run(args: argparse.Namespace) -> int:
    root = Path(args.root or os.environ.get("GITHUB_WORKSPACE") or ".")
    try:
        config_text = Path(args.config).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise BadInput(f"{args.config}: cannot read the config: {reason}") from None
    if not (root / GENERATED_ROOT).is_dir():
        raise BadInput(f"{root / GENERATED_ROOT}: no such folder (is --root the repository?)")
    manifest = read_manifest(root)
    if manifest is None:
        print(
            f"verify-generated: {root / MANIFEST_PATH} is missing or not repowarden's; "
            "run `repowarden generate` and commit the result",
            file=sys.stderr,
        )
        return Exit.FAILED
    files = listed_files(root, manifest)
    problems = [p for path, text in files.items() for p in problems_with(path, text)]
    if manifest.config_hash != sha256(config_text):
        problems.append(
            f"{MANIFEST_PATH}: stale: {args.config} changed since the files were generated "
            f"(or an older repowarden wrote them); run `repowarden generate`"
        )
    for problem in problems:
        print(problem)
    if problems:
        print(
            f"verify-generated: {len(problems)} problem(s) in {len(files)} generated files; "
            "run `repowarden generate` and commit the result",
            file=sys.stderr,
        )
        return Exit.FAILED
    print(f"verify-generated: {len(files)} generated files match {args.config}", file=sys.stderr)
    return Exit.OK


COMMAND = Command(
    name="verify-generated",
    summary="Check that every generated file under .github/ matches its header and the config.",
    permissions=(),
    add_arguments=add_arguments,
    run=run,
)
