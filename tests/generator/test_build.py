"""The plan of generated files: complete, headed, deterministic, and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from repowarden.generator import build, vendor
from repowarden.generator.render import render_templates
from repowarden.runtime.config import parse_config, parsed_config_body
from repowarden.runtime.errors import Exit
from repowarden.runtime.generated import (
    MANIFEST_PATH,
    PARSED_CONFIG_PATH,
    Manifest,
    problems_with,
    sha256,
    split_header,
)
from ruamel.yaml import YAML

EXAMPLES = Path(__file__).parents[2] / "examples"
TELEPORT = EXAMPLES / "teleport/.github/repowarden.yml"
TRIO = EXAMPLES / "trio/.github/repowarden.yml"


def plan_of(path: Path) -> tuple[str, dict[str, str]]:
    text = path.read_text("utf-8")
    return text, build.plan(parse_config(text, str(path)), text)


def test_the_plan_holds_rendered_vendored_and_schema_files() -> None:
    text, files = plan_of(TELEPORT)
    config = parse_config(text)
    assert set(files) == {
        *render_templates(config),
        *vendor.vendored_files(),
        build.SCHEMA_PATH,
        PARSED_CONFIG_PATH,
        MANIFEST_PATH,
    }
    assert ".github/workflows/repowarden-check.yml" in files
    assert list(files) == sorted(files)


def test_every_file_opens_with_a_header_that_verifies() -> None:
    _text, files = plan_of(TELEPORT)
    for path, content in files.items():
        header, _ = split_header(content)
        assert header is not None, path
        assert problems_with(path, content) == []


def test_the_body_under_the_header_is_exactly_what_was_rendered_or_vendored() -> None:
    text, files = plan_of(TELEPORT)
    expected = {
        **render_templates(parse_config(text)),
        **vendor.vendored_files(),
        build.SCHEMA_PATH: build.schema_text(),
        PARSED_CONFIG_PATH: parsed_config_body(text),
    }
    manifest = Manifest(
        tuple(sorted(expected)), ".github/repowarden.yml", sha256(text), build.generator_version()
    )
    expected[MANIFEST_PATH] = manifest.render()
    assert {path: split_header(content)[1] for path, content in files.items()} == expected


def test_same_config_same_bytes_and_a_config_edit_restamps_only_the_manifest() -> None:
    text, first = plan_of(TELEPORT)
    _, second = plan_of(TELEPORT)
    assert first == second
    edited = text + "# a comment changes no setting\n"
    third = build.plan(parse_config(edited), edited)
    assert set(third) == set(first)
    # only the manifest records the config's hash: `verify-generated` tells from it
    assert [path for path in first if third[path] != first[path]] == [MANIFEST_PATH]
    assert Manifest.parse(split_header(third[MANIFEST_PATH])[1]).config_hash == sha256(edited)


def test_the_config_name_in_the_manifest_is_the_one_given() -> None:
    text = TELEPORT.read_text("utf-8")
    files = build.plan(parse_config(text), text, "config/repowarden.yml")
    assert Manifest.parse(split_header(files[MANIFEST_PATH])[1]).config == "config/repowarden.yml"


def test_no_dispatch_section_no_dispatch_workflow() -> None:
    _, files = plan_of(TELEPORT)
    assert ".github/workflows/repowarden-dispatch.yml" not in files


def test_the_schema_file_is_yaml_and_the_json_schema() -> None:
    _, files = plan_of(TELEPORT)
    _, body = split_header(files[build.SCHEMA_PATH])
    # yaml-language-server reads YAML schema files; JSON text is YAML, and the `#`
    # header lines before it are comments.
    loaded = YAML(typ="safe", pure=True).load(files[build.SCHEMA_PATH])
    assert loaded == json.loads(body) == build.config_schema()


def test_the_parsed_config_is_yaml_holding_the_configs_data() -> None:
    text, files = plan_of(TELEPORT)
    # JSON under `#` comment lines: YAML, and the same data the config's YAML holds.
    loaded = YAML(typ="safe", pure=True).load(files[PARSED_CONFIG_PATH])
    assert loaded == YAML(typ="safe", pure=True).load(text)


def test_the_scaffolded_modeline_points_at_the_generated_schema() -> None:
    # .github/repowarden.yml -> repowarden/config.schema.yml, relative to the config
    target = (Path(".github") / build.SCHEMA_MODELINE.split("=", 1)[1]).as_posix()
    assert target == build.SCHEMA_PATH
    for example in (TELEPORT, TRIO):
        assert example.read_text().startswith(build.SCHEMA_MODELINE + "\n")


def test_a_rendered_invariant_violation_is_an_invariant_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A template bug cannot be produced from a valid config, so the renderer's own
    # check is fed a workflow that breaks least-privilege-permissions through the real check.
    from repowarden.generator import render

    real = render.render_templates

    def with_bad_workflow(config: object) -> dict[str, str]:
        files = real(config)  # type: ignore[arg-type]
        files[".github/workflows/repowarden-bad.yml"] = (
            "name: bad\non: push\npermissions: write-all\njobs: {}\n"
        )
        violations = render.check_invariants(files)
        if violations:
            raise render.UnsafeRenderError(violations)
        return files

    monkeypatch.setattr(build, "render_templates", with_bad_workflow)
    text = TELEPORT.read_text()
    with pytest.raises(build.InvariantError) as raised:
        build.plan(parse_config(text), text)
    assert any("repowarden-bad.yml" in str(v) for v in raised.value.violations)
    assert raised.value.exit_code == Exit.INVARIANT


def test_a_dispatch_section_adds_the_dispatch_workflow() -> None:
    text, files = plan_of(TRIO)
    assert ".github/workflows/repowarden-dispatch.yml" in files
    assert set(files) == {
        *render_templates(parse_config(text)),
        *vendor.vendored_files(),
        build.SCHEMA_PATH,
        PARSED_CONFIG_PATH,
        MANIFEST_PATH,
    }


def test_the_manifest_lists_every_other_generated_file() -> None:
    _, files = plan_of(TRIO)
    _, body = split_header(files[MANIFEST_PATH])
    assert list(Manifest.parse(body).files) == sorted(set(files) - {MANIFEST_PATH})
