"""`python -m repowarden.runtime COMMAND ...`: what the generated workflows run."""

from __future__ import annotations

import argparse
import sys

from .commands import MODULES, load
from .config import ConfigError
from .errors import BadInput, Exit
from .github import GitHubError


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
    command = load(name)
    sub = argparse.ArgumentParser(
        prog=f"python -m repowarden.runtime {name}", description=command.summary
    )
    command.add_arguments(sub)
    try:
        args = sub.parse_args(argv[1:])
    except SystemExit as exc:  # argparse already printed why
        return Exit.OK if exc.code == 0 else Exit.BAD_INPUT
    try:
        return int(command.run(args))
    except ConfigError as exc:
        print(f"error: invalid config:\n{exc}", file=sys.stderr)
        return Exit.BAD_INPUT
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return Exit.BAD_INPUT
    except GitHubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return Exit.GITHUB


if __name__ == "__main__":
    sys.exit(main())
