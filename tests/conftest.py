"""Shared fixtures. The fake GitHub lives in tests/fake_github/ (see its README)."""

pytest_plugins = ["fake_github.fixtures"]
