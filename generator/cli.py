"""`repowarden`: the command line of the generator.

    repowarden generate [--root DIR] [--config PATH] [--check]
    repowarden schema
    repowarden init [DIR] [--data KEY=VALUE ...] [--defaults]
    repowarden dispatch OWNER/REPO OPERATION [--pr N] [--watch]
    repowarden protect [--root DIR] [--ruleset] [--merge-queue] [--apply] [--app-manifest]

Exit codes are distinct so CI and scripts can tell failures apart (see `Exit`).
Heavy imports (copier, the renderer) happen inside the subcommand that needs them:
`generate --check` runs in pre-commit hooks on every commit.
"""

from __future__ import annotations

import argparse
import sys
from enum import IntEnum
from pathlib import Path


class Exit(IntEnum):
    OK = 0
    DRIFT = 1  # --check: a generated file is missing, stale, edited or extra (dispatch: failed)
    BAD_INPUT = 2  # invalid config or arguments, unreadable path; nothing was written
    GITHUB = 3  # dispatch: GitHub could not be reached or refused (the runtime's code)
    INVARIANT = 4  # the rendered files break a security invariant; nothing was written
    WRITE_FAILED = 5  # the filesystem refused a write; the tree holds what it held before
    CONFLICT = 6  # a generated path holds a file repowarden did not write; nothing written


EXIT_CODES_HELP = """exit codes:
  0  success (with --check: every generated file is current)
  1  --check found drift: a generated file is missing, stale, edited by hand or extra;
     dispatch: its jobs failed or never appeared
  2  invalid config, bad arguments or an unreadable path; nothing was written
  3  dispatch: GitHub could not be reached or refused a call
  4  the rendered files break a security invariant; nothing was written
  5  a write failed; the target tree was left as it was
  6  a file repowarden did not generate is in the way of a generated one; nothing written
"""


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


# ------------------------------------------------------------------ generate


def _read_config(path: Path) -> str:
    from repowarden.runtime.config import ConfigError, Problem

    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        message = "no such file; create it with `repowarden init` or pass --config"
    except UnicodeDecodeError as exc:
        message = f"cannot read the config: not UTF-8 text ({exc.reason} at byte {exc.start})"
    except OSError as exc:
        message = f"cannot read the config: {exc.strerror or exc}"
    raise ConfigError([Problem(str(path), 1, 1, message)])


def _config_name(root: Path, config: Path) -> str:
    """The config's path as the header records it: relative to the target root."""
    try:
        return config.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return config.as_posix()


def _proven_current(root: Path, config_path: Path) -> bool:
    """--check's fast path: the headers alone show the tree is current (no rendering)."""
    from .fast_check import proven_current

    try:
        text = config_path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False  # the full path reports why, with its location
    count = proven_current(root, text, _config_name(root, config_path))
    if count is None:
        return False
    print(f"repowarden: {count} generated files are current", file=sys.stderr)
    return True


def cmd_generate(args: argparse.Namespace) -> int:
    from repowarden.runtime.generated import CONFIG_PATH

    root = Path(args.root)
    if not root.is_dir():
        _error(f"--root {root}: not a directory (valid: an existing folder, the repository root)")
        return Exit.BAD_INPUT
    config_path = Path(args.config) if args.config else root / CONFIG_PATH
    if args.check and _proven_current(root, config_path):
        return Exit.OK

    from repowarden.runtime.config import ConfigError, parse_config

    try:
        text = _read_config(config_path)
        config = parse_config(text, str(config_path))
    except ConfigError as exc:
        _error(f"invalid config ({len(exc.problems)} problem(s)); nothing was written:")
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return Exit.BAD_INPUT

    from . import writer
    from .build import InvariantError, plan

    try:
        files = plan(config, text, _config_name(root, config_path))
    except InvariantError as exc:
        _error("the rendered files break security invariants; nothing was written:")
        for violation in exc.violations:
            print(violation, file=sys.stderr)
        return Exit.INVARIANT

    if args.check:
        drift = writer.check(root, files)
        if not drift:
            print(f"repowarden: {len(files)} generated files are current", file=sys.stderr)
            return Exit.OK
        for item in drift:
            sys.stdout.write(item.diff)
        for item in drift:
            print(item.describe(), file=sys.stderr)
        print(
            f"repowarden: {len(drift)} generated file(s) out of date; "
            "run `repowarden generate` and commit the result",
            file=sys.stderr,
        )
        return Exit.DRIFT

    try:
        applied = writer.apply(root, files)
    except writer.ConflictError as exc:
        _error(str(exc))
        return Exit.CONFLICT
    except writer.WriteError as exc:
        _error(str(exc))
        return Exit.WRITE_FAILED
    for rel in applied.written:
        print(f"wrote {rel}", file=sys.stderr)
    for rel in applied.removed:
        print(f"removed {rel}", file=sys.stderr)
    print(
        f"repowarden: {len(applied.written)} written, {len(applied.removed)} removed, "
        f"{len(applied.unchanged)} unchanged",
        file=sys.stderr,
    )
    return Exit.OK


