"""Shared benchmark plumbing: fresh-process timing, statistics, results files.

Every benchmark script is `python bench/<name>.py [--quick] [--runs N] [--results-dir DIR]`.
It prints markdown table rows and writes one JSON file to bench/results/ (quick runs
write `<name>.quick.json` so they never overwrite the recorded full results).
These are measurements, not tests: nothing here fails on a timing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
FULL_RUNS = 7
# Inherited variables that would change what a child process imports or where it
# talks to; a benchmark sets what it needs explicitly. PYTHONDONTWRITEBYTECODE is set
# on this machine and on no runner: with it, every process recompiles every module
# it imports that an installer did not compile.
_SCRUB = (
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "PYTHONPROFILEIMPORTTIME",
    "PYTHONDONTWRITEBYTECODE",
    "GH_HOST",
    "GITHUB_TOKEN",
)


@dataclass
class Target:
    """The code under measurement: which interpreter runs it and where its tree is.

    Full runs measure a snapshot of the committed HEAD installed from its wheel into
    a scratch venv (dependencies shared with the project venv through a .pth line):
    what users install, and immune to files edited in the working tree while a
    benchmark runs. Quick runs (and --live) measure the working tree through the
    editable install, which is what the quick-mode tests are for.
    """

    python: str
    root: Path
    label: str
    # True for a snapshot: its output cannot change between runs, so benchmarks may
    # insist that every run produced the same tree.
    frozen: bool = False

    @property
    def tests(self) -> Path:
        return self.root / "tests"

    @property
    def examples(self) -> Path:
        return self.root / "examples"

    def bin(self, name: str) -> str:
        """A console script installed beside the target's interpreter."""
        candidate = Path(self.python).parent / name
        if not candidate.exists():
            raise FileNotFoundError(f"{name} is not installed beside {self.python}")
        return str(candidate)


TARGET = Target(sys.executable, ROOT, "working tree (editable install)")


def _git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def use_snapshot() -> None:
    """Point TARGET at HEAD installed from its wheel into a scratch venv (see Target)."""
    import atexit
    import sysconfig

    scratch = Path(tempfile.mkdtemp(prefix="bench-snapshot-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    src, venv = scratch / "src", scratch / "venv"
    # A clone is a git repository at HEAD: copier's template source needs one.
    _git("clone", "--quiet", "--local", "--no-hardlinks", str(ROOT), str(src))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "_bench_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            str(src),
        ],
        check=True,
        capture_output=True,
    )
    head = _git("rev-parse", "--short", "HEAD", cwd=src)
    TARGET.python, TARGET.root = str(python), src
    TARGET.label = f"commit {head}, installed from its wheel"
    TARGET.frozen = True


@dataclass
class Sample:
    """One fresh-process run: wall seconds, peak RSS of that child, exit code."""

    wall_s: float
    maxrss_mib: float
    returncode: int
    cpu_s: float = 0.0  # user + system time of the child: less sensitive to a busy machine
    stdout: str = ""
    stderr: str = ""


@dataclass
class Stats:
    median: float
    min: float
    max: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Stats:
        if not values:
            raise ValueError("no samples")
        return cls(statistics.median(values), min(values), max(values), len(values))


@dataclass
class Result:
    """What one benchmark script measured; serialised to bench/results/<name>.json."""

    name: str
    quick: bool
    machine: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, **row: Any) -> None:
        self.rows.append(row)


def parse_args(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="one run with small sizes: proves the bench works"
    )
    parser.add_argument(
        "--runs", type=int, default=None, help=f"repetitions (default {FULL_RUNS}; 1 in --quick)"
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="measure the working tree (editable install) instead of a snapshot of HEAD",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=RESULTS_DIR,
        help="where the JSON results go (default bench/results)",
    )
    args = parser.parse_args(argv)
    if args.runs is None:
        args.runs = 1 if args.quick else FULL_RUNS
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not (args.quick or args.live):
        use_snapshot()
    return args


def machine() -> dict[str, Any]:
    """What the numbers were measured on, including the load at the time."""
    cpu = "unknown"
    with contextlib.suppress(OSError):  # not Linux: leave it unknown
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gib = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem_total_gib": mem_gib,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "loadavg_1_5_15": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "code": TARGET.label,
    }


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    # Bytecode caches stay on: they are what a user's second run has.
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env.update(extra or {})
    return env


