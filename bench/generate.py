"""Benchmark 1: `repowarden generate` and `generate --check` on the teleport-like example.

Each measured run is a fresh process (what a user or a pre-commit hook pays), timed
from spawn to exit, with the peak RSS of that process. Beside it: the floor, a bare
`python -c "import jinja2, ruamel.yaml"`, so the ratio shows our own overhead, and
`python -c pass` for the interpreter alone. Targets (issue 6): generate < 0.5 s,
--check < 0.3 s on 2 cores. The JSON keeps the slowest imports of the CLI
(`python -X importtime`) so a missed target comes with where the time went.

    python bench/generate.py [--quick] [--runs N] [--example NAME]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    EXAMPLES_DIR,
    BenchError,
    Result,
    Sample,
    Stats,
    child_env,
    emit,
    import_time_top,
    machine,
    parse_args,
    repeat,
    run_process,
    venv_bin,
)

CONFIG = Path(".github/repowarden.yml")
TARGET_GENERATE_S = 0.5
TARGET_CHECK_S = 0.3


def example_config(name: str) -> Path:
    path = EXAMPLES_DIR / name / CONFIG
    if not path.is_file():
        raise BenchError(f"{path} does not exist yet: the example is not committed")
    return path


def fresh_tree(parent: Path, config: Path, label: str) -> Path:
    """A directory holding only the config, as a user has before the first generate."""
    tree = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=parent))
    (tree / CONFIG).parent.mkdir(parents=True)
    shutil.copyfile(config, tree / CONFIG)
    return tree


def cli(*args: str) -> list[str]:
    return [venv_bin("repowarden"), *args]


def measure(args: argparse.Namespace, example: str) -> Result:
    runs: int = args.runs
    config = example_config(example)
    result = Result(name="generate", quick=args.quick, machine=machine())
    env = child_env()
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        parent = Path(tmp)

        # generate into a tree that holds only the config: each run gets its own tree,
        # made outside the timed region.
        def generate_once() -> Sample:
            tree = fresh_tree(parent, config, "gen")
            sample = run_process(cli("generate"), cwd=tree, env=env)
            written = [p for p in tree.rglob("*") if p.is_file() and p.name != CONFIG.name]
            if sample.returncode == 0 and not written:
                sample.returncode = -1  # "succeeded" without writing anything: not a real run
                sample.stderr += "\n(bench) generate exited 0 but wrote no file"
            return sample

        gen = repeat(runs, generate_once, what="repowarden generate")

        # --check on an unchanged, already generated tree: must exit 0 and write nothing.
        checked = fresh_tree(parent, config, "check")
        first = run_process(cli("generate"), cwd=checked, env=env)
        if first.returncode != 0:
            raise BenchError(f"repowarden generate failed: {first.stderr[-2000:]}")
        check = repeat(
            runs,
            lambda: run_process(cli("generate", "--check"), cwd=checked, env=env),
            what="repowarden generate --check",
        )
        # Regenerating over an existing, current tree (the everyday edit-and-regenerate).
        regen = repeat(
            runs,
            lambda: run_process(cli("generate"), cwd=checked, env=env),
            what="repowarden generate (tree already current)",
        )

        floor = repeat(
            runs,
            lambda: run_process(
                [sys.executable, "-c", "import jinja2, ruamel.yaml"], cwd=parent, env=env
            ),
            what="floor",
        )
        bare = repeat(
            runs,
            lambda: run_process([sys.executable, "-c", "pass"], cwd=parent, env=env),
            what="python -c pass",
        )
        # Where the CLI's start-up goes: -X importtime of the same module the console
        # script imports. Recorded every time; it is what to read when a target is missed.
        imports = run_process(
            [sys.executable, "-X", "importtime", "-c", "import repowarden.generator.cli"],
            cwd=parent,
            env=env,
        )
        files = sorted(str(p.relative_to(checked)) for p in checked.rglob("*") if p.is_file())

    floor_s = Stats.of([s.wall_s for s in floor]).median
    for label, samples, target in (
        ("generate (config only, fresh tree)", gen, TARGET_GENERATE_S),
        ("generate (tree already current)", regen, TARGET_GENERATE_S),
        ("generate --check (unchanged tree)", check, TARGET_CHECK_S),
        ('floor: python -c "import jinja2, ruamel.yaml"', floor, None),
        ("python -c pass", bare, None),
    ):
        wall = Stats.of([s.wall_s for s in samples])
        rss = Stats.of([s.maxrss_mib for s in samples])
        result.add(
            what=label,
            wall_s=wall.__dict__,
            maxrss_mib=rss.__dict__,
            ratio_to_floor=wall.median / floor_s,
            target_s=target,
            met=None if target is None else wall.median < target,
        )
    top = import_time_top(imports.stderr, top=25)
    result.notes.append(
        f"example: examples/{example}; {len(files)} files in the generated tree; "
        f"{runs} measured runs after one warm-up"
    )
    result.notes.append(
        "slowest imports of repowarden.generator.cli (cumulative): "
        + ", ".join(f"{name.strip()} {cum / 1000:.0f} ms" for name, _, cum in top[:10])
    )
    result.rows.append({"what": "importtime_top", "modules": top})
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__ or "", argv)
    result = measure(args, "teleport")
    rows = []
    for row in result.rows:
        if "wall_s" not in row:
            continue
        wall, rss = row["wall_s"], row["maxrss_mib"]
        verdict = "" if row["target_s"] is None else ("met" if row["met"] else "**missed**")
        rows.append(
            [
                row["what"],
                f"{wall['median']:.3f} s",
                f"{wall['min']:.3f}-{wall['max']:.3f} s",
                f"{rss['median']:.0f} MiB",
                f"{row['ratio_to_floor']:.2f}x",
                f"< {row['target_s']} s {verdict}" if row["target_s"] else "",
            ]
        )
    emit(
        result,
        ["command (fresh process)", "median wall", "min-max", "peak RSS", "vs floor", "target"],
        rows,
        args,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
