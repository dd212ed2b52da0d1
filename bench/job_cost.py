"""Benchmark 7: the part of a `check` job that repowarden controls, old action vs new.

Each run is what the composite action's install-and-run step does on a fresh runner,
in fresh processes: create the environment, install the hash-pinned requirements
(with empty package caches, from a PyPI mirror on loopback), then run `check`
against the fake GitHub (an approved PR: 2 HTTP calls). Side by side, round-robin:

- **old**: the action as at commit BASELINE: `python -m venv`, then
  `pip install --require-hashes` of the one 24-package set (pip, setuptools and wheel
  pinned), then the runtime of that commit (imports everything up front);
- **new**: the script of the composite action that the measured code renders
  (`uv venv`, `uv pip install --require-hashes` of the review set), then its runtime;
- **new, no venv** (an alternative measured, not shipped): `uv pip install --target`
  into a folder put on PYTHONPATH, the interpreter used as it is;
- **new, --compile-bytecode** (an alternative measured, not shipped): uv compiles
  every installed module at install time instead of Python compiling, on first
  import, only the modules the command imports.

Each job's `check` runs twice: the first run is what the job pays (Python writes the
.pyc of every module it imports); the second, in the same environment, is the
runtime's own work (warm .pyc), the figure benchmark 3 and issue 14 quote.

What is not measured: setup-python and setup-uv themselves (downloads on a real
runner, nothing to time here) and the checkout. The wheelhouse is filled once with
`pip download --require-hashes` from PyPI and kept in ~/.cache/repowarden-bench.

    python bench/job_cost.py [--quick] [--runs N]
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    ROOT,
    TARGET,
    BenchError,
    Result,
    Sample,
    Stats,
    emit,
    machine,
    parse_args,
    run_process,
)
from _scenarios import (
    CHECK_PERMISSIONS,
    CONFIG,
    REPO,
    fake_github,
    pull_request_event,
    runner_env,
    sha,
)
from ruamel.yaml import YAML

# The last commit before issue 14: its action, its one requirement set, its runtime.
BASELINE = "d81ed6880600aa0b11506e4690fb161ed1ea0b36"
OLD_SCRIPT = """\
set -euo pipefail
VENV="$RUNNER_TEMP/repowarden-venv"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes -r "$GITHUB_WORKSPACE/.github/repowarden/requirements.txt"
"""  # noqa: E501 - verbatim from templates/action.yml.j2 at BASELINE
RUN_SCRIPT = """\
set -euo pipefail
VENV="$RUNNER_TEMP/repowarden-venv"
read -ra ARGS <<< "$REPOWARDEN_ARGS"
PYTHONPATH="$GITHUB_WORKSPACE/.github/repowarden" "$VENV/bin/python" -m repowarden.runtime "$REPOWARDEN_COMMAND" --config "$GITHUB_WORKSPACE/.github/repowarden.yml" "${ARGS[@]}"
"""  # noqa: E501 - the run line both actions share
NO_VENV_INSTALL = """\
set -euo pipefail
"$UV" pip install --quiet --no-config --no-build --python "$PYTHON" --target "$RUNNER_TEMP/repowarden-site" --require-hashes -r "$GITHUB_WORKSPACE/.github/repowarden/requirements.txt"
"""  # noqa: E501
NO_VENV_RUN = """\
set -euo pipefail
read -ra ARGS <<< "$REPOWARDEN_ARGS"
PYTHONPATH="$GITHUB_WORKSPACE/.github/repowarden:$RUNNER_TEMP/repowarden-site" "$PYTHON" -m repowarden.runtime "$REPOWARDEN_COMMAND" --config "$GITHUB_WORKSPACE/.github/repowarden.yml" "${ARGS[@]}"
"""  # noqa: E501
WHEELHOUSE = Path.home() / ".cache" / "repowarden-bench" / "wheelhouse"
OLD, NEW = "old: venv + pip", "new: uv venv + uv pip"
NO_VENV, COMPILED = "new, no venv (uv pip --target)", "new, uv pip --compile-bytecode"


def base_python() -> str:
    """The interpreter setup-python would hand the step: a plain one, not a venv."""
    return str(Path(getattr(sys, "_base_executable", sys.executable)).resolve())


def uv_binary() -> str:
    import uv  # the `uv` package of the test extras: the binary setup-uv would fetch

    return str(uv.find_uv_bin())


def split_action_script(action_yml: Path) -> tuple[str, str]:
    """The rendered action's install part and its run part (from `read -ra ARGS` on)."""
    action = YAML(typ="safe", pure=True).load(action_yml.read_text())
    [step] = [s for s in action["runs"]["steps"] if s.get("id") == "run"]
    script: str = step["run"]
    cut = script.index("# Split the fixed flags")
    run = (
        "set -euo pipefail\n"
        'VENV="$RUNNER_TEMP/repowarden-venv"\n'
        'RUNTIME_PYTHON="$VENV/bin/python"\n'
    )
    return script[:cut], run + script[cut:]


