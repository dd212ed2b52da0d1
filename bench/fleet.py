"""Benchmark 2: a fleet. One process renders N distinct configs into N directories.

- generator: `parse_config` + `build.plan` + `writer.apply` (the library API the
  CLI uses), N configs that differ in repository name, authors and reviewers.
- copier: N `copier.run_copy` calls of this project's copier template (copier.yml
  at the repository root) with the same answers, in one process.

Each side runs in its own fresh worker process (`fleet.py --worker generator|copier`)
so imports are paid once, as a user's script would pay them; the worker reports
its total time, the first repository's cost (imports included) and the steady
per-repository cost. Target (issue 6): N = 200 in under 10 s with the generator.

    python bench/fleet.py [--quick] [--runs N] [--repos N] [--copier-repos N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    TARGET,
    BenchError,
    Result,
    Stats,
    child_env,
    emit,
    machine,
    parse_args,
    run_process,
)

TARGET_S = 10.0
FULL_REPOS = 200
QUICK_REPOS = 3


def answers(i: int) -> dict[str, Any]:
    """Repository i of the fleet: its own name, authors, reviewers and admins."""
    org = f"org{i % 7}"
    return {
        "repository": f"{org}/service-{i:04d}",
        "admins": [f"admin-{i}", f"lead-{i % 13}"],
        "reviewers": {
            f"dev-{i}-a": [f"rev-{i}-b", f"rev-{i}-c"],
            f"dev-{i}-b": [f"rev-{i}-a", f"rev-{i}-c"],
            "*": [f"admin-{i}", f"lead-{i % 13}", f"rev-{i}-a"],
        },
    }


def config_text(i: int) -> str:
    """The .github/repowarden.yml of repository i (a teleport-like policy)."""
    a = answers(i)
    reviewers = "\n".join(
        f'    "{author}": [{", ".join(names)}]' for author, names in a["reviewers"].items()
    )
    return (
        f"repository: {a['repository']}\n"
        "default_branch: main\n"
        "review:\n"
        "  reviewers:\n"
        f"{reviewers}\n"
        f"  admins: [{', '.join(a['admins'])}]\n"
        "  external:\n"
        "    approvals: 2\n"
    )


# ------------------------------------------------------------------ workers


def _worker_generator(n: int, out: Path, template: Path) -> dict[str, Any]:
    """Runs inside the fresh worker process; imports are part of the first repo's cost."""
    start = time.perf_counter()
    from repowarden.generator import writer
    from repowarden.generator.build import plan
    from repowarden.runtime.config import CONFIG_PATH, parse_config

    imported = time.perf_counter()
    per_repo = []
    files = 0
    for i in range(n):
        t0 = time.perf_counter()
        root = out / f"repo-{i:04d}"
        (root / ".github").mkdir(parents=True)
        text = config_text(i)
        (root / CONFIG_PATH).write_text(text)
        rendered = plan(parse_config(text, CONFIG_PATH), text, CONFIG_PATH)
        writer.apply(root, rendered)
        files += len(rendered)
        per_repo.append(time.perf_counter() - t0)
    return {
        "total_s": time.perf_counter() - start,
        "import_s": imported - start,
        "per_repo_s": per_repo,
        "files": files,
    }


def _worker_copier(n: int, out: Path, template: Path) -> dict[str, Any]:
    start = time.perf_counter()
    import copier

    imported = time.perf_counter()
    per_repo = []
    files = 0
    for i in range(n):
        t0 = time.perf_counter()
        dst = out / f"repo-{i:04d}"
        a = answers(i)
        copier.run_copy(
            str(template),
            dst,
            data=copier_data(a),
            defaults=True,
            unsafe=True,  # the template's _tasks run the generator
            quiet=True,
            vcs_ref="HEAD",
        )
        files += sum(1 for p in dst.rglob("*") if p.is_file())
        per_repo.append(time.perf_counter() - t0)
    return {
        "total_s": time.perf_counter() - start,
        "import_s": imported - start,
        "per_repo_s": per_repo,
        "files": files,
    }


def copier_data(a: dict[str, Any]) -> dict[str, Any]:
    """Answers for the template's questions (copier.yml), from the same fleet entry.

    No dispatch operations, as in config_text: both sides render the same policy.
    """
    return {
        "repository": a["repository"],
        "admins": a["admins"],
        "reviewers": a["reviewers"],
        "external_approvals": 2,
        "operations": [],
    }


def worker(kind: str, n: int, out: Path, template: Path) -> None:
    """The generator side ignores `template`: it renders through the installed package."""
    if kind == "generator-nofsync":
        # What-if: the writer's per-file fsync made a no-op in this process only, to
        # show how much of a fleet's time is waiting for the disk.
        os.fsync = lambda fd: None
    run = _worker_copier if kind == "copier" else _worker_generator
    result = run(n, out, template)
    print(json.dumps(result))


# ------------------------------------------------------------------ driver


