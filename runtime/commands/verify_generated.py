"""`verify-generated`: every generated file under .github/ still matches its header.

Runs in the target's lint workflow from the vendored runtime, without the generator:
each file that opens with the repowarden header must hash to the content hash it
records (no hand edit) and name the hash of the current config (regenerated after
the last config change). The generator's `generate --check` is the stronger check
(it re-renders, so it also sees missing files); this one needs nothing but the tree.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from repowarden.runtime.commands import Command
from repowarden.runtime.errors import BadInput, Exit
from repowarden.runtime.generated import problems_with, split_header

GENERATED_ROOT = ".github"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=".github/repowarden.yml", help="the config file")
    parser.add_argument(
        "--root",
        default=None,
        help="the repository root holding .github/ (default: $GITHUB_WORKSPACE, else .)",
    )


def _generated(root: Path) -> list[tuple[Path, str]]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root / GENERATED_ROOT, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if path.is_symlink():
                continue
            try:
                text = path.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                continue  # not text we wrote
            if split_header(text)[0] is not None:
                found.append((path.relative_to(root), text))
    return found


def run(args: argparse.Namespace) -> int:
    root = Path(args.root or os.environ.get("GITHUB_WORKSPACE") or ".")
    try:
        config_text = Path(args.config).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise BadInput(f"{args.config}: cannot read the config: {reason}") from None
    if not (root / GENERATED_ROOT).is_dir():
        raise BadInput(f"{root / GENERATED_ROOT}: no such folder (is --root the repository?)")
    files = _generated(root)
    if not files:
        print(
            f"verify-generated: no file under {root / GENERATED_ROOT} carries the repowarden "
            "header; run `repowarden generate` and commit the result",
            file=sys.stderr,
        )
        return Exit.FAILED
    problems = [p for path, text in files for p in problems_with(path, text, config_text)]
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
