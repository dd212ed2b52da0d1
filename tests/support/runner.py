"""Run a runtime command the way a workflow step does: an event file, the runner's
environment, a token with chosen permissions, against the fake GitHub.

Event payloads are built from the fake's own state with its REST renderer (the
`pull_request` object of a webhook has the REST pull shape; review states are
spelled lower case in webhooks, as docs/github-facts.md notes).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from fake_github import FakeGitHub
from fake_github.client import call
from support.step import Outcome, run_step

CONFIG = """\
repository: {repo}
review:
  admins: [admin1, admin2]
  reviewers:
    alice: [bob, carol]
    "*": [admin1, admin2]
"""


class Runner:
    """One repository on the fake GitHub plus a runner-like environment for it."""

    _ids = itertools.count(1)

    def __init__(
        self,
        gh: FakeGitHub,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
        tmp_path: Path,
        repo: str = "o/r",
        config: str = "",
    ) -> None:
        self.gh, self.repo = gh, repo
        self._monkeypatch, self._capsys = monkeypatch, capsys
        self.dir = tmp_path / f"runner-{next(self._ids)}"
        self.dir.mkdir()
        if gh.state.repo(repo) is None:
            gh.add_repo(repo)
        for login in ("bob", "carol", "admin1", "admin2", "dave"):
            gh.add_collaborator(repo, login)
        self.config_path = self.dir / "repowarden.yml"
        self.set_config(config)

    def set_config(self, extra: str = "", *, reviewers: str = "") -> None:
        """The default config (map alice: [bob, carol], '*': [admin1, admin2]) plus `extra`
        lines under `review:`; `reviewers` replaces the map."""
        text = CONFIG.format(repo=self.repo)
        if reviewers:
            head, _, _ = text.partition("  reviewers:\n")
            text = (
                head
                + "  reviewers:\n"
                + "".join(f"    {line}\n" for line in reviewers.strip().splitlines())
            )
        text += "".join(f"  {line}\n" for line in extra.strip().splitlines() if line)
        self.config_path.write_text(text, encoding="utf-8")

    # -- payloads ---------------------------------------------------------------------

    def _common(self, sender: str) -> dict[str, Any]:
        repo = self.gh.state.repo(self.repo)
        assert repo is not None
        return {
            "repository": self.gh.render.repo(repo, full=True),
            "sender": self.gh.render.user(sender),
        }

    def pull_event(self, number: int, action: str = "opened", sender: str = "") -> dict[str, Any]:
        with self.gh.state.lock:
            pull = self.gh.pull(self.repo, number)
            payload = {
                "action": action,
                "number": number,
                "pull_request": self.gh.render.pull(pull, full=True),
                **self._common(sender or pull.author),
            }
        return payload

    def review_event(self, number: int, review_id: int) -> dict[str, Any]:
        with self.gh.state.lock:
            pull = self.gh.pull(self.repo, number)
            review = next(r for r in self.gh.reviews(self.repo, number) if r.id == review_id)
            body = self.gh.render.review(review)
            body["state"] = body["state"].lower()  # webhook spelling
            return {
                "action": "submitted",
                "review": body,
                "pull_request": self.gh.render.pull(pull),
                **self._common(review.user),
            }

    def merge_group_event(self, head_sha: str) -> dict[str, Any]:
        return {
            "action": "checks_requested",
            "merge_group": {
                "head_sha": head_sha,
                "head_ref": "refs/heads/gh-readonly-queue/main/pr-1-" + "0" * 40,
                "base_sha": "0" * 40,
                "base_ref": "refs/heads/main",
            },
            **self._common("alice"),
        }

    # -- people's actions -------------------------------------------------------------

    def update_branch(self, number: int, by: str = "admin1") -> str:
        """The base branch moves (a file outside the PR), then `by` clicks "Update
        branch" (PUT …/update-branch with their own token); returns the new head."""
        self.gh.commit(self.repo, {f"docs/base-{next(self._ids)}.md": "the base moved on\n"})
        self.gh.pull(self.repo, number).maintainer_can_modify = True
        token = self.gh.token({"pull-requests": "write"}, login=by)
        answer = call(
            self.gh, "PUT", f"/repos/{self.repo}/pulls/{number}/update-branch", token=token
        )
        assert answer.status == 202, answer.json
        return self.gh.pull(self.repo, number).head_sha

    # -- running ----------------------------------------------------------------------

    def run(
        self,
        command: str,
        event: str,
        payload: dict[str, Any] | None,
        *,
        token: str | None = None,
        permissions: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> Outcome:
        """`python -m repowarden.runtime COMMAND --config … ARGS` with the runner's env."""
        step = next(self._ids)
        if token is None:
            token = self.gh.token(permissions or {}, repo=self.repo)
        env = {
            "GITHUB_REPOSITORY": self.repo,
            "GITHUB_TOKEN": token,
            "GITHUB_RUN_ID": str(1000 + step),
            "RUNNER_TEMP": str(self.dir),
        }
        return run_step(
            self._monkeypatch,
            self._capsys,
            command,
            self.config_path,
            event_name=event,
            event=payload or {},
            directory=self.dir,
            step=step,
            env=env,
            args=args,
        )