def old_workspace(dest: Path) -> None:
    """The vendored runtime and requirements of BASELINE, laid out as the generator did."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", BASELINE, "runtime"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    vendored = dest / ".github" / "repowarden"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            rel = Path(member.name).relative_to("runtime")
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            if rel.suffix == ".py":
                (vendored / "repowarden" / "runtime" / rel).parent.mkdir(
                    parents=True, exist_ok=True
                )
                (vendored / "repowarden" / "runtime" / rel).write_bytes(data)
            elif rel.name == "requirements.txt":
                (vendored / "requirements.txt").write_bytes(data)
    shutil.copy(CONFIG, dest / ".github" / "repowarden.yml")


def new_workspace(dest: Path) -> None:
    """`repowarden generate` of the measured code: the action, the vendored runtime."""
    (dest / ".github").mkdir(parents=True)
    shutil.copy(CONFIG, dest / ".github" / "repowarden.yml")
    proc = run_process([TARGET.bin("repowarden"), "generate", "--root", str(dest)])
    if proc.returncode != 0:
        raise BenchError(f"repowarden generate failed: {proc.stderr[-2000:]}")


def fill_wheelhouse(requirements: list[Path]) -> Path:
    """Every wheel the requirement files pin, downloaded once and hash-checked by pip."""
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    for req in requirements:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--require-hashes",
                "-r",
                str(req),
                "-d",
                str(WHEELHOUSE),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise BenchError(f"pip download failed for {req}: {proc.stderr[-2000:]}")
    return WHEELHOUSE


def _normalise(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def simple_index(wheelhouse: Path, root: Path) -> None:
    """A PEP 503 index of the wheelhouse, with each file's sha256 in its link."""
    projects: dict[str, list[Path]] = {}
    for wheel in sorted(wheelhouse.glob("*.whl")):
        projects.setdefault(_normalise(wheel.name.split("-")[0]), []).append(wheel)
    for project, wheels in projects.items():
        folder = root / "simple" / project
        folder.mkdir(parents=True)
        links = []
        for wheel in wheels:
            digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
            os.link(wheel, root / wheel.name) if not (root / wheel.name).exists() else None
            links.append(f'<a href="/{wheel.name}#sha256={digest}">{wheel.name}</a>')
        (folder / "index.html").write_text("<html><body>" + "".join(links) + "</body></html>")


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """The index over HTTP on loopback, as a mirror of PyPI would answer."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        # Keep-alive, as PyPI's CDN: over HTTP/1.0 every request is a new connection
        # and uv's install took 2.5 s of waiting instead of 0.5 s.
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            """Silent: the benchmark's output is its table, not one line per request."""

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()


