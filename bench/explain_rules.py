"""Benchmark 6: `explain` with review rules on GitHub's largest pull request.

A recorded pull request at GitHub's caps: 3,000 changed files (the most
`GET …/pulls/{n}/files` lists) and 500 reviews, evaluated against the
teleport-rules example (six rules: gitignore-style paths with exclusions, a size
rule with twenty generated-file patterns, groups). Target: under 1 s.

- `python -m repowarden.runtime explain --snapshot` in a fresh process: wall time
  from spawn to exit (import, parse, decide, print), peak RSS;
- the policy alone (`evaluate`) in this process: what the rules cost beyond start-up.

    python bench/explain_rules.py [--quick] [--runs N]
"""

from __future__ import annotations

import json
import sys
import tempfile
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
    repeat,
    run_process,
)
from _scenarios import sha

EXAMPLE = Path("examples/teleport-rules/.github/repowarden.yml")
AUTHOR = "Tener"
REVIEWERS = ["rosstimothy", "marcoandredinis", "codingllama", "zmb3", "ptgott", "greedy52"]
FOLDERS = ["lib/srv/db", "lib/auth", "api/types", "docs/pages/access", "web/packages", "vendor/x"]
SUFFIXES = [".go", ".pb.go", ".ts", ".mdx", ".json", "_test.go"]


def snapshot(files: int, reviews: int) -> dict[str, Any]:
    """GitHub's REST shapes, trimmed to the fields the policy reads."""
    head = sha(0, "head")
    repo = {"full_name": "gravitational/teleport"}
    pull = {
        "number": 4242,
        "user": {"login": AUTHOR, "type": "User"},
        "head": {"sha": head, "ref": "tener/big", "repo": repo},
        "base": {"ref": "master", "repo": repo},
        "labels": [],
        "requested_reviewers": [],
        "changed_files": files,
        "title": "A very large change",
        "body": "",
    }
    items = [
        {
            "filename": f"{FOLDERS[i % len(FOLDERS)]}/pkg{i // 60}/file{i}{SUFFIXES[i % 6]}",
            "status": "modified",
            "additions": 3 + i % 7,
            "deletions": i % 3,
        }
        for i in range(files)
    ]
    states = ["COMMENTED", "CHANGES_REQUESTED", "COMMENTED", "APPROVED"]
    review_items = [
        {
            "id": n + 1,
            "user": {"login": REVIEWERS[n % len(REVIEWERS)] if n % 5 else f"drive-by{n}"},
            "state": states[n % len(states)],
            "commit_id": head if n > reviews // 2 else sha(n, "old"),
        }
        for n in range(reviews)
    ]
    return {"pull": pull, "reviews": review_items, "files": items, "members": []}


def main() -> int:
    args = parse_args(__doc__ or "")
    files, reviews = (300, 50) if args.quick else (3000, 500)
    root = Path(TARGET.root)
    config = root / EXAMPLE
    result = Result("explain_rules", args.quick, machine())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pr.json"
        data = snapshot(files, reviews)
        path.write_text(json.dumps(data), encoding="utf-8")
        argv = [TARGET.python, "-m", "repowarden.runtime", "explain"]
        argv += ["--config", str(config), "--snapshot", str(path)]
        samples = repeat(
            args.runs,
            lambda: run_process(argv, cwd=tmp, env=child_env()),
            expect=lambda s: s.returncode in (0, 1) and '"rules"' in s.stdout,
            what="explain --snapshot",
        )
        wall = Stats.of([s.wall_s for s in samples])
        rss = Stats.of([s.maxrss_mib for s in samples])
        answer = json.loads(samples[-1].stdout)
        result.add(
            what=f"explain --snapshot: {files} files, {reviews} reviews, fresh process",
            wall_s=wall.__dict__,
            cpu_s=Stats.of([s.cpu_s for s in samples]).__dict__,
            maxrss_mib=rss.__dict__,
            approved=answer["approved"],
            rules_matched=sum(1 for rule in answer["rules"] if rule["matched"]),
        )
        policy_s = _policy_alone(config, path, args.runs, tmp)
        result.add(what="the policy alone (evaluate), in process", wall_s=policy_s.__dict__)
    result.notes.append("target: the fresh-process answer under 1 s (the median)")
    rows = [
        [
            row["what"],
            f"{row['wall_s']['median']:.3f}",
            f"{row['wall_s']['min']:.3f} to {row['wall_s']['max']:.3f}",
            f"{row['maxrss_mib']['median']:.0f}" if "maxrss_mib" in row else "-",
        ]
        for row in result.rows
    ]
    emit(result, ["what", "median s", "range s", "peak RSS MiB"], rows, args)
    return 0


POLICY_ALONE = """
import json, sys, time
from repowarden.runtime.config import load_config
from repowarden.runtime.policy import PullFacts, ReviewFact, evaluate
from repowarden.runtime.rules import ChangeSet
config, snapshot, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
policy = load_config(config).review
data = json.load(open(snapshot))
pull = PullFacts.from_api(data["pull"])
reviews = [r for r in (ReviewFact.from_api(item) for item in data["reviews"]) if r]
times = []
for _ in range(runs + 1):
    start = time.perf_counter()
    evaluate(policy, pull, reviews, changes=ChangeSet.from_api(data["files"], pull.changed_files))
    times.append(time.perf_counter() - start)
print(json.dumps(times[1:]))
"""


def _policy_alone(config: Path, snapshot_path: Path, runs: int, cwd: str) -> Stats:
    """`evaluate` timed inside one process of the measured code (after one warm-up)."""
    argv = [TARGET.python, "-c", POLICY_ALONE, str(config), str(snapshot_path), str(runs)]
    sample = run_process(argv, cwd=cwd, env=child_env())
    if sample.returncode != 0:
        raise BenchError(f"the policy alone failed:\n{sample.stderr[-2000:]}")
    return Stats.of(json.loads(sample.stdout))


if __name__ == "__main__":
    sys.exit(main())
