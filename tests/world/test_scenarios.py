"""Scenarios as people's and Apps' actions; the merge box and the world's log assert.

Each renders an example config with the real generator, lets people act, moves the
simulated clock, and asks the merge box. Where today's product fails a scenario it
is marked xfail(strict=True) with the issue that fixes it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from world import Protection, RequiredCheck, World

pytestmark = pytest.mark.slow

GATE = "repowarden/review"
STAR = ["r0mant", "zmb3", "rosstimothy", "codingllama"]
MINUTE = 60.0


def teleport(make_world: Callable[..., World], **kw: object) -> World:
    world = make_world("teleport", **kw)
    for login in STAR:
        world.person(login, "write", org="gravitational")
    world.person("klizhentas", "admin", org="gravitational")
    world.person("mallory")  # no role: an external contributor, from a fork
    world.protect(
        "master",
        Protection(checks=(RequiredCheck(GATE, "github-actions"),), approvals=1),
    )
    return world


def test_external_pr_is_blocked_by_a_failing_gate_and_reviewers_are_requested(
    make_world: Callable[..., World],
) -> None:
    world = teleport(make_world)
    number = world.open_pr("mallory", {"lib/feature.go": "package lib\n"})
    world.settle()

    verdict = world.merge_box(number)
    assert not verdict
    assert f"required check {GATE!r} is failing" in verdict.reasons, world.log.describe()
    requested = world.gh.pull(world.repo, number).requested_reviewers
    assert sorted(r.lower() for r in requested) == sorted(r.lower() for r in STAR)
    runs = {(r.file, r.trigger) for r in world.log.runs.values()}
    assert runs == {
        ("repowarden-assign.yml", "pull_request_target"),
        ("repowarden-check.yml", "pull_request_target"),
        ("repowarden-lint.yml", "pull_request"),
    }
    # pull_request_target ran the default branch's workflow; the lint job ran the PR's
    # merge commit, read-only: nothing ran PR code with a token that can write.
    for run in world.log.runs.values():
        assert run.source_is_pr == (run.trigger == "pull_request")
        assert run.conclusion in ("success", "failure"), world.log.describe()
    assert world.log.pr_code_with_write_tokens() == []


@pytest.mark.xfail(
    strict=True,
    reason="issue 10: a fork PR's gate turns green only when the delayed cron runs",
)
def test_external_pr_approved_by_star_reviewers_is_mergeable_within_5_minutes(
    make_world: Callable[..., World],
) -> None:
    world = teleport(make_world)
    number = world.open_pr("mallory", {"lib/feature.go": "package lib\n"})
    world.settle()
    world.approve(number, "r0mant")
    world.settle()
    deciding = world.now()
    world.approve(number, "zmb3")
    world.advance(5 * MINUTE)
    assert world.merge_box(number), world.log.describe()
    waited = world.mergeable_after(number, deciding)
    assert waited is not None
    assert waited <= 5 * MINUTE
