"""The built wheel, installed in a fresh venv: complete, namespaced, and working.

An editable install reads the checkout, so a subpackage or data file missing from
`[tool.setuptools]` would go unnoticed everywhere else.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from support.tree import tree_digest

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).parents[1]
MAPPED = {"generator": "repowarden/generator", "runtime": "repowarden/runtime"}
MAPPED["templates"] = "repowarden/templates"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(PROJECT)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("repowarden-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    subprocess.run(
        [str(where / "bin/python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", str(wheel)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return where


def source_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "generator", "runtime", "templates"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [p for p in listed if (PROJECT / p).is_file()]


def test_the_wheel_holds_every_module_template_and_data_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = set()
    for rel in source_files():
        top, rest = rel.split("/", 1)
        expected.add(f"{MAPPED[top]}/{rest}")
    missing = sorted(expected - names)
    assert not missing, f"in the source tree but not in the wheel: {missing}"
    # the data files the generator reads through importlib.resources
    for data in (
        "repowarden/generator/pins.json",
        "repowarden/generator/lint-requirements.txt",
        "repowarden/runtime/requirements.txt",
        "repowarden/templates/copier/copier.yml",
        "repowarden/templates/copier/questions.yml",
        "repowarden/templates/copier/template/.github/repowarden.yml.jinja",
    ):
        assert data in names


def test_the_wheel_installs_nothing_top_level_but_repowarden(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names if not name.startswith("repowarden-")}
    assert tops == {"repowarden"}
    # `repowarden` is a namespace package, as the vendored copy in targets is too
    assert "repowarden/__init__.py" not in names
    [top_level] = [n for n in names if n.endswith(".dist-info/top_level.txt")]
    assert zipfile.ZipFile(wheel).read(top_level).decode().split() == ["repowarden"]


def run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def test_the_installed_wheel_generates_what_the_checkout_generates(
    venv: Path, tmp_path: Path
) -> None:
    from repowarden.generator.cli import main

    installed, editable = tmp_path / "installed", tmp_path / "editable"
    for root in (installed, editable):
        (root / ".github").mkdir(parents=True)
        shutil.copy(PROJECT / "examples/teleport/.github/repowarden.yml", root / ".github")
    done = run(venv, "repowarden", "generate", cwd=installed)
    assert done.returncode == 0, done.stderr
    assert main(["generate", "--root", str(editable)]) == 0
    assert tree_digest(installed) == tree_digest(editable)
    assert run(venv, "repowarden", "generate", "--check", cwd=installed).returncode == 0


def test_the_installed_wheel_scaffolds_with_init(venv: Path, tmp_path: Path) -> None:
    done = run(
        venv, "repowarden", "init", str(tmp_path), "--defaults", "--data", "repository=o/r",
        "--data", "admins=[alice]",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / ".github/repowarden.yml").is_file()
    assert (tmp_path / ".github/repowarden/repowarden/runtime/__main__.py").is_file()


def test_no_top_level_generator_or_runtime_module(venv: Path, tmp_path: Path) -> None:
    for module in ("generator", "runtime", "templates"):
        done = run(venv, "python", "-P", "-c", f"import {module}", cwd=tmp_path)
        assert done.returncode != 0
        assert "ModuleNotFoundError" in done.stderr
    # The dispatch subpackages too: an editable install would hide one the wheel lacks.
    modules = "repowarden.runtime.dispatch.commands.verify, repowarden.runtime.dispatch.kinds"
    ok = run(venv, "python", "-P", "-c", f"import {modules}", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
