"""`python -m repowarden.runtime COMMAND ...`: what the generated workflows run.

Every job pays for what this imports before its command starts, so it imports only
the standard library and the command table: usage, `--help` and argument errors
print without pydantic or the HTTP stack, and each command imports what it uses
when it runs (tests/runtime/test_main.py checks both in a fresh interpreter).
"""

from __future__ import annotations

import argparse
import sys

from .commands import MODULES, add_all_arguments, load
from .errors import ConfigError, Exit, RepowardenError


def parser_for(name: str) -> argparse.ArgumentParser:
    """The command's argument parser, with the options every command shares."""
    command = load(name)
    parser = argparse.ArgumentParser(
        prog=f"python -m repowarden.runtime {name}", description=command.summary
    )
    add_all_arguments(parser, command)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m repowarden.runtime")
    parser.add_argument("command", choices=sorted(MODULES), help="what to do")
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return Exit.OK if argv else Exit.BAD_INPUT
    name = argv[0]
    if name not in MODULES:
        parser.print_usage(sys.stderr)
        print(
            f"error: unknown command {name!r}; valid: {', '.join(sorted(MODULES))}", file=sys.stderr
        )
        return Exit.BAD_INPUT
    try:
        args = parser_for(name).parse_args(argv[1:])
    except SystemExit as exc:  # argparse already printed why
        return Exit.OK if exc.code == 0 else Exit.BAD_INPUT
    try:
        return int(load(name).run(args))
    except ConfigError as exc:
        print(f"error: invalid config:\n{exc}", file=sys.stderr)
        return exc.exit_code
    except RepowardenError as exc:  # BadInput, GitHubError: each carries its code
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
