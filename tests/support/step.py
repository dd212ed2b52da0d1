"""One runtime step as a runner executes it: an event file, the runner's environment,
`python -m repowarden.runtime COMMAND --config …`, and what the step left behind.

Shared by support/runner.py (PR governance) and support/dispatch_pipeline.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from repowarden.runtime.__main__ import main


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str
    summary: str
    outputs: dict[str, str] = field(default_factory=dict)


def run_step(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    config: Path,
    *,
    event_name: str,
    event: dict[str, Any],
    directory: Path,
    step: int,
    env: dict[str, str],
    args: tuple[str, ...] = (),
) -> Outcome:
    """Run `command` in-process with a runner's environment; `env` adds or overrides."""
    event_path = directory / f"event-{step}.json"
    event_path.write_text(json.dumps(event), encoding="utf-8")
    summary, output = directory / f"summary-{step}.md", directory / f"output-{step}.txt"
    runner_env = {
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_SERVER_URL": "https://github.com",
        # Retries stay real but fast; a test of the budget sets its own.
        "REPOWARDEN_BACKOFF": "0.01",
        "REPOWARDEN_RETRY_BUDGET": "0.5",
        **env,
    }
    for key, value in runner_env.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    code = main([command, "--config", str(config), *args])
    out, err = capsys.readouterr()
    outputs = {}
    if output.exists():
        lines = output.read_text(encoding="utf-8").splitlines()
        outputs = dict(line.split("=", 1) for line in lines)
    text = summary.read_text(encoding="utf-8") if summary.exists() else ""
    return Outcome(code, out, err, text, outputs)
