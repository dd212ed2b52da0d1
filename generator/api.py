"""The generator as a library: `generate(root, config, check=...)`, under the CLI.

The `repowarden` CLI and `repowarden init` are front ends over this one entry: they
parse arguments, call it and print what it returns. Every failure is a
`RepowardenError` (runtime/errors.py) whose `exit_code` says how a process should
end: ConfigError and BadInput 2, InvariantError 4, WriteError 5, ConflictError 6.
Heavy imports (pydantic, Jinja, ruamel.yaml) happen only once the manifest could not
prove the tree current: `generate --check` runs in pre-commit hooks on every commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from repowarden.runtime.errors import BadInput
from repowarden.runtime.generated import CODEOWNERS_PATH, CONFIG_PATH

if TYPE_CHECKING:
    from .writer import Drift


@dataclass(frozen=True)
class Outcome:
    """What one `generate` did (`written`, `removed`, `unchanged`) or found (`drift`)."""

    files: int  # how many files the config generates
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)
    # --check answered from the manifest and headers alone, without rendering.
    proven_by_manifest: bool = False


def find_root(start: Path) -> Path:
    """The repository root as git finds it: the nearest folder upward holding `.git`.

    `start` itself when no folder above holds one (a tree that is not a git
    repository yet, as `generate --root DIR` on a fresh directory).
    """
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def config_name(root: Path, config: Path) -> str:
    """The config's path relative to `root`, as the manifest records it."""
    try:
        return config.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise BadInput(
            f"--config {config}: outside the repository root {root}; the lint workflow "
            "checks the generated files against the config in the repository, so keep it "
            f"there (default: {CONFIG_PATH})"
        ) from None


def generate(
    root: Path,
    config: Path | None = None,
    *,
    check: bool = False,
    fold_codeowners: bool = False,
) -> Outcome:
    """Render every generated file from `config` into `root`, or with `check` only diff.

    `config` defaults to ROOT/.github/repowarden.yml. With `check` nothing is written
    and `Outcome.drift` lists every file that differs; otherwise the tree afterwards
    holds exactly the plan (all or nothing) and `Outcome` says what changed.
    `fold_codeowners` first moves the rules of a hand-written .github/CODEOWNERS into
    the config (generator/adopt.py), as part of the same all-or-nothing change.
    """
    if not root.is_dir():
        raise BadInput(
            f"--root {root}: not a directory (valid: an existing folder, the repository root)"
        )
    config_path = config if config is not None else root / CONFIG_PATH
    name = config_name(root, config_path)
    if check:
        count = _proven_current(root, config_path, name)
        if count is not None:
            return Outcome(count, proven_by_manifest=True)

    from repowarden.runtime.config import parse_config, read_config_text

    from . import writer
    from .build import plan

    text = read_config_text(config_path)
    if fold_codeowners and not check:
        from .adopt import foreign_codeowners

        theirs = foreign_codeowners(root)
        if theirs is not None:
            return _fold_and_generate(root, config_path, name, text, theirs)
    files = plan(parse_config(text, str(config_path)), text, name)
    if check:
        return Outcome(len(files), drift=writer.check(root, files))
    applied = writer.apply(root, files)
    return Outcome(len(files), applied.written, applied.removed, applied.unchanged)


def _fold_and_generate(root: Path, config_path: Path, name: str, text: str, theirs: str) -> Outcome:
    """Fold `theirs` (a hand-written CODEOWNERS) into the config, generate; undone on failure."""
    from repowarden.runtime.config import parse_config

    from . import writer
    from .adopt import fold_into_config, parse_codeowners
    from .build import plan

    folded = fold_into_config(text, parse_codeowners(theirs, str(root / CODEOWNERS_PATH)))
    files = plan(parse_config(folded, str(config_path)), folded, name)  # checked before a write
    codeowners = root / CODEOWNERS_PATH
    try:
        config_path.write_bytes(folded.encode("utf-8"))
        codeowners.unlink()
        applied = writer.apply(root, files)
    except BaseException:
        config_path.write_bytes(text.encode("utf-8"))
        codeowners.write_bytes(theirs.encode("utf-8"))
        raise
    written = sorted({*applied.written, name})
    return Outcome(len(files), written, applied.removed, applied.unchanged)


def _proven_current(root: Path, config_path: Path, name: str) -> int | None:
    # Read here, not with the loader: importing it costs pydantic, which the fast
    # path exists to avoid. A config that cannot be read goes the full way, which
    # reports why with its location.
    from .fast_check import proven_current

    try:
        text = config_path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return proven_current(root, text, name)
