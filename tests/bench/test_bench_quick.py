"""Each benchmark runs once in quick mode and produces well-formed results.

These prove the benchmarks still work as the code under them changes. They never
look at a timing: a slow machine must not fail the suite (bench/README.md holds
the measured numbers).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


def run_quick(name: str, results: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(BENCH / f"{name}.py"), "--quick", "--results-dir", str(results)],
        cwd=results,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout}\n{proc.stderr}"
    # The printed markdown table: a header, a separator, at least one row.
    table = [line for line in proc.stdout.splitlines() if line.startswith("|")]
    assert len(table) >= 3, proc.stdout
    assert set(table[1].replace("|", "")) == {"-"}
    written = results / f"{name}.quick.json"
    assert written.is_file(), f"{name} wrote no results file"
    data: dict[str, Any] = json.loads(written.read_text())
    assert data["name"] == name
    assert data["quick"] is True
    assert data["machine"]["nproc"] >= 1
    assert data["machine"]["python"].startswith("3.")
    assert data["rows"], "no measurements recorded"
    return data


def positive(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


@pytest.mark.slow
def test_generate_quick(tmp_path: Path) -> None:
    data = run_quick("generate", tmp_path)
    timed = {row["what"]: row for row in data["rows"] if "wall_s" in row}
    assert any(w.startswith("generate --check") for w in timed)
    assert any(w.startswith("floor") for w in timed)
    for row in timed.values():
        assert positive(row["wall_s"]["median"])
        assert row["wall_s"]["min"] <= row["wall_s"]["median"] <= row["wall_s"]["max"]
        assert positive(row["maxrss_mib"]["median"])
        assert positive(row["ratio_to_floor"])


@pytest.mark.slow
def test_fleet_quick(tmp_path: Path) -> None:
    data = run_quick("fleet", tmp_path)
    generator = next(row for row in data["rows"] if row["what"] == "generator")
    assert generator["repos"] >= 1
    assert generator["files_per_repo"] >= 5  # workflows, CODEOWNERS, action, vendored runtime
    assert positive(generator["per_repo_ms"]["median"])
    copier = [row for row in data["rows"] if row["what"] == "copier"]
    assert copier, f"copier side not measured: {data['notes']}"
    assert positive(copier[0]["ratio_to_generator"])


@pytest.mark.slow
def test_runtime_cold_start_quick(tmp_path: Path) -> None:
    data = run_quick("runtime_cold_start", tmp_path)
    rows = {row["what"]: row for row in data["rows"]}
    check = next(row for what, row in rows.items() if "repowarden.runtime check" in what)
    assert positive(check["wall_s"]["median"])
    assert check["http_calls_per_run"] >= 2  # read the reviews, write the status
    lazy = rows["lazy imports"]["heavy_modules_loaded"]
    assert "explain --snapshot (real run)" in lazy
    assert all(isinstance(mods, list) for mods in lazy.values())


@pytest.mark.slow
def test_api_economy_quick(tmp_path: Path) -> None:
    data = run_quick("api_economy", tmp_path)
    assert len(data["rows"]) == 7
    for row in data["rows"]:
        assert row["calls"] >= row["lower_bound"] >= 1, row
        assert sum(row["by_shape"].values()) == row["calls"]
        assert math.isclose(row["ratio"], row["calls"] / row["lower_bound"])


@pytest.mark.slow
def test_scale_quick(tmp_path: Path) -> None:
    data = run_quick("scale", tmp_path)
    generate = [row for row in data["rows"] if row["kind"] == "generate"]
    dismiss = [row for row in data["rows"] if row["kind"] == "dismiss-runs"]
    assert len(generate) >= 2
    assert len(dismiss) == len(generate)
    assert [r["n"] for r in generate] == sorted(r["n"] for r in generate)
    for row in dismiss:
        assert row["calls"] >= row["lower_bound"]


@pytest.mark.slow
def test_explain_rules_quick(tmp_path: Path) -> None:
    data = run_quick("explain_rules", tmp_path)
    fresh, alone = data["rows"]
    assert fresh["what"].startswith("explain --snapshot: 300 files, 50 reviews")
    assert fresh["rules_matched"] >= 1
    for row in (fresh, alone):
        assert positive(row["wall_s"]["median"])


@pytest.mark.slow
def test_job_cost_quick(tmp_path: Path) -> None:
    data = run_quick("job_cost", tmp_path)
    jobs = {row["what"]: row for row in data["rows"] if "total_s" in row}
    old = next(row for what, row in jobs.items() if what.startswith("old"))
    new = next(row for what, row in jobs.items() if what.startswith("new: "))
    # Each job installs its own set: the old one the 24 packages, the new the review set.
    assert old["packages"] == 24
    assert new["packages"] < old["packages"]
    for row in jobs.values():
        for phase in ("install_s", "check_s", "check_warm_s", "total_s"):
            assert positive(row[phase]["median"]), (row["what"], phase)
        assert math.isclose(
            row["total_s"]["median"], row["install_s"]["median"] + row["check_s"]["median"]
        )
    ratio = next(row for row in data["rows"] if row["what"] == "ratio old/new")
    assert math.isclose(ratio["ratio"], old["total_s"]["median"] / new["total_s"]["median"])
