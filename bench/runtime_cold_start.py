"""Benchmark 3: runtime cold start, and which commands pay for ghapi.

- `python -m repowarden.runtime check` on a recorded pull_request_target event
  (bench/payloads/) against the fake GitHub on loopback, started in this process:
  wall time from spawn to exit of a fresh process (import, parse, decide, 3 HTTP
  calls), peak RSS.
- What importing ghapi costs here: `python -c "import ghapi.core"` minus
  `python -c pass`, and `-X importtime`'s view of it.
- Lazy imports: for every runtime command, whether loading it imports
  ghapi/fastcore/httpx2; and real `explain --snapshot` and `verify --event-only`
  runs, which talk to no one and so should not import ghapi either.

    python bench/runtime_cold_start.py [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import json
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
    repeat,
    run_process,
)
from _scenarios import (
    CHECK_PERMISSIONS,
    CONFIG,
    PAYLOADS,
    REPO,
    fake_github,
    pull_request_event,
    runner_env,
    runtime,
    sha,
)

HEAVY = ("ghapi", "fastcore", "httpx2", "fastspec")
BARE = "python -c pass"
CHECK = "`python -m repowarden.runtime check` (approved PR, fake GitHub on loopback)"
GHAPI = 'python -c "import ghapi.core"'
LOAD_ALL = f"""
import json, sys
from repowarden.runtime.commands import MODULES, load
heavy = {HEAVY!r}
after = {{}}
for name in sorted(MODULES):
    load(name)
    after[name] = sorted({{m.split(".")[0] for m in sys.modules}} & set(heavy))