# ------------------------------------------------------------------ schema


def cmd_schema(args: argparse.Namespace) -> int:
    from .build import schema_text

    sys.stdout.write(schema_text())
    return Exit.OK


# ------------------------------------------------------------------ init


def _parse_data(pairs: list[str]) -> dict[str, str]:
    data: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--data {pair!r}: expected KEY=VALUE, e.g. repository=octo/hello")
        data[key] = value
    return data


def cmd_init(args: argparse.Namespace) -> int:
    try:
        data = _parse_data(args.data)
    except ValueError as exc:
        _error(str(exc))
        return Exit.BAD_INPUT
    from .init import InitError, init

    try:
        return init(Path(args.dir), data, defaults=args.defaults)
    except InitError as exc:
        _error(str(exc))
        return Exit.BAD_INPUT


# ------------------------------------------------------------------ parser


def _dispatch_available() -> bool:
    # find_spec only locates the module: importing the client (and ghapi) on every
    # `generate` would cost a fresh process most of its time budget.
    from importlib.util import find_spec

    return find_spec("repowarden.runtime.dispatch.client") is not None


def cmd_dispatch(args: argparse.Namespace) -> int:
    from repowarden.runtime.config import ConfigError
    from repowarden.runtime.dispatch import client
    from repowarden.runtime.errors import BadInput
    from repowarden.runtime.github import GitHubError

    try:
        return int(client.run(args))
    except (ConfigError, BadInput) as exc:
        _error(str(exc))
        return Exit.BAD_INPUT
    except GitHubError as exc:
        _error(str(exc))
        return Exit.GITHUB


def build_parser(wants_dispatch: bool = False) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="repowarden",
        description="Turn .github/repowarden.yml into least-privilege GitHub Actions files.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    gen = sub.add_parser(
        "generate",
        help="render every generated file from the config (or --check them)",
        description="Render every generated file from the config into the repository. "
        "Only files that carry the repowarden header are written or removed.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    gen.add_argument("--root", default=".", help="the repository root (default: .)")
    gen.add_argument(
        "--config", help="the config file (default: ROOT/.github/repowarden.yml)", default=None
    )
    gen.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a unified diff if any generated file is out of date",
    )
    gen.set_defaults(func=cmd_generate)

    schema = sub.add_parser("schema", help="print the JSON Schema of the config file")
    schema.set_defaults(func=cmd_schema)

    init = sub.add_parser(
        "init",
        help="scaffold .github/repowarden.yml (copier questions) and generate everything",
        description="Run the bundled copier template: ask the questions, write "
        ".github/repowarden.yml, then `repowarden generate` in DIR.",
    )
    init.add_argument("dir", nargs="?", default=".", help="the repository root (default: .)")
    init.add_argument(
        "--data",
        "-d",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="answer a question (repeatable); YAML values for lists and maps",
    )
    init.add_argument(
        "--defaults",
        action="store_true",
        help="use the default answer for every question not given",
    )
    init.set_defaults(func=cmd_init)

    from . import protect

    protect_parser = sub.add_parser(
        "protect",
        help="print (or --apply) the branch protection and environment the review gate needs",
        description=protect.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    protect.add_arguments(protect_parser)
    protect_parser.set_defaults(func=protect.run)

    if _dispatch_available():
        dispatch = sub.add_parser(
            "dispatch",
            help="send a repository_dispatch operation and follow its jobs",
            description="Send a repository_dispatch with a fresh id, find the jobs named "
            "after it and print their URLs (--watch: follow them to their conclusions).",
        )
        if wants_dispatch:
            from repowarden.runtime.dispatch import client

            client.add_arguments(dispatch)
        dispatch.set_defaults(func=cmd_dispatch)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(wants_dispatch=bool(argv) and argv[0] == "dispatch")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed the usage and why
        return Exit.OK if exc.code == 0 else Exit.BAD_INPUT
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
