"""The table of operation kinds: complete, and the one source of the config's union."""

from __future__ import annotations

import typing

import pytest
from repowarden.runtime.config import ConfigError, parse_config
from repowarden.runtime.dispatch.kinds import KIND_NAMES, KINDS, OperationModel, kind_of


def test_the_table_and_the_union_name_the_same_models() -> None:
    assert {kind.model for kind in KINDS} == set(typing.get_args(OperationModel))
    assert len(set(KIND_NAMES)) == len(KINDS)
    for kind in KINDS:
        # The config's discriminator is the kind's own name.
        assert typing.get_args(kind.model.model_fields["kind"].annotation) == (kind.name,)


def test_an_unknown_kind_is_refused_with_the_table_s_names() -> None:
    text = """\
repository: o/r
review: {admins: [a1, a2], reviewers: {"*": [a1, a2]}}
dispatch:
  senders: [{login: bot, id: 1}]
  operations: [{kind: deploy}]
"""
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    (problem,) = info.value.problems
    assert problem.message.endswith(f"valid kinds: {', '.join(KIND_NAMES)}")


@pytest.mark.parametrize(
    ("operation", "artifact", "result", "creates_files", "takes_pr"),
    [
        ("{kind: pip-compile, requirements: [r.in]}", "patch", "pull-request", True, True),
        ("{kind: format, commands: [[black, .]], paths: ['*.py']}", "patch", "push", False, True),
        ("{kind: build-and-publish, project: p}", "dists", "publish", False, False),
    ],
)
def test_each_kind_declares_its_artifact_result_and_limits(
    operation: str, artifact: str, result: str, creates_files: bool, takes_pr: bool
) -> None:
    config = parse_config(
        f"""\
repository: o/r
review: {{admins: [a1, a2], reviewers: {{"*": [a1, a2]}}}}
dispatch:
  senders: [{{login: bot, id: 1}}]
  operations: [{operation}]
"""
    )
    assert config.dispatch is not None
    kind = kind_of(config.dispatch.operations[0])
    assert (kind.artifact, kind.result, kind.creates_files, kind.takes_pr) == (
        artifact,
        result,
        creates_files,
        takes_pr,
    )
