"""`repowarden`: the command line, a thin layer over the library (generator/api.py).

    repowarden [--version] [-q] COMMAND ...
    repowarden generate [--root DIR] [--config PATH] [--check]
    repowarden schema
    repowarden init [DIR] [--data KEY=VALUE ...] [--defaults]
    repowarden explain [--config PATH] [--repo OWNER/NAME] --pr N | --snapshot FILE
    repowarden dispatch OWNER/REPO OPERATION [--pr N] [--watch]
    repowarden protect [--root DIR] [--ruleset] [--merge-queue] [--apply] [--app-manifest]

Each command parses its arguments, calls the library and prints what it returns.
Every failure is a `RepowardenError` carrying its exit code (runtime/errors.py);
`main` is the one place that turns one into a message and a code. Heavy imports
(copier, the renderer, ghapi) happen inside the command that needs them:
`generate --check` runs in pre-commit hooks on every commit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from repowarden.runtime.errors import Exit, RepowardenError

EXIT_CODES_HELP = """exit codes:
  0  success (with --check: every generated file is current)
  1  --check found drift: a generated file is missing, stale, edited by hand or extra;
     explain: not approved; dispatch: its jobs failed or never appeared
  2  invalid config, bad arguments or an unreadable path; nothing was written
  3  explain, dispatch: GitHub could not be reached or refused a call
  4  the rendered files break a security invariant; nothing was written
  5  a write failed; the target tree was left as it was
  6  a file repowarden did not generate is in the way of a generated one; nothing written
