"""Shared fixtures. The fake GitHub lives in tests/fake_github/ (see its README)."""