def job_env(base: Mapping[str, str], workspace: Path, temp: Path, index: str) -> dict[str, str]:
    """The step's environment: the runner's, the action's inputs, empty package caches."""
    env = {k: v for k, v in base.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(
        GITHUB_WORKSPACE=str(workspace),
        RUNNER_TEMP=str(temp),
        PYTHON=base_python(),
        UV=uv_binary(),
        REPOWARDEN_REQUIREMENTS="review",
        REPOWARDEN_COMMAND="check",
        REPOWARDEN_ARGS="",
        # Where packages come from: the loopback mirror, nothing configured elsewhere.
        PIP_CONFIG_FILE=os.devnull,
        PIP_INDEX_URL=index,
        PIP_CACHE_DIR=str(temp / "pip-cache"),
        UV_INDEX_URL=index,
        UV_CACHE_DIR=str(temp / "uv-cache"),
        UV_PYTHON_DOWNLOADS="never",
    )
    return env


def measure(args: Any) -> tuple[Result, list[list[str]]]:
    runs: int = args.runs
    warmup = 0 if args.quick else 1
    result = Result(name="job_cost", quick=args.quick, machine=machine())
    with tempfile.TemporaryDirectory(prefix="bench-job-") as tmp, fake_github() as gh:
        work = Path(tmp)
        old_ws, new_ws = work / "old-workspace", work / "new-workspace"
        old_workspace(old_ws)
        new_workspace(new_ws)
        install_new, run_new = split_action_script(
            new_ws / ".github" / "actions" / "repowarden" / "action.yml"
        )
        old_req = old_ws / ".github" / "repowarden" / "requirements.txt"
        new_req = new_ws / ".github" / "repowarden" / "requirements.txt"
        wheelhouse = fill_wheelhouse([old_req, new_req])
        simple_index(wheelhouse, work / "index")

        head = sha(7, "head")
        gh.add_repo(REPO, default_branch="main")
        for login in ("alice", "bob", "carol", "admin1", "admin2", "admin3"):
            gh.add_collaborator(REPO, login)
        number = gh.add_pull(REPO, author="alice", head_sha=head, head_repo=REPO, head_ref="f")
        gh.add_review(REPO, number, user="bob", state="APPROVED", commit_id=head)
        gh.add_review(REPO, number, user="carol", state="APPROVED", commit_id=head)
        event = pull_request_event(
            action="synchronize", number=number, author="alice", author_id=1001, head_sha=head
        )
        base = runner_env(
            gh,
            work / "runner",
            event_name="pull_request_target",
            event=event,
            permissions=CHECK_PERMISSIONS,
        )
        variants: dict[str, tuple[Path, str, str]] = {
            OLD: (old_ws, OLD_SCRIPT, RUN_SCRIPT),
            NEW: (new_ws, install_new, run_new),
            NO_VENV: (new_ws, NO_VENV_INSTALL, NO_VENV_RUN),
            COMPILED: (
                new_ws,
                install_new.replace(" pip install ", " pip install --compile-bytecode ", 1),
                run_new,
            ),
        }
        if "--compile-bytecode" not in variants[COMPILED][1]:
            raise BenchError("the rendered action's install line changed; update this bench")
        phases: dict[str, dict[str, list[float]]] = {
            v: {
                k: [] for k in ("install", "check", "total", "cpu", "warm", "check_cpu", "warm_cpu")
            }
            for v in variants
        }
        with serve(work / "index") as index:

            def one(label: str, attempt: int) -> tuple[Sample, Sample, Sample]:
                source, install, run = variants[label]
                # A fresh checkout and runner temp: no .pyc, no venv, no package cache.
                workspace = work / f"ws-{attempt}-{len(phases[label]['total'])}-{label[:3]}"
                shutil.copytree(source, workspace)
                temp = workspace.with_name(workspace.name + "-temp")
                temp.mkdir()
                env = job_env(base, workspace, temp, index)
                first = run_process(["bash", "-c", install], env=env, cwd=workspace)
                if first.returncode != 0:
                    raise BenchError(f"{label}: install failed:\n{first.stderr[-2000:]}")
                checks = []
                for _ in range(2):  # cold .pyc (what the job pays), then warm
                    check = run_process(["bash", "-c", run], env=env, cwd=workspace)
                    if check.returncode != 0 or "approved" not in check.stdout:
                        raise BenchError(
                            f"{label}: check did not approve (exit {check.returncode}):\n"
                            f"{check.stdout[-1000:]}\n{check.stderr[-2000:]}"
                        )
                    checks.append(check)
                shutil.rmtree(workspace)
                shutil.rmtree(temp)
                return first, checks[0], checks[1]

            for attempt in range(runs + warmup):
                for label in variants:  # round-robin: load hits all alike
                    install, check, warm = one(label, attempt)
                    if attempt < warmup:
                        continue
                    phases[label]["warm"].append(warm.wall_s)
                    phases[label]["check_cpu"].append(check.cpu_s)
                    phases[label]["warm_cpu"].append(warm.cpu_s)
                    phases[label]["install"].append(install.wall_s)
                    phases[label]["check"].append(check.wall_s)
                    phases[label]["total"].append(install.wall_s + check.wall_s)
                    phases[label]["cpu"].append(install.cpu_s + check.cpu_s)
        statuses = gh.statuses(REPO, head)
        packages = {label: _count(new_req) for label in variants} | {OLD: _count(old_req)}

    if not statuses:
        raise BenchError("no commit status was written: check did not do its job")
    table: list[list[str]] = []
    for label, got in phases.items():
        total, install, check, warm, cpu, check_cpu, warm_cpu = (
            Stats.of(got[k])
            for k in ("total", "install", "check", "warm", "cpu", "check_cpu", "warm_cpu")
        )
        result.add(
            what=label,
            packages=packages[label],
            total_s=total.__dict__,
            install_s=install.__dict__,
            check_s=check.__dict__,
            check_warm_s=warm.__dict__,
            cpu_s=cpu.__dict__,
            check_cpu_s=check_cpu.__dict__,
            check_warm_cpu_s=warm_cpu.__dict__,
        )
        table.append(
            [
                label,
                str(packages[label]),
                f"{install.median:.3f} s",
                f"{check.median:.3f} s",
                f"**{total.median:.3f} s**",
                f"{total.min:.3f}-{total.max:.3f} s",
                f"{warm.median:.3f} s",
                f"{cpu.median:.3f} s",
                f"{check_cpu.median:.3f} s / {warm_cpu.median:.3f} s",
            ]
        )
    medians = {r["what"]: r["total_s"]["median"] for r in result.rows}
    ratio = medians[OLD] / medians[NEW]
    new = next(r for r in result.rows if r["what"] == NEW)
    share, own = new["check_s"]["median"], new["check_warm_s"]["median"]
    cpus = {r["what"]: r["cpu_s"]["median"] for r in result.rows}
    result.add(
        what="ratio old/new",
        ratio=ratio,
        cpu_ratio=cpus[OLD] / cpus[NEW],
        runtime_share_s=share,
        runtime_warm_s=own,
    )
    result.notes.append(
        f"old/new: **{ratio:.1f}x** in wall time ({medians[OLD]:.3f} s -> "
        f"{medians[NEW]:.3f} s), {cpus[OLD] / cpus[NEW]:.1f}x in CPU time "
        f"({cpus[OLD]:.3f} s -> {cpus[NEW]:.3f} s); the new job's `check` process: "
        f"{share:.3f} s on its first run (it writes the .pyc of what it imports), "
        f"{own:.3f} s warm; targets: total <= 1.5 s, runtime <= 0.3 s"
    )
    result.notes.append(
        f"alternatives: no venv {medians[NO_VENV]:.3f} s, --compile-bytecode "
        f"{medians[COMPILED]:.3f} s, against {medians[NEW]:.3f} s for what ships"
    )
    return result, table


def _count(requirements: Path) -> int:
    return sum(1 for line in requirements.read_text().splitlines() if "==" in line)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__ or "", argv)
    result, rows = measure(args)
    emit(
        result,
        [
            "job step (fresh processes)",
            "packages",
            "env + install",
            "check",
            "total",
            "min-max",
            "check again (warm .pyc)",
            "CPU, whole job",
            "CPU of check: first / warm",
        ],
        rows,
        args,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