"""


def _say(args: argparse.Namespace, message: str) -> None:
    """Progress for people on stderr; `-q` keeps only errors and drift."""
    if not args.quiet:
        print(message, file=sys.stderr)


def _report_error(exc: RepowardenError) -> None:
    from repowarden.generator.build import InvariantError
    from repowarden.runtime.config import ConfigError

    if isinstance(exc, ConfigError):
        print(
            f"error: invalid config ({len(exc.problems)} problem(s)); nothing was written:",
            file=sys.stderr,
        )
        for problem in exc.problems:
            print(problem, file=sys.stderr)
    elif isinstance(exc, InvariantError):
        print(
            "error: the rendered files break security invariants; nothing was written:",
            file=sys.stderr,
        )
        for violation in exc.violations:
            print(violation, file=sys.stderr)
    else:
        print(f"error: {exc}", file=sys.stderr)


# ------------------------------------------------------------------ commands


def cmd_generate(args: argparse.Namespace) -> int:
    from .api import find_root, generate

    root = Path(args.root) if args.root is not None else find_root(Path.cwd())
    config = Path(args.config) if args.config else None
    outcome = generate(root, config, check=args.check, fold_codeowners=args.fold_codeowners)
    if args.check:
        for item in outcome.drift:
            sys.stdout.write(item.diff)
        for item in outcome.drift:
            print(item.describe(), file=sys.stderr)
        if outcome.drift:
            print(
                f"repowarden: {len(outcome.drift)} generated file(s) out of date; "
                "run `repowarden generate` and commit the result",
                file=sys.stderr,
            )
            return Exit.DRIFT
        _say(args, f"repowarden: {outcome.files} generated files are current")
        return Exit.OK
    for rel in outcome.written:
        _say(args, f"wrote {rel}")
    for rel in outcome.removed:
        _say(args, f"removed {rel}")
    _say(
        args,
        f"repowarden: {len(outcome.written)} written, {len(outcome.removed)} removed, "
        f"{len(outcome.unchanged)} unchanged",
    )
    return Exit.OK


def cmd_schema(args: argparse.Namespace) -> int:
    from .build import schema_text

    sys.stdout.write(schema_text())
    return Exit.OK


def cmd_init(args: argparse.Namespace) -> int:
    from .init import init, parse_data

    init(Path(args.dir), parse_data(args.data), defaults=args.defaults, quiet=args.quiet)
    return Exit.OK


def cmd_explain(args: argparse.Namespace) -> int:
    from repowarden.runtime.commands import load

    return int(load("explain").run(args))


def cmd_dispatch(args: argparse.Namespace) -> int:
    from repowarden.runtime.dispatch import client

    return int(client.run(args))


# ------------------------------------------------------------------ parser


def _dispatch_available() -> bool:
    # find_spec only locates the module: importing the client (and ghapi) on every
    # `generate` would cost a fresh process most of its time budget.
    from importlib.util import find_spec

    return find_spec("repowarden.runtime.dispatch.client") is not None


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"repowarden {version('repowarden')}"
    except PackageNotFoundError:  # a checkout that was never installed
        return "repowarden (not installed)"


def build_parser(wants: str | None = None) -> argparse.ArgumentParser:
    """The parser; `wants` names the command about to run, whose arguments may be costly."""
    quiet = argparse.ArgumentParser(add_help=False)
    quiet.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser = argparse.ArgumentParser(
        prog="repowarden",
        description="Turn .github/repowarden.yml into least-privilege GitHub Actions files.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # Its own dest: a subcommand's unset `-q` would otherwise reset `repowarden -q CMD`.
    parser.add_argument(
        "-q", "--quiet", dest="quiet_everywhere", action="store_true", help="print only errors"
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    gen = sub.add_parser(
        "generate",
        help="render every generated file from the config (or --check them)",
        description="Render every generated file from the config into the repository. "
        "Only files that carry the repowarden header are written, and only files the "
        "previous run's manifest lists are removed.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[quiet],
    )
    gen.add_argument(
        "--root",
        default=None,
        help="the repository root (default: the git repository around the current folder)",
    )
    gen.add_argument(
        "--config", help="the config file (default: ROOT/.github/repowarden.yml)", default=None
    )
    gen.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a unified diff if any generated file is out of date",
    )
    gen.add_argument(
        "--fold-codeowners",
        action="store_true",
        help="move the rules of a hand-written .github/CODEOWNERS into the config's "
        "codeowners: first, so repowarden can generate that file",
    )
    gen.set_defaults(func=cmd_generate)

    schema = sub.add_parser("schema", help="print the JSON Schema of the config file")
    schema.set_defaults(func=cmd_schema)

    init = sub.add_parser(
        "init",
        help="scaffold .github/repowarden.yml (copier questions) and generate everything",
        description="Run the bundled copier template: ask the questions, write "
        ".github/repowarden.yml, then generate every file in DIR.",
        parents=[quiet],
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

    explain = sub.add_parser(
        "explain",
        help="print whether a pull request is approved under the config, and why",
        description="Evaluate the config's review policy for one pull request, read-only, "
        "and print the verdict as JSON (the runtime's `explain`). Live: the token comes "
        "from GITHUB_TOKEN or GH_TOKEN, the repository from --repo or the config.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if wants == "explain":
        from repowarden.runtime.commands import add_all_arguments, load

        # The runtime's own parser for it: the same arguments under either front end.
        add_all_arguments(explain, load("explain"))
    explain.set_defaults(func=cmd_explain)

    protect_parser = sub.add_parser(
        "protect",
        help="print (or --apply) the branch protection and environment the review gate needs",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if wants == "protect":
        # Only then: it reads the config (pydantic), which `generate --check` never loads.
        from . import protect

        protect_parser.description = protect.__doc__
        protect.add_arguments(protect_parser)
        protect_parser.set_defaults(func=protect.run)

    if _dispatch_available():
        dispatch = sub.add_parser(
            "dispatch",
            help="send a repository_dispatch operation and follow its jobs",
            description="Send a repository_dispatch with a fresh id, find the jobs named "
            "after it and print their URLs (--watch: follow them to their conclusions).",
        )
        if wants == "dispatch":
            from repowarden.runtime.dispatch import client

            client.add_arguments(dispatch)
        dispatch.set_defaults(func=cmd_dispatch)
    return parser


def _command_in(argv: list[str]) -> str | None:
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(wants=_command_in(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed the usage and why
        return Exit.OK if exc.code == 0 else Exit.BAD_INPUT
    args.quiet = getattr(args, "quiet", False) or args.quiet_everywhere
    try:
        return int(args.func(args))
    except RepowardenError as exc:
        _report_error(exc)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
