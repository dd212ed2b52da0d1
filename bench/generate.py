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
import difflib
import hashlib
import json
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    TARGET,
    BenchError,
    Result,
    Sample,
    Stats,
    child_env,
    emit,
    import_time_by_package,
    import_time_top,
    machine,
    parse_args,
    profile_top,
    repeat,
    run_process,
)

CONFIG = Path(".github/repowarden.yml")
TARGET_GENERATE_S = 0.5
TARGET_CHECK_S = 0.3
FLOOR = 'floor: python -c "import jinja2, ruamel.yaml"'


def example_config(name: str) -> Path:
    path = TARGET.examples / name / CONFIG
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
    return [TARGET.bin("repowarden"), *args]


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


# Config edits whose footprint in the generated tree is measured (issue 13 item 1):
# label -> (text to find in the teleport config, what replaces it); "" appends.
EDITS: dict[str, tuple[str, str]] = {
    "comment-only config edit": ("", "# why we review this way\n"),
    "one reviewer added to the map": (
        "    r0mant: [zmb3, rosstimothy]\n",
        "    r0mant: [zmb3, rosstimothy]\n    newdev: [zmb3, r0mant]\n",
    ),
    "dismiss schedule changed": ('"0,30 * * * *"', '"15,45 * * * *"'),
}


