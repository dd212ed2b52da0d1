"""The runtime's venv, installed once per requirements set and copied into each job.

Every job runs the composite action's real `python -m venv` + `pip install
--require-hashes` command; starting from a copy of an installed venv, pip finds
everything satisfied. Installing up front (not in the first job) keeps jobs from
waiting on each other, which the world's simulated time could not account for.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workflow_runner import JobContext

PIP_CACHE = Path(tempfile.gettempdir()) / "repowarden-e2e-pip-cache"
UV_CACHE = Path(tempfile.gettempdir()) / "repowarden-e2e-uv-cache"
VENV = "repowarden-venv"
# What a runner machine has set for the composite action's installs (pip and uv).
MACHINE_ENV = {
    "PIP_CACHE_DIR": str(PIP_CACHE),
    "PIP_NO_INPUT": "1",
    "UV_CACHE_DIR": str(UV_CACHE),
    # uv trusts its own root store; this machine reaches PyPI through one that only
    # the system bundle (the one pip is told about) holds.
    **{k: os.environ[k] for k in ("SSL_CERT_FILE",) if k in os.environ},
}


def link_or_copy(src: str, dst: str) -> None:
    # Installed packages are never written in place: hard-link them. `python -m venv`
    # rewrites pyvenv.cfg and bin/ scripts, so those are real copies.
    if f"{os.sep}lib{os.sep}" in src:
        os.link(src, dst)
    else:
        shutil.copy2(src, dst)


def requirements_key(requirements: Path) -> str:
    # The generated header names the config's hash; only the requirement lines matter.
    lines = [
        line
        for line in requirements.read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
    ]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


class RuntimeVenvs:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.Lock()

    def prepare(self, requirements: Path) -> Path:
        key = requirements_key(requirements)
        target = self.root / key
        with self.lock:
            if not target.is_dir():
                python = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
                tmp = self.root / f"{key}.tmp"
                subprocess.run([str(python), "-m", "venv", str(tmp)], check=True)
                subprocess.run(
                    [
                        str(tmp / "bin" / "python"),
                        *("-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
                        *("--require-hashes", "-r", str(requirements)),
                    ],
                    check=True,
                    env={**os.environ, **MACHINE_ENV},
                )
                tmp.rename(target)
        return target

    def job_hook(self, ctx: JobContext) -> None:
        requirements = ctx.source / ".github" / "repowarden" / "requirements.txt"
        if requirements.is_file():
            prepared = self.prepare(requirements)
            shutil.copytree(
                prepared, ctx.runner_temp / VENV, symlinks=True, copy_function=link_or_copy
            )
