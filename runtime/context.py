"""What a runner tells a step through its environment, read in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import BadInput


@dataclass(frozen=True)
class RunContext:
    event_name: str
    event_path: Path
    repository: str
    workspace: Path
    run_id: str
    run_attempt: int
    run_number: int  # GITHUB_RUN_NUMBER: 1 for a workflow's first run, +1 each new run
    server_url: str
    step_summary: Path | None
    output: Path | None
    runner_temp: Path

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> RunContext:
        env = os.environ if environ is None else environ
        missing = [
            k
            for k in ("GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH", "GITHUB_REPOSITORY")
            if not env.get(k)
        ]
        if missing:
            raise BadInput(
                f"{', '.join(missing)} not set: this command runs inside a GitHub Actions job "
                "(or a test that sets the runner's environment)"
            )
        try:
            attempt = int(env.get("GITHUB_RUN_ATTEMPT", "1"))
        except ValueError:
            raise BadInput("GITHUB_RUN_ATTEMPT is not a number") from None
        try:
            run_number = int(env.get("GITHUB_RUN_NUMBER") or "0")
        except ValueError:
            raise BadInput("GITHUB_RUN_NUMBER is not a number") from None
        summary, output = env.get("GITHUB_STEP_SUMMARY"), env.get("GITHUB_OUTPUT")
        return cls(
            event_name=env["GITHUB_EVENT_NAME"],
            event_path=Path(env["GITHUB_EVENT_PATH"]),
            repository=env["GITHUB_REPOSITORY"],
            workspace=Path(env.get("GITHUB_WORKSPACE", ".")),
            run_id=env.get("GITHUB_RUN_ID", "0"),
            run_attempt=attempt,
            run_number=run_number,
            server_url=env.get("GITHUB_SERVER_URL", "https://github.com"),
            step_summary=Path(summary) if summary else None,
            output=Path(output) if output else None,
            runner_temp=Path(env.get("RUNNER_TEMP") or "/tmp"),  # noqa: S108 - runner default
        )

    @property
    def run_url(self) -> str:
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    def write_summary(self, markdown: str) -> None:
        if self.step_summary is not None:
            with self.step_summary.open("a", encoding="utf-8") as fh:
                fh.write(markdown.rstrip("\n") + "\n")

    def set_output(self, name: str, value: str) -> None:
        # Values are produced by the runtime itself and validated; never event text.
        if "\n" in value or "\n" in name:
            raise ValueError("step outputs are single-line")
        if self.output is not None:
            with self.output.open("a", encoding="utf-8") as fh:
                fh.write(f"{name}={value}\n")