def run_worker(kind: str, n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-fleet-{kind}-") as tmp:
        sample = run_process(
            [
                TARGET.python,
                __file__,
                "--worker",
                kind,
                "--n",
                str(n),
                "--out",
                tmp,
                "--template",
                str(TARGET.root),
            ],
            env=child_env(),
            cwd=tmp,
            timeout=3600,
        )
        if sample.returncode != 0:
            raise BenchError(f"{kind} worker failed:\n{sample.stderr[-3000:]}")
        made = sorted(p.name for p in Path(tmp).iterdir() if p.is_dir())
        if len(made) != n:
            raise BenchError(f"{kind} worker made {len(made)} directories, expected {n}")
        report = json.loads(sample.stdout.strip().splitlines()[-1])
        report["wall_s"] = sample.wall_s
        report["cpu_s"] = sample.cpu_s  # includes the copier side's task subprocesses
        report["maxrss_mib"] = sample.maxrss_mib
        return report


def summarise(kind: str, n: int, reports: list[dict[str, Any]]) -> dict[str, Any]:
    wall = Stats.of([r["wall_s"] for r in reports])
    steady = [statistics.median(r["per_repo_s"][1:] or r["per_repo_s"]) for r in reports]
    first = [r["per_repo_s"][0] + r["import_s"] for r in reports]
    return {
        "what": kind,
        "repos": n,
        "wall_s": wall.__dict__,
        "each_run_wall_s": [r["wall_s"] for r in reports],
        "per_repo_ms": {"median": wall.median / n * 1000},
        "steady_per_repo_ms": Stats.of([s * 1000 for s in steady]).__dict__,
        "first_repo_with_imports_ms": Stats.of([f * 1000 for f in first]).__dict__,
        "maxrss_mib": Stats.of([r["maxrss_mib"] for r in reports]).__dict__,
        "cpu_s": Stats.of([r["cpu_s"] for r in reports]).__dict__,
        # Every repository of every run: the spread a single run cannot show in wall time.
        "each_repo_ms": Stats.of([s * 1000 for r in reports for s in r["per_repo_s"]]).__dict__,
        "files_per_repo": reports[0]["files"] / n,
    }


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if "--worker" in argv:
        p = argparse.ArgumentParser()
        p.add_argument(
            "--worker", choices=("generator", "generator-nofsync", "copier"), required=True
        )
        p.add_argument("--n", type=int, required=True)
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--template", type=Path, required=True)
        w = p.parse_args(argv)
        worker(w.worker, w.n, w.out, w.template)
        return 0
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--repos", type=int, default=None)
    extra.add_argument("--copier-repos", type=int, default=None)
    # One copier fleet of 200 takes minutes (a git clone and a generate subprocess per
    # repository): one run by default, its per-repository spread is in the JSON.
    extra.add_argument("--copier-runs", type=int, default=1)
    known, rest = extra.parse_known_args(argv)
    args = parse_args(__doc__ or "", rest)
    n = known.repos or (QUICK_REPOS if args.quick else FULL_REPOS)
    n_copier = known.copier_repos or (1 if args.quick else n)
    copier_runs = 1 if args.quick else max(1, known.copier_runs)

    result = Result(name="fleet", quick=args.quick, machine=machine())
    # The real thing and the no-fsync what-if alternate, so load hits both alike.
    reports: dict[str, list[dict[str, Any]]] = {"generator": [], "generator-nofsync": []}
    for _ in range(args.runs):
        for kind in reports:
            reports[kind].append(run_worker(kind, n))
    gen = summarise("generator", n, reports["generator"])
    nofsync = summarise("generator-nofsync", n, reports["generator-nofsync"])
    # The target is for 200 repositories; other sizes are reported without a verdict.
    target = TARGET_S if n == FULL_REPOS else None
    met = None if target is None else gen["wall_s"]["median"] < target
    result.add(**gen, target_s=target, met=met)
    result.add(**nofsync)
    rows = [
        _row("generator library API (plan + writer.apply)", gen, target),
        _row("what-if: the same with the writer's fsync a no-op", nofsync, None),
    ]
    try:
        cop = summarise(
            "copier", n_copier, [run_worker("copier", n_copier) for _ in range(copier_runs)]
        )
    except (BenchError, subprocess.SubprocessError) as exc:
        result.notes.append(f"copier side not measured: {str(exc).splitlines()[0]}")
    else:
        result.add(**cop)
        rows.append(_row("copier.run_copy of the project template", cop, None))
        ratio = cop["per_repo_ms"]["median"] / gen["per_repo_ms"]["median"]
        result.notes.append(
            f"copier costs {ratio:.1f}x the generator per repository "
            f"({cop['per_repo_ms']['median']:.0f} ms vs {gen['per_repo_ms']['median']:.1f} ms)"
        )
        result.rows[-1]["ratio_to_generator"] = ratio
    emit(
        result,
        [
            "fleet (one process)",
            "repos",
            "median wall",
            "min-max",
            "per repo",
            "steady per repo",
            "first repo incl. imports",
            "CPU (user+sys)",
            "peak RSS",
            "target",
        ],
        rows,
        args,
    )
    return 0


def _row(label: str, s: dict[str, Any], target: float | None) -> list[str]:
    wall = s["wall_s"]
    verdict = ""
    if target is not None:
        verdict = f"< {target:g} s " + ("met" if wall["median"] < target else "**missed**")
    return [
        label,
        str(s["repos"]),
        f"{wall['median']:.2f} s",
        f"{wall['min']:.2f}-{wall['max']:.2f} s",
        f"{s['per_repo_ms']['median']:.1f} ms",
        f"{s['steady_per_repo_ms']['median']:.1f} ms",
        f"{s['first_repo_with_imports_ms']['median']:.0f} ms",
        f"{s['cpu_s']['median']:.2f} s",
        f"{s['maxrss_mib']['median']:.0f} MiB",
        verdict,
    ]


if __name__ == "__main__":
    sys.exit(main())
