"""Render a config with the real generator (`repowarden generate`, the CLI) into a tree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def render(config_text: str, dest: Path) -> dict[str, bytes]:
    """The files `repowarden generate` writes into a tree holding only this config."""
    (dest / ".github").mkdir(parents=True)
    (dest / ".github" / "repowarden.yml").write_text(config_text, encoding="utf-8")
    cli = Path(sys.executable).parent / "repowarden"
    proc = subprocess.run(
        [str(cli), "generate", "--root", str(dest)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {
        p.relative_to(dest).as_posix(): p.read_bytes()
        for p in sorted(dest.rglob("*"))
        if p.is_file()
    }
