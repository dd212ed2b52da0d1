"""verify: the event gate of every dispatch job, and the artifact check (`artifacts-are-data`)."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fake_github import FakeGitHub
from repowarden.runtime.commands import load
from support.dispatch_pipeline import Pipeline, craft_patch, write_artifact
from support.step import Outcome

PINNED = "six==1.17.0\n"


def wheel(
    name: str = "demo_pkg",
    version: str = "1.0",
    meta_name: str = "demo-pkg",
    meta_version: str | None = None,
    extra: tuple[str, ...] = (),
) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"{name}/__init__.py", "")
        for member in extra:
            zf.writestr(member, "import os\n")
        zf.writestr(
            f"{name}-{version}.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: {meta_name}\nVersion: {meta_version or version}\n",
        )
        zf.writestr(f"{name}-{version}.dist-info/WHEEL", "Wheel-Version: 1.0\n")
        zf.writestr(f"{name}-{version}.dist-info/RECORD", "")
    return buf.getvalue()


def sdist(
    prefix: str = "demo_pkg-1.0", meta_name: str = "demo-pkg", pkg_info: bool = True
) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        members = {f"{prefix}/pyproject.toml": b"[project]\n"}
        if pkg_info:
            version = prefix.rpartition("-")[2]
            members[f"{prefix}/PKG-INFO"] = (
                f"Metadata-Version: 2.1\nName: {meta_name}\nVersion: {version}\n".encode()
            )
        for path, data in members.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


SDIST, WHEEL = "dist/demo_pkg-1.0.tar.gz", "dist/demo_pkg-1.0-py3-none-any.whl"


def release(**files: bytes) -> dict[str, bytes]:
    """A good release (an sdist and a wheel of demo-pkg 1.0) with `files` added or replaced."""
    return {SDIST: sdist(), WHEEL: wheel(), **{k.replace("__", "/"): v for k, v in files.items()}}


def verify_release(pipeline: Pipeline, **run: Any) -> Outcome:
    """The publish job's `verify --operation release` of dispatch rel-1."""
    event = pipeline.event("release", id="rel-1")
    return pipeline.run("verify", event, job="publish", args=("--operation", "release"), **run)


def release_artifact(pipeline: Pipeline, files: dict[str, bytes], id: str = "rel-1") -> Path:
    target = pipeline.artifacts("publish")
    write_artifact(
        target, files, operation="release", id=id, repository="o/r", base_sha=pipeline.sha
    )
    return target


