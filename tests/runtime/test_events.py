"""Every real payload parses; anything else is refused with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from repowarden.runtime import events
from repowarden.runtime.context import RunContext
from repowarden.runtime.errors import BadInput

WEBHOOKS = Path(__file__).parent / "data" / "webhooks"
PAYLOADS = sorted(WEBHOOKS.glob("*/*.json"))


def _ctx(tmp_path: Path, name: str, text: str) -> RunContext:
    path = tmp_path / "event.json"
    path.write_text(text, encoding="utf-8")
    return RunContext.from_env(
        {"GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": str(path), "GITHUB_REPOSITORY": "o/r"}
    )


def test_every_event_the_runtime_reads_has_examples() -> None:
    found = {p.parent.name for p in PAYLOADS}
    assert found == set(events.MODELS) - {"pull_request_target"}
    assert len(PAYLOADS) == 59  # 29 + 4 + 2 + 9 + 5 + 8 + 2, as docs/github-facts.md counts them


@pytest.mark.parametrize("path", PAYLOADS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_real_payload_parses(path: Path, tmp_path: Path) -> None:
    name = path.parent.name
    data = json.loads(path.read_text(encoding="utf-8"))
    event = events.load_event(_ctx(tmp_path, name, path.read_text(encoding="utf-8")), name)
    assert isinstance(event, events.MODELS[name])
    assert event.repository.full_name == data["repository"]["full_name"]
    if isinstance(event, events.PullRequestEvent | events.PullRequestReviewEvent):
        pr = data["pull_request"]
        assert event.pull_request.number == pr["number"]
        assert event.pull_request.head.sha == pr["head"]["sha"]
        assert event.pull_request.user.login == pr["user"]["login"]
        assert event.pull_request.label_names == [label["name"] for label in pr["labels"]]


def test_pull_request_target_reads_the_pull_request_payload(tmp_path: Path) -> None:
    text = (WEBHOOKS / "pull_request" / "00-opened.json").read_text(encoding="utf-8")
    event = events.load_event(_ctx(tmp_path, "pull_request_target", text), "pull_request_target")
    assert isinstance(event, events.PullRequestEvent)
    assert (event.action, event.number, event.pull_request.from_fork) == ("opened", 2, False)


def test_review_states_keep_webhook_spelling(tmp_path: Path) -> None:
    text = (WEBHOOKS / "pull_request_review" / "01-dismissed.json").read_text(encoding="utf-8")
    event = events.load_event(_ctx(tmp_path, "pull_request_review", text))
    assert isinstance(event, events.PullRequestReviewEvent)
    assert event.review.state == "dismissed"


def test_job_triggered_by_another_event_is_refused(tmp_path: Path) -> None:
    text = (WEBHOOKS / "pull_request" / "00-opened.json").read_text(encoding="utf-8")
    with pytest.raises(BadInput, match=r"runs on pull_request_target.*'push'"):
        events.load_event(_ctx(tmp_path, "push", text), "pull_request_target")


def test_payload_of_another_event_is_refused(tmp_path: Path) -> None:
    # The name says review, the file holds a pull_request payload: no `review` in it.
    text = (WEBHOOKS / "pull_request" / "00-opened.json").read_text(encoding="utf-8")
    with pytest.raises(BadInput, match=r"is not a pull_request_review payload: review: Field"):
        events.load_event(_ctx(tmp_path, "pull_request_review", text), "pull_request_review")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"action": "opened", ', r"is not JSON: Expecting .* \(line 1, column 22\)"),
        ("[1, 2]", r"a pull_request payload is a JSON object, got list"),
        ('{"action": "opened"}', r"not a pull_request payload: number: Field required"),
    ],
)
def test_broken_payload_is_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        events.load_event(_ctx(tmp_path, "pull_request", text), "pull_request")


def test_missing_payload_file_is_refused(tmp_path: Path) -> None:
    ctx = RunContext.from_env(
        {
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(tmp_path / "absent.json"),
            "GITHUB_REPOSITORY": "o/r",
        }
    )
    with pytest.raises(BadInput, match=r"cannot read the event payload .*absent\.json"):
        events.load_event(ctx, "pull_request")


def test_unknown_event_is_refused() -> None:
    with pytest.raises(BadInput, match=r"does not handle 'push' events"):
        events.parse_event("push", {})