print(json.dumps(after))
"""


def loaded(stderr: str, prefixes: tuple[str, ...] = HEAVY) -> list[str]:
    """Top-level packages among `prefixes` that `-X importtime` says were imported."""
    found = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            top = name.split(".")[0]
            if top in prefixes:
                found.add(top)
    return sorted(found)


def total_import_ms(stderr: str, module: str) -> float:
    """Cumulative import time of `module` as `-X importtime` reports it."""
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.rsplit("|", 1)[1].strip() == module:
            return int(line.split("|")[1]) / 1000
    return float("nan")


def snapshot(head: str) -> dict[str, object]:
    """An explain snapshot in GitHub's shapes (issue 3): alice's PR, both approvals."""
    event = pull_request_event(
        action="opened", number=7, author="alice", author_id=1001, head_sha=head
    )
    reviews = [
        {
            "id": 9000 + i,
            "user": {"login": login, "id": 2000 + i, "type": "User"},
            "state": "APPROVED",
            "commit_id": head,
            "submitted_at": "2026-01-01T00:00:00Z",
        }
        for i, login in enumerate(("bob", "carol"))
    ]
    return {"pull": event["pull_request"], "reviews": reviews, "files": [], "members": []}


def _json_line(stdout: str) -> dict[str, object]:
    try:
        value = json.loads(stdout)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def dispatch_env(work: Path) -> dict[str, str]:
    """A trusted repository_dispatch for the trio example (its sender id and repository)."""
    event = json.loads((PAYLOADS / "repository_dispatch.json").read_text())
    event["action"] = "repowarden"
    event["client_payload"] = {
        "operation": "pip-compile",
        "id": "bench-1",
        "repo": "python-trio/trio",
        "pr": 12,
    }
    event["sender"].update(login="trio-bot", id=63812935, type="Bot")
    event["repository"].update(full_name="python-trio/trio", name="trio")
    event["repository"]["owner"].update(login="python-trio")
    path = work / "dispatch.json"
    path.write_text(json.dumps(event))
    return {
        "GITHUB_EVENT_NAME": "repository_dispatch",
        "GITHUB_EVENT_PATH": str(path),
        "GITHUB_REPOSITORY": "python-trio/trio",
        "GITHUB_SHA": sha(1, "trio-main"),
        "GITHUB_WORKSPACE": str(work),
        "RUNNER_TEMP": str(work),
        "GITHUB_OUTPUT": str(work / "verify-output.txt"),
    }


def measure(args: argparse.Namespace) -> tuple[Result, list[list[str]]]:
    runs: int = args.runs
    warmup = 0 if args.quick else 1
    result = Result(name="runtime_cold_start", quick=args.quick, machine=machine())
    table: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-runtime-") as tmp, fake_github() as gh:
        work = Path(tmp)
        head = sha(7, "head")
        gh.add_repo(REPO, default_branch="main")
        for login in ("alice", "bob", "carol", "admin1", "admin2", "admin3"):
            gh.add_collaborator(REPO, login)
        number = gh.add_pull(
            REPO, author="alice", head_sha=head, head_repo=REPO, head_ref="feature"
        )
        gh.add_review(REPO, number, user="bob", state="APPROVED", commit_id=head)
        gh.add_review(REPO, number, user="carol", state="APPROVED", commit_id=head)
        event = pull_request_event(
            action="synchronize",
            number=number,
            author="alice",
            author_id=1001,
            head_sha=head,
            head_ref="feature",
        )
        env = runner_env(
            gh,
            work,
            event_name="pull_request_target",
            event=event,
            permissions=CHECK_PERMISSIONS,
        )
        plain = child_env()
        probes: dict[str, Callable[[], Sample]] = {
            CHECK: lambda: runtime("check", env=env, cwd=work)
        }
        for label, code in (
            (BARE, "pass"),
            (GHAPI, "import ghapi.core"),
            # GhApi() generates ~1,200 endpoint objects from GitHub's OpenAPI metadata;
            # runtime/github.py built one until 85f1275 and now builds only the transport.
            (
                "import ghapi.core + GhApi(sync=True) (what the client built before)",
                "from ghapi.core import GhApi\n"
                "GhApi(token='x', gh_host='http://127.0.0.1:9', sync=True)",
            ),
            (
                "import ghapi.core + GhSyncTransport() (what the client built before issue 14)",
                "from ghapi.core import GhSyncTransport\n"
                "GhSyncTransport(timeout=30.0, base_headers={})",
            ),
            (
                "import fasttransport + SyncTransport() (ghapi's transport: what it builds now)",
                "from fasttransport.core import SyncTransport\n"
                "SyncTransport(timeout=30.0, base_headers={})",
            ),
            ('python -c "import httpx2" (the HTTP library under ghapi)', "import httpx2"),
            ('python -c "import pydantic"', "import pydantic"),
            (
                "import repowarden.runtime.__main__ (command table, errors)",
                "import repowarden.runtime.__main__",
            ),
        ):
            probes[label] = lambda c=code: run_process(
                [TARGET.python, "-c", c], env=plain, cwd=work
            )
        # Round-robin, so a burst of load hits every probe alike.
        samples: dict[str, list[Sample]] = {label: [] for label in probes}
        for _ in range(runs + warmup):
            for label, make in probes.items():
                samples[label] += repeat(1, make, warmup=0, what=label)
        calls_per_run = len(gh.calls) // (runs + warmup)
        for label in probes:
            got = samples[label][warmup:]
            w = Stats.of([s.wall_s for s in got])
            c = Stats.of([s.cpu_s for s in got])
            r = Stats.of([s.maxrss_mib for s in got])
            row = {
                "what": label,
                "wall_s": w.__dict__,
                "cpu_s": c.__dict__,
                "maxrss_mib": r.__dict__,
            }
            if label == CHECK:
                row["http_calls_per_run"] = calls_per_run
            result.add(**row)
            table.append(
                [
                    label,
                    f"{w.median:.3f} s",
                    f"{w.min:.3f}-{w.max:.3f} s",
                    f"{c.median:.3f} s",
                    f"{r.median:.0f} MiB",
                    f"{calls_per_run} HTTP calls" if label == CHECK else "",
                ]
            )

        ghapi_times = run_process(
            [TARGET.python, "-X", "importtime", "-c", "import ghapi.core"], env=plain, cwd=work
        )
        result.add(
            what="importtime ghapi.core",
            cumulative_ms=total_import_ms(ghapi_times.stderr, "ghapi.core"),
            top=import_time_top(ghapi_times.stderr, top=20),
        )
        check_times = run_process(
            [
                TARGET.python,
                "-X",
                "importtime",
                "-m",
                "repowarden.runtime",
                "check",
                "--config",
                str(CONFIG),
            ],
            env=env,
            cwd=work,
        )
        check_packages = import_time_by_package(check_times.stderr)
        result.add(
            what="importtime check run",
            top=import_time_top(check_times.stderr, top=25),
            by_package_ms=check_packages,
        )
        result.notes.append(
            "self import time by package, `check`: "
            + ", ".join(f"{name} {ms:.0f} ms" for name, ms in check_packages[:12])
        )

        # Lazy imports: loading a command must not pull in the HTTP stack. One process
        # loads every command in turn; imports only accumulate, so a package absent
        # after the last load was imported by none, and the first load after which it
        # appears names the culprit. explain --snapshot and verify then run for real.
        probe = run_process([TARGET.python, "-c", LOAD_ALL], env=plain, cwd=work)
        if probe.returncode != 0:
            raise BenchError(f"loading the runtime commands failed: {probe.stderr[-2000:]}")
        after_each: dict[str, list[str]] = json.loads(probe.stdout.strip().splitlines()[-1])
        lazy: dict[str, list[str]] = {}
        seen: set[str] = set()
        for name, heavy in after_each.items():
            lazy[f"loading {name}"] = sorted(set(heavy) - seen)
            seen |= set(heavy)
        snap = work / "snapshot.json"
        snap.write_text(json.dumps(snapshot(head)))
        explain = run_process(
            [
                TARGET.python,
                "-X",
                "importtime",
                "-m",
                "repowarden.runtime",
                "explain",
                "--config",
                str(CONFIG),
                "--snapshot",
                str(snap),
            ],
            env=plain,
            cwd=work,
        )
        verdict = _json_line(explain.stdout)
        if explain.returncode != 0 or verdict.get("approved") is not True:
            raise BenchError(
                f"explain --snapshot did not approve: {explain.stdout} {explain.stderr[-1500:]}"
            )
        lazy["explain --snapshot (real run)"] = loaded(explain.stderr)
        verify_env = child_env(dispatch_env(work))
        verify = run_process(
            [
                TARGET.python,
                "-X",
                "importtime",
                "-m",
                "repowarden.runtime",
                "verify",
                "--config",
                str(TARGET.examples / "trio" / ".github" / "repowarden.yml"),
                "--event-only",
            ],
            env=verify_env,
            cwd=work,
        )
        if verify.returncode != 0 or "verified dispatch" not in verify.stdout:
            raise BenchError(f"verify --event-only failed: {verify.stdout} {verify.stderr[-1500:]}")
        lazy["verify --event-only (real run)"] = loaded(verify.stderr)
        lazy["check (real run, needs GitHub)"] = loaded(check_times.stderr)
        result.add(what="lazy imports", heavy_modules_loaded=lazy)

    medians = {r["what"]: r["wall_s"]["median"] for r in result.rows if "wall_s" in r}
    ghapi_cost = medians[GHAPI] - medians[BARE]
    cumulative = next(r for r in result.rows if r["what"] == "importtime ghapi.core")
    result.notes.append(
        f"ghapi costs {ghapi_cost * 1000:.0f} ms of wall time here (`{GHAPI}` minus "
        f"`{BARE}`); -X importtime: {cumulative['cumulative_ms']:.0f} ms cumulative for "
        "ghapi.core"
    )
    loads = {w: m for w, m in lazy.items() if w.startswith("loading ")}
    culprits = [f"{w} ({', '.join(m)})" for w, m in loads.items() if m]
    result.notes.append(
        f"{'/'.join(HEAVY)} imported when loading the {len(loads)} commands: "
        + ("; ".join(culprits) if culprits else "by none")
    )
    for what, mods in lazy.items():
        if not what.startswith("loading "):
            result.notes.append(f"`{what}` imports: {', '.join(mods) if mods else 'none of them'}")
    return result, table


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__ or "", argv)
    result, rows = measure(args)
    emit(
        result,
        ["what (fresh process)", "median wall", "min-max", "CPU (user+sys)", "peak RSS", "notes"],
        rows,
        args,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
