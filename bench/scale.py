"""Benchmark 5: how generate time and dismiss-runs calls grow with size.

- generate: one fresh process renders N distinct configs (bench/fleet.py's worker),
  N = 10, 100, 1000: total wall time and per-config cost.
- dismiss-runs: N open PRs with round(N * 20/3) runs of the check workflow (the
  2,000-runs-over-300-PRs density of bench/api_economy.py), N = 10, 100, 1000:
  calls against the lower bound (run-list pages + one delete per stale run) and
  wall time of the fresh runtime process.

Writes bench/results/scale.json and, when matplotlib happens to be installed,
bench/results/scale.png (matplotlib is not a dependency of this project).

    python bench/scale.py [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import BenchError, Result, emit, machine, parse_args
from _scenarios import DISMISS_PERMISSIONS, REPO, base_repo, fake_github, runner_env, runtime
from _scenarios import stale_runs as make_stale_runs
from fleet import run_worker

FULL_SIZES = (10, 100, 1000)
QUICK_SIZES = (2, 5)
RUNS_PER_PR = 20 / 3  # 2,000 runs over 300 PRs


def generate_point(n: int, runs: int) -> dict[str, Any]:
    reports = [run_worker("generator", n) for _ in range(runs)]
    walls = [r["wall_s"] for r in reports]
    cpu = statistics.median(r["cpu_s"] for r in reports)
    return {
        "kind": "generate",
        "n": n,
        "wall_s": {"median": statistics.median(walls), "min": min(walls), "max": max(walls)},
        "per_config_ms": statistics.median(walls) / n * 1000,
        "cpu_s": cpu,
        "steady_per_config_ms": statistics.median(
            statistics.median(r["per_repo_s"][1:] or r["per_repo_s"]) * 1000 for r in reports
        ),
    }


def dismiss_point(n: int, work: Path) -> dict[str, Any]:
    runs = max(n, round(n * RUNS_PER_PR))
    with fake_github() as gh:
        base_repo(gh)
        made = make_stale_runs(gh, n, runs)
        env = runner_env(
            gh,
            work,
            event_name="schedule",
            event={"schedule": "0,30 * * * *"},
            permissions=DISMISS_PERMISSIONS,
        )
        start = len(gh.calls)
        sample = runtime("dismiss-runs", env=env, cwd=work)
        calls = len(gh.calls) - start
        left = len(gh.state.runs_of(REPO, made["workflow_id"]))
    # Since issue 10 one sweep deletes at most 100 superseded runs (opt-in command).
    deletes = min(100, made["stale"])
    if sample.returncode != 0 or left != made["runs"] - deletes:
        raise BenchError(
            f"dismiss-runs with {n} PRs: exit {sample.returncode}, {left} runs left "
            f"(expected {made['runs'] - deletes}):\n{sample.stderr[-3000:]}"
        )
    bound = math.ceil(made["runs"] / 100) + math.ceil(n / 100) + deletes
    return {
        "kind": "dismiss-runs",
        "n": n,
        "runs": made["runs"],
        "calls": calls,
        "lower_bound": bound,
        "ratio": calls / bound,
        "wall_s": sample.wall_s,
        # The runtime's own CPU time; the rest of the wall time is mostly the fake
        # rendering the whole run listing for every page it serves.
        "runtime_cpu_s": sample.cpu_s,
        "calls_per_pr": calls / n,
    }


def plot(result: Result, path: Path) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    gen = [r for r in result.rows if r["kind"] == "generate"]
    dis = [r for r in result.rows if r["kind"] == "dismiss-runs"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.loglog([r["n"] for r in gen], [r["wall_s"]["median"] for r in gen], "o-")
    left.set(xlabel="configs", ylabel="seconds (one process)", title="generate")
    right.loglog([r["n"] for r in dis], [r["calls"] for r in dis], "o-", label="calls")
    right.loglog([r["n"] for r in dis], [r["lower_bound"] for r in dis], "x--", label="lower bound")
    right.set(xlabel="open PRs", ylabel="HTTP calls", title="dismiss-runs")
    right.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return str(path)


def _wall(w: dict[str, float]) -> str:
    return f"{w['median']:.2f} s ({w['min']:.2f}-{w['max']:.2f})"


def main(argv: list[str] | None = None) -> int:
    args: argparse.Namespace = parse_args(__doc__ or "", argv)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    result = Result(name="scale", quick=args.quick, machine=machine())
    rows = []
    for n in sizes:
        # 1,000 configs take long enough that three runs say as much as seven.
        g = generate_point(n, args.runs if n < 1000 else min(args.runs, 3))
        result.add(**g)
        rows.append(
            [
                "generate (one process)",
                str(n),
                f"{_wall(g['wall_s'])}, CPU {g['cpu_s']:.2f} s",
                f"{g['per_config_ms']:.1f} ms/config (steady {g['steady_per_config_ms']:.1f})",
                "",
            ]
        )
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for n in sizes:
            d = dismiss_point(n, Path(tmp) / f"dismiss-{n}")
            result.add(**d)
            rows.append(
                [
                    f"dismiss-runs ({d['runs']} runs)",
                    str(n),
                    f"{d['wall_s']:.2f} s (runtime CPU {d['runtime_cpu_s']:.2f} s)",
                    f"{d['calls']} calls, {d['calls_per_pr']:.2f}/PR",
                    f"{d['ratio']:.3f} (bound {d['lower_bound']})",
                ]
            )
    if not args.quick:
        png = plot(result, args.results_dir / "scale.png")
        result.notes.append(f"plot: {png}" if png else "matplotlib not installed: no plot")
    emit(result, ["what", "N", "wall", "cost", "calls / lower bound"], rows, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
