"""What a `repowarden` command imports, run in a fresh interpreter (a hook pays for each)."""

from __future__ import annotations

import subprocess
import sys


def cli_imports(argv: list[str], prefixes: tuple[str, ...]) -> tuple[int, list[str]]:
    """The exit code of `repowarden ARGV` and the loaded modules starting with `prefixes`."""
    probe = (
        "import sys; from repowarden.generator import cli; "
        f"code = cli.main({argv!r}); "
        f"print(code, *sorted(m for m in sys.modules if m.startswith({prefixes!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-P", "-c", probe], capture_output=True, text=True, check=True
    )
    code, *modules = done.stdout.split()
    return int(code), modules
