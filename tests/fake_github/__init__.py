"""A stateful fake of GitHub's REST API for tests (see README.md)."""

from fake_github.server import Call, FakeGitHub

__all__ = ["Call", "FakeGitHub"]