def run_process(
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
) -> Sample:
    """Run one fresh process; wall time from perf_counter, peak RSS from its own rusage.

    os.wait4 reports the rusage of exactly this child (RUSAGE_CHILDREN would be the
    maximum over every child this process ever waited for).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else child_env(),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
        # Block in wait4 (no polling jitter); a timer kills a child that hangs.
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Sample(
            wall_s=wall,
            maxrss_mib=usage.ru_maxrss / 1024,  # Linux reports KiB
            cpu_s=usage.ru_utime + usage.ru_stime,
            returncode=proc.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


def repeat(
    runs: int,
    make: Callable[[], Sample],
    *,
    warmup: int = 1,
    expect: Callable[[Sample], bool] = lambda s: s.returncode == 0,
    what: str = "run",
) -> list[Sample]:
    """`warmup` discarded runs (page cache, .pyc files), then `runs` measured ones.

    A run whose result is not what was expected stops the benchmark: timing a
    failure would record a meaningless number.
    """
    samples = []
    for i in range(warmup + runs):
        sample = make()
        if not expect(sample):
            raise BenchError(
                f"{what} did not do what was expected (exit {sample.returncode}):\n"
                f"stdout: {sample.stdout[-2000:]}\nstderr: {sample.stderr[-2000:]}"
            )
        if i >= warmup:
            samples.append(sample)
    return samples


class BenchError(RuntimeError):
    """A benchmark could not measure what it set out to (the measured thing failed)."""


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_result(result: Result, results_dir: Path) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{result.name}{'.quick' if result.quick else ''}.json"
    path.write_text(json.dumps(asdict(result), indent=2, sort_keys=False) + "\n")
    return path


def import_time_top(stderr: str, top: int = 15) -> list[tuple[str, int, int]]:
    """Parse `python -X importtime` output: (module, self µs, cumulative µs), by cumulative.

    The module name keeps its indentation, which shows who imported whom.
    """
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3:
            continue
        try:
            self_us, cumulative = int(parts[0]), int(parts[1])
        except ValueError:
            continue
        rows.append((parts[2].rstrip(), self_us, cumulative))
    rows.sort(key=lambda r: r[2], reverse=True)
    return rows[:top]


def import_time_by_package(stderr: str) -> list[tuple[str, float]]:
    """Self import time summed per package (ms), biggest first: who costs what.

    `repowarden.*` is split one level deeper (generator, runtime, ...) since that
    is where a fix would go.
    """
    totals: dict[str, float] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        parts = line[len("import time:") :].split("|")
        if len(parts) != 3:
            continue
        try:
            self_us = int(parts[0])
        except ValueError:
            continue
        dotted = parts[2].strip().split(".")
        key = ".".join(dotted[:2]) if dotted[0] == "repowarden" else dotted[0]
        totals[key] = totals.get(key, 0.0) + self_us / 1000
    return sorted(totals.items(), key=lambda kv: -kv[1])


def profile_top(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], top: int = 30) -> str:
    """cProfile of one fresh run, the `top` entries by cumulative time, as text."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "prof"
        sample = run_process(
            [TARGET.python, "-m", "cProfile", "-o", str(out), *argv], cwd=cwd, env=env
        )
        if not out.exists():
            return f"(profile failed, exit {sample.returncode}: {sample.stderr[-500:]})"
        import io
        import pstats

        buffer = io.StringIO()
        pstats.Stats(str(out), stream=buffer).sort_stats("cumulative").print_stats(top)
        return buffer.getvalue()


def emit(result: Result, headers: Sequence[str], rows: Sequence[Sequence[Any]], args: Any) -> None:
    """Print the markdown rows and the machine line, write the JSON."""
    m = result.machine
    print(
        f"<!-- {result.name}: {m['date_utc']}, {m['nproc']} cores {m['cpu']}, "
        f"Python {m['python']}, load {m['loadavg_1_5_15']}, code: {m['code']}, "
        f"{'quick' if result.quick else 'full'} mode -->"
    )
    print(table(headers, rows))
    for note in result.notes:
        print(f"\n- {note}")
    path = write_result(result, args.results_dir)
    print(f"\n(results: {path})", file=sys.stderr)
