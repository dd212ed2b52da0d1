"""`artifacts-are-data` (workflow half): one artifact by the verified id, verified first."""

from __future__ import annotations

import pytest
from repowarden.generator.invariants import artifacts
from support.invariants import DISPATCH, Mutate, Parse

DOWNLOAD_PATH = "          path: ${{ runner.temp }}/repowarden-artifacts\n"
VERIFY_DIST = "      - name: Verify the distributions against the manifest and the project name\n"


def test_the_rendered_example_passes(parsed: Parse, rendered: dict[str, str]) -> None:
    assert artifacts.check(parsed(rendered)) == []


@pytest.mark.parametrize(
    ("old", "new", "count", "message"),
    [
        (
            "name: ${{ steps.event.outputs.dispatch-id }}",
            "name: ${{ github.event.client_payload.id }}",
            1,
            "the artifact is named",
        ),
        (
            "name: ${{ steps.event.outputs.dispatch-id }}\n" + DOWNLOAD_PATH,
            "pattern: '*'\n          merge-multiple: true\n" + DOWNLOAD_PATH,
            1,
            "download exactly the artifact",
        ),
        (DOWNLOAD_PATH, "          path: artifacts\n", 1, "download into runner.temp"),
        (
            DOWNLOAD_PATH,
            DOWNLOAD_PATH + "          digest-mismatch: warn\n",
            1,
            "a digest mismatch must fail",
        ),
        (
            DOWNLOAD_PATH,
            DOWNLOAD_PATH + "          run-id: 123\n          github-token: ${{ github.token }}\n",
            1,
            "widen what is taken",
        ),
        (
            VERIFY_DIST,
            '      - name: peek\n        run: ls "$RUNNER_TEMP/repowarden-artifacts"\n'
            + VERIFY_DIST,
            1,
            "the next step must verify the artifact",
        ),
        ('args: "--operation release"', "args: --event-only", 1, "the next step must verify"),
        (
            "          path: ${{ runner.temp }}/repowarden-artifacts/\n",
            "          path: target/\n",
            1,
            "upload from under runner.temp only",
        ),
    ],
)
def test_artifact_poisoning_paths_are_caught(
    parsed: Parse, mutate: Mutate, old: str, new: str, count: int, message: str
) -> None:
    violations = artifacts.check(parsed(mutate(DISPATCH, old, new, count)))
    assert any(message in v.message for v in violations), violations


def test_an_upload_outside_the_unprivileged_job_is_caught(
    parsed: Parse, rendered: dict[str, str]
) -> None:
    text = rendered[DISPATCH]
    upload = text[text.index("      - name: Upload the result") : text.index("\n  announce:")]
    bad = text.replace(
        "      - name: Comment on the pull request that the operation started\n",
        upload.rstrip("\n")
        + "\n      - name: Comment on the pull request that the operation started\n",
    )
    messages = [v.message for v in artifacts.check(parsed({**rendered, DISPATCH: bad}))]
    assert any("only the unprivileged job uploads" in m for m in messages), messages
    assert any("more than one artifact upload" in m for m in messages), messages