def test_event_only_hands_the_verified_id_and_ref_to_later_steps(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    plain = pipeline.run(
        "verify", pipeline.event("pip-compile", id="abc_1-2"), job="u", args=("--event-only",)
    )
    assert plain.code == 0
    assert plain.outputs == {"dispatch-id": "abc_1-2", "checkout-ref": pipeline.sha}

    pr = pipeline.run(
        "verify", pipeline.event("format", id="x", pr=7), job="u", args=("--event-only",)
    )
    assert pr.outputs == {"dispatch-id": "x", "checkout-ref": "refs/pull/7/head"}
    assert github.calls == []  # no token, no API: verify works offline


def test_event_only_refuses_a_hostile_id_and_sets_no_output(pipeline: Pipeline) -> None:
    event = pipeline.event("pip-compile", id="x\n::add-mask::y")
    outcome = pipeline.run("verify", event, job="u", args=("--event-only",))
    assert outcome.code == 2
    assert outcome.outputs == {}
    assert "client_payload.id 'x\\n::add-mask::y' is not" in outcome.err


def test_a_good_patch_artifact_passes(pipeline: Pipeline) -> None:
    art = pipeline.artifacts("apply")
    write_artifact(
        art,
        {"patch.diff": craft_patch(pipeline, {"requirements.txt": PINNED})},
        operation="pip-compile",
        id="d1",
        repository="o/r",
        base_sha=pipeline.sha,
    )
    outcome = pipeline.run(
        "verify", pipeline.event("pip-compile"), job="apply", args=("--operation", "pip-compile")
    )
    assert outcome.code == 0, outcome.out
    assert "artifact verified: patch.diff" in outcome.out


def test_every_violation_is_one_line(pipeline: Pipeline) -> None:
    art = pipeline.artifacts("apply")
    write_artifact(
        art,
        {"patch.diff": craft_patch(pipeline, {"requirements.txt": PINNED})},
        operation="pip-compile",
        id="other",
        repository="o/r",
        base_sha=pipeline.sha,
    )
    (art / "run.sh").write_text("#!/bin/sh\n")
    (art / "link").symlink_to("patch.diff")
    outcome = pipeline.run(
        "verify", pipeline.event("pip-compile"), job="apply", args=("--operation", "pip-compile")
    )
    assert outcome.code == 1
    lines = [line for line in outcome.out.splitlines() if line.startswith("violation: ")]
    assert lines == [
        "violation: 'link': is a symbolic link",
        "violation: manifest.json: id is 'other', expected 'd1'",
        "violation: 'run.sh': extra file, not in manifest.json",
    ]


def test_operation_must_be_the_dispatched_one(pipeline: Pipeline) -> None:
    outcome = pipeline.run(
        "verify", pipeline.event("pip-compile"), job="apply", args=("--operation", "release")
    )
    assert outcome.code == 2
    assert "--operation 'release' is not the dispatched operation 'pip-compile'" in outcome.err
    missing = pipeline.run("verify", pipeline.event("pip-compile"), job="apply")
    assert missing.code == 2


def test_distributions_of_the_project_pass(pipeline: Pipeline) -> None:
    release_artifact(pipeline, release())
    outcome = verify_release(pipeline)
    assert outcome.code == 0, outcome.out


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"dist/evil-1.0-py3-none-any.whl": wheel("evil", meta_name="evil")},
            "not a distribution of the project 'demo-pkg'",
        ),
        (
            {"dist/demo_pkg-1.0-py3-none-any.whl": wheel(meta_name="requests")},
            "metadata names the project 'requests', expected 'demo-pkg'",
        ),
        ({"dist/demo_pkg-1.0.tar.gz": sdist(pkg_info=False)}, "demo_pkg-1.0/PKG-INFO is missing"),
        ({"dist/demo_pkg-1.0.tar.gz": b"not gzip"}, "not a valid sdist"),
        ({"dist/demo_pkg-1.0-py3-none-any.whl": b"PK not a zip"}, "not a valid wheel"),
        ({"dist/demo_pkg-1.0.tar.gz": sdist(prefix="other-1.0")}, "is outside demo_pkg-1.0/"),
        ({"demo_pkg-1.0.tar.gz": sdist()}, "a build artifact holds only dist/"),
        (
            {"dist/demo_pkg-1.0-py3-none-any.whl": wheel(), "patch.diff": b""},
            "a build artifact holds only dist/",
        ),
        ({WHEEL: wheel()}, "0 sdists of 'demo-pkg'; a release has exactly one"),
        ({SDIST: sdist()}, "no wheel of 'demo-pkg'"),
        (release(dist__demo_pkg_2_0=b""), "not a distribution"),
        (
            release(**{"dist/demo_pkg-2.0-py3-none-any.whl": wheel(version="2.0")}),
            "more than one version",
        ),
        ({SDIST: sdist(), WHEEL: wheel(meta_version="1.1")}, "more than one version"),
        (
            {SDIST: sdist(), "dist/demo_pkg-1.0.tar.gz.tar.gz": sdist("demo_pkg-1.0.tar.gz")},
            "2 sdists",
        ),
        (
            {SDIST: sdist(), WHEEL: wheel(extra=("demo_pkg-hook.pth",))},
            "archive member 'demo_pkg-hook.pth' is a .pth file",
        ),
        (
            {SDIST: sdist(), WHEEL: wheel(extra=("demo_pkg-1.0.data/purelib/x.pth",))},
            "is a .pth file",
        ),
    ],
)
def test_distributions_must_be_valid_and_named_after_the_project(
    pipeline: Pipeline, files: dict[str, bytes], message: str
) -> None:
    release_artifact(pipeline, files)
    outcome = verify_release(pipeline)
    assert outcome.code == 1
    assert message in outcome.out


def test_verify_writes_no_runner_control_files(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file, path_file = pipeline.dir / "env", pipeline.dir / "path"
    monkeypatch.setenv("GITHUB_ENV", str(env_file))
    monkeypatch.setenv("GITHUB_PATH", str(path_file))
    release_artifact(pipeline, release())
    outcome = verify_release(pipeline)
    assert outcome.code == 0
    assert not env_file.exists()
    assert not path_file.exists()


def test_verify_declares_no_permission_and_calls_no_api(
    pipeline: Pipeline, github: FakeGitHub
) -> None:
    assert load("verify").permissions == ()
    release_artifact(pipeline, release())
    outcome = verify_release(pipeline, token=github.token({}))
    assert outcome.code == 0
    assert github.calls == []
    assert (
        json.loads((pipeline.artifacts("publish") / "manifest.json").read_text())["id"] == "rel-1"
    )


def test_a_pth_file_passes_only_when_the_operation_allows_it(pipeline: Pipeline) -> None:
    text = pipeline.config_path.read_text()
    pipeline.config_path.write_text(
        text.replace("project: demo-pkg", "project: demo-pkg\n      allow_pth: true")
    )
    release_artifact(pipeline, {SDIST: sdist(), WHEEL: wheel(extra=("demo_pkg-hook.pth",))})
    outcome = verify_release(pipeline)
    assert outcome.code == 0, outcome.out