def file_texts(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text("utf-8", errors="replace")
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


def churn(parent: Path, config: Path, env: dict[str, str]) -> list[dict[str, object]]:
    """How many generated files (and diff lines) each config edit in EDITS rewrites."""
    rows: list[dict[str, object]] = []
    for label, (find, replace) in EDITS.items():
        tree = fresh_tree(parent, config, "churn")
        if run_process(cli("generate"), cwd=tree, env=env).returncode != 0:
            raise BenchError("repowarden generate failed before an edit")
        before = file_texts(tree)
        text = (tree / CONFIG).read_text("utf-8")
        if find and find not in text:
            raise BenchError(f"{label}: {find!r} is not in the example's config")
        (tree / CONFIG).write_text(text.replace(find, replace, 1) if find else text + replace)
        if run_process(cli("generate"), cwd=tree, env=env).returncode != 0:
            raise BenchError(f"repowarden generate failed after the edit: {label}")
        after = file_texts(tree)
        changed = sorted(p for p in after if p != str(CONFIG) and before.get(p) != after[p])
        lines = sum(
            1
            for path in changed
            for line in difflib.unified_diff(
                before.get(path, "").splitlines(), after[path].splitlines(), lineterm=""
            )
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        )
        rows.append({"what": f"churn: {label}", "files_changed": changed, "diff_lines": lines})
        shutil.rmtree(tree)
    return rows


def measure(args: argparse.Namespace, example: str) -> Result:
    runs: int = args.runs
    config = example_config(example)
    result = Result(name="generate", quick=args.quick, machine=machine())
    env = child_env()
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        parent = Path(tmp)
        checked = fresh_tree(parent, config, "check")
        first = run_process(cli("generate"), cwd=checked, env=env)
        if first.returncode != 0:
            raise BenchError(f"repowarden generate failed: {first.stderr[-2000:]}")
        before = tree_digest(checked)

        # generate into a tree that holds only the config: each run gets its own tree,
        # made outside the timed region.
        def generate_fresh() -> Sample:
            tree = fresh_tree(parent, config, "gen")
            sample = run_process(cli("generate"), cwd=tree, env=env)
            if sample.returncode == 0 and TARGET.frozen and tree_digest(tree) != before:
                sample.returncode = -1  # not the tree the first run made: not a real run
                sample.stderr += "\n(bench) generate made a different tree than the first run"
            shutil.rmtree(tree)
            return sample

        def check_once() -> Sample:
            digest = tree_digest(checked)
            sample = run_process(cli("generate", "--check"), cwd=checked, env=env)
            if tree_digest(checked) != digest:
                sample.returncode = -1
                sample.stderr += "\n(bench) generate --check changed the tree"
            return sample

        # A tree whose config changed after it was generated (one comment line added):
        # --check cannot prove it current from the headers, renders in full, diffs,
        # and must exit 1 (drift) without writing.
        drifted = parent / "drifted"
        shutil.copytree(checked, drifted)
        with (drifted / CONFIG).open("a", encoding="utf-8") as handle:
            handle.write("# edited after generating\n")

        def check_drifted() -> Sample:
            digest = tree_digest(drifted)
            sample = run_process(cli("generate", "--check"), cwd=drifted, env=env)
            if tree_digest(drifted) != digest:
                sample.returncode = -1
                sample.stderr += "\n(bench) generate --check changed the tree"
            elif sample.returncode == 1:
                sample.returncode = 0  # drift found, as it must be: a valid run
            else:
                sample.returncode = -1
                sample.stderr += "\n(bench) --check did not report the drift"
            return sample

        commands: dict[str, tuple[Callable[[], Sample], float | None]] = {
            "generate (config only, fresh tree)": (generate_fresh, TARGET_GENERATE_S),
            # The everyday edit-free regenerate: nothing to write.
            "generate (tree already current)": (
                lambda: run_process(cli("generate"), cwd=checked, env=env),
                TARGET_GENERATE_S,
            ),
            # What a pre-commit hook or CI pays: must exit 0 and write nothing.
            "generate --check (unchanged tree)": (check_once, TARGET_CHECK_S),
            "generate --check (config edited: full render, diff, exit 1)": (check_drifted, None),
            FLOOR: (
                lambda: run_process(
                    [TARGET.python, "-c", "import jinja2, ruamel.yaml"], cwd=parent, env=env
                ),
                None,
            ),
            "python -c pass": (
                lambda: run_process([TARGET.python, "-c", "pass"], cwd=parent, env=env),
                None,
            ),
        }
        # Round-robin, so a burst of load from other processes hits every command
        # alike and the ratios to the floor stay fair; one warm-up round first.
        samples: dict[str, list[Sample]] = {label: [] for label in commands}
        warmup = 0 if args.quick else 1
        for _ in range(runs + warmup):
            for label, (make, _target) in commands.items():
                samples[label] += repeat(1, make, warmup=0, what=label)
        samples = {label: got[warmup:] for label, got in samples.items()}
        if TARGET.frozen and tree_digest(checked) != before:
            raise BenchError("a generate over the current tree changed it")

        # Where the time goes: -X importtime and cProfile of the real commands.
        by_package = {}
        for label, argv in (("generate", ["generate"]), ("--check", ["generate", "--check"])):
            probe = run_process(
                [TARGET.python, "-X", "importtime", "-m", "repowarden.generator", *argv],
                cwd=checked,
                env=env,
            )
            by_package[label] = import_time_by_package(probe.stderr)
            result.rows.append(
                {
                    "what": f"importtime {label}",
                    "top": import_time_top(probe.stderr, top=40),
                    "by_package_ms": by_package[label],
                }
            )
        profile = profile_top(
            ["-m", "repowarden.generator", "generate", "--check"], cwd=checked, env=env, top=40
        )
        result.rows.append({"what": "cProfile generate --check", "text": profile})
        # The same work as --check, cut into phases, in fresh processes.
        phase_runs: list[dict[str, float]] = []
        for _ in range(runs):
            probe = run_process(
                [TARGET.python, str(Path(__file__).with_name("_generate_phases.py")), str(checked)],
                cwd=parent,
                env=env,
            )
            if probe.returncode != 0:
                result.notes.append(f"phase probe failed: {probe.stderr.strip()[-300:]}")
                break
            phase_runs.append(json.loads(probe.stdout.strip().splitlines()[-1]))
        if phase_runs:
            phases = {
                name: statistics.median(run[name] for run in phase_runs) for name in phase_runs[0]
            }
            result.rows.append(
                {"what": "phases of the full render-and-diff path (median s)", "phases": phases}
            )
            result.notes.append(
                f"full render-and-diff path in phases (median of {len(phase_runs)} runs): "
                + "; ".join(f"{name} {sec * 1000:.0f} ms" for name, sec in phases.items())
            )
        files = sorted(str(p.relative_to(checked)) for p in checked.rglob("*") if p.is_file())
        # Not a timing: which generated files each kind of config edit rewrites.
        for row in churn(parent, config, env):
            result.rows.append(row)
            changed: list[str] = row["files_changed"]  # type: ignore[assignment]
            result.notes.append(
                f"{str(row['what']).removeprefix('churn: ')}: {len(changed)} generated "
                f"file(s) rewritten ({', '.join(changed)}), {row['diff_lines']} diff lines"
            )

    floor_s = Stats.of([s.wall_s for s in samples[FLOOR]]).median
    timed = []
    for label, (_make, target) in commands.items():
        wall = Stats.of([s.wall_s for s in samples[label]])
        timed.append(
            dict(
                what=label,
                wall_s=wall.__dict__,
                cpu_s=Stats.of([s.cpu_s for s in samples[label]]).__dict__,
                maxrss_mib=Stats.of([s.maxrss_mib for s in samples[label]]).__dict__,
                ratio_to_floor=wall.median / floor_s,
                target_s=target,
                met=None if target is None else wall.median < target,
            )
        )
    result.rows[:0] = timed
    result.notes.append(
        f"example: examples/{example}; {len(files)} files in the generated tree; "
        f"{runs} measured rounds after one warm-up round, commands interleaved"
    )
    for label, packages in by_package.items():
        result.notes.append(
            f"self import time by package, `{label}`: "
            + ", ".join(f"{name} {ms:.0f} ms" for name, ms in packages[:12])
        )
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
                f"{row['cpu_s']['median']:.3f} s",
                f"{rss['median']:.0f} MiB",
                f"{row['ratio_to_floor']:.2f}x",
                f"< {row['target_s']} s {verdict}" if row["target_s"] else "",
            ]
        )
    emit(
        result,
        [
            "command (fresh process)",
            "median wall",
            "min-max",
            "CPU (user+sys)",
            "peak RSS",
            "wall vs floor",
            "target",
        ],
        rows,
        args,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
