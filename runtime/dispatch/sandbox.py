"""Run an operation's untrusted programs as a fresh OS user of their own.

On a GitHub-hosted runner the job's user has passwordless sudo, and the runner
worker, which holds the job's GITHUB_TOKEN and the Actions runtime token (the one
that writes cache entries and artifacts), runs as that same user: any program the
job starts can read the worker's `/proc/<pid>/environ` and memory, or just sudo.

So `operate`, started as root, creates a user for this one run: no password, no
sudo rule, no supplementary group, a HOME of its own. The checkout is copied into
that HOME, the tools (the runtime's interpreter and site-packages: pip-tools,
build) are copied next to it read-only, and every untrusted program runs as that
user with an allow-listed environment. Linux lets a process read another user's
`/proc/<pid>/environ` or `/proc/<pid>/mem` only with ptrace access (same uid, or
CAP_SYS_PTRACE), so the worker and every other job process are out of reach, and no
token is ever in the sandbox's environment. Afterwards every process the user left
behind is killed and the user removed.

What stays possible: network access (pip-compile and build must download), reading
world-readable files of the runner image, and whatever the operation's own result
carries (the privileged side verifies that).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

USER_PREFIX = "rw-op-"
SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The whole environment a sandboxed program gets, besides PATH, HOME, USER, LOGNAME.
_PASSED = frozenset({"LANG", "LC_ALL", "LC_CTYPE", "TZ", "SOURCE_DATE_EPOCH", "TERM"})
# pip's own settings (an index, a wheel folder) pass only without credentials in them.
_PIP_SETTINGS = frozenset(
    {
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "PIP_FIND_LINKS",
        "PIP_NO_INDEX",
        "PIP_CERT",
        "PIP_DEFAULT_TIMEOUT",
        "PIP_DISABLE_PIP_VERSION_CHECK",
    }
)


class SandboxError(Exception):
    """The sandbox could not be set up (or torn down) as promised; nothing untrusted ran."""


def _as_root(argv: Sequence[str]) -> None:
    proc = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SandboxError(f"{argv[0]} failed: {(proc.stderr or proc.stdout).strip()}")


def readable_by_all(root: Path) -> None:
    """Root's files that the sandbox user runs: readable and traversable, never writable."""
    for directory, _dirs, files in os.walk(root):
        os.chmod(directory, 0o755)  # noqa: S103 (meant: other users read, nobody else writes)
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode & 0o755 | 0o444)


def sandbox_env(environ: Mapping[str, str], home: Path, user: str, path: str) -> dict[str, str]:
    """The allow-listed environment: nothing of the job's own gets through by default."""
    env = {"PATH": path, "HOME": str(home), "USER": user, "LOGNAME": user}
    for name, value in environ.items():
        if name in _PASSED or (name in _PIP_SETTINGS and "@" not in value):
            env[name] = value
    return env


@dataclass(frozen=True)
class Sandbox:
    user: str
    uid: int
    gid: int
    home: Path

    @property
    def tools(self) -> Path:
        return self.home / "tools"

    @property
    def python(self) -> Path:
        return self.tools / "bin" / "python"

    @classmethod
    def create(cls) -> Sandbox:
        """A new user with nothing but its HOME; SandboxError unless running as root."""
        if os.geteuid() != 0:
            raise SandboxError("creating the operation's user needs root (run operate with sudo)")
        user = f"{USER_PREFIX}{secrets.token_hex(4)}"
        _as_root(["useradd", "--create-home", "--shell", "/usr/sbin/nologin", "--user-group", user])
        entry = pwd.getpwnam(user)
        box = cls(user, entry.pw_uid, entry.pw_gid, Path(entry.pw_dir))
        try:
            box._check_unprivileged()
        except BaseException:
            box.remove()
            raise
        return box

    def _check_unprivileged(self) -> None:
        groups = set(os.getgrouplist(self.user, self.gid))
        if groups != {self.gid}:
            raise SandboxError(f"user {self.user} is in groups {sorted(groups)}; it must have none")
        if shutil.which("sudo"):
            proc = subprocess.run(
                ["sudo", "-n", "-l", "-U", self.user], capture_output=True, text=True, check=False
            )
            if "not allowed to run sudo" not in proc.stdout + proc.stderr:
                raise SandboxError(f"user {self.user} may use sudo; refusing to run as it")

    def install_tools(self) -> None:
        """The runtime's interpreter and packages, readable (not writable) by the user.

        The runtime's own directories may sit under a HOME the user cannot enter, so
        its site-packages are copied; the interpreter is the runtime's own if the user
        can run it, else the system's of the same version.
        """
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        candidates = [Path(sys.executable).resolve(), Path(f"/usr/bin/python{version}")]
        base = next((c for c in candidates if c.is_file() and self._can_run(c)), None)
        if base is None:
            raise SandboxError(f"no Python {version} the operation's user may run")
        _as_root([str(base), "-m", "venv", "--without-pip", str(self.tools)])
        purelib = Path(sysconfig.get_paths()["purelib"])
        target = Path(
            sysconfig.get_paths(vars={"base": str(self.tools), "platbase": str(self.tools)})[
                "purelib"
            ]
        )
        shutil.copytree(purelib, target, symlinks=True, dirs_exist_ok=True)
        readable_by_all(self.tools)

    def mkdir(self, name: str) -> Path:
        """A directory in the user's HOME that the user owns (where its programs write)."""
        path = self.home / name
        path.mkdir()
        os.chown(path, self.uid, self.gid)
        return path

    def _can_run(self, python: Path) -> bool:
        try:
            proc = subprocess.run(
                [str(python), "-c", "pass"],
                user=self.uid,
                group=self.gid,
                extra_groups=[],
                env={"PATH": SAFE_PATH, "HOME": str(self.home)},
                cwd="/",
                capture_output=True,
                check=False,
            )
        except OSError:  # not even executable for the user (a HOME it cannot enter)
            return False
        return proc.returncode == 0

    def take(self, source: Path, name: str) -> Path:
        """A copy of `source` (a checkout) owned by the user, inside its HOME."""
        target = self.home / name
        shutil.copytree(source, target, symlinks=True)
        for directory, dirs, files in os.walk(target):
            for entry in [directory, *(os.path.join(directory, n) for n in dirs + files)]:
                os.lchown(entry, self.uid, self.gid)
        return target

    def run(
        self,
        argv: Sequence[str],
        cwd: Path,
        environ: Mapping[str, str],
        *,
        timeout: float,
        capture: bool = False,
        extra_path: Sequence[Path] = (),
    ) -> subprocess.CompletedProcess[bytes]:
        path = os.pathsep.join([*map(str, extra_path), str(self.tools / "bin"), SAFE_PATH])
        return subprocess.run(
            list(argv),
            cwd=cwd,
            env=sandbox_env(environ, self.home, self.user, path),
            user=self.uid,
            group=self.gid,
            extra_groups=[],
            umask=0o022,
            stdin=subprocess.DEVNULL,
            capture_output=capture,
            start_new_session=True,
            timeout=timeout,
            check=False,
        )

    def processes(self) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if entry.stat().st_uid == self.uid:
                        found.append(int(entry.name))
                except OSError:
                    continue  # it ended while we looked
        return found

    def remove(self) -> None:
        """Kill what the user left running, then remove the user and its HOME."""
        for _ in range(50):
            pids = self.processes()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
            time.sleep(0.02)
        _as_root(["userdel", "--remove", self.user])
