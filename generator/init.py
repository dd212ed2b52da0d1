"""`repowarden init`: the packaged copier template, then `generate`, in one step.

The template (templates/copier/) is the same one `copier copy` uses from a git URL
(the root copier.yml includes its questions), read from the installed package so it
works from a wheel. It writes only .github/repowarden.yml; generating is done here,
in-process, instead of through the template's task, so that a failure can take the
scaffolded config back out and leave the directory as it was.
"""

from __future__ import annotations

import argparse
import sys
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from repowarden.runtime.config import CONFIG_PATH

# Questions of type int: copier's own cast error names neither the question nor the value.
INTEGER_QUESTIONS = ("dispatcher_id", "external_approvals")


class InitError(Exception):
    """The template could not be run with these answers; nothing was left behind."""


def _remove_new(paths: list[Path], folders: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except OSError:
            continue


def init(dst: Path, data: dict[str, Any], *, defaults: bool) -> int:
    """Scaffold `dst` and generate; returns the generator's exit code."""
    from copier import run_copy
    from copier.errors import CopierError

    from .cli import Exit, cmd_generate

    for key in INTEGER_QUESTIONS:
        value = data.get(key)
        if isinstance(value, str) and not value.strip().isdigit():
            raise InitError(f"--data {key}={value}: must be a whole number, e.g. {key}=4242")
    config = dst / CONFIG_PATH
    if config.exists():
        raise InitError(
            f"{config} already exists: edit it and run `repowarden generate --root {dst}`"
        )
    if dst.exists() and not dst.is_dir():
        raise InitError(f"{dst}: not a directory")
    # Folders this run creates, outermost first, so a failure removes exactly them.
    new_folders = [p for p in reversed([config.parent, *config.parent.parents]) if not p.exists()]
    template = files("repowarden.templates").joinpath("copier")
    try:
        with as_file(template) as src:
            run_copy(
                str(src),
                dst,
                data=data,
                defaults=defaults,
                unsafe=True,  # it declares a task and a migration: our own `generate`
                skip_tasks=True,  # generated below, where a failure can be undone
                quiet=True,
                overwrite=False,
            )
    except (CopierError, ValueError, KeyboardInterrupt) as exc:
        _remove_new([config], new_folders)
        raise InitError(f"the template could not be rendered: {exc}") from None
    # No answers file was written: the packaged template is not a git repository, so
    # copier records no commit and `copier update` could never work from it.
    status = cmd_generate(argparse.Namespace(root=str(dst), config=None, check=False))
    if status != Exit.OK:
        _remove_new([config], new_folders)
        print(f"repowarden init: generate failed; removed {config}", file=sys.stderr)
    return status
