"""App installation tokens: what is asked for, never more than the App has."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_github.server import FakeGitHub

from world.principals import App, app_token, person_permissions


def test_app_tokens_hold_what_is_asked_within_the_apps_permissions(tmp_path: Path) -> None:
    gh = FakeGitHub(tmp_path)
    # Tokens are minted by the fake GitHub for an App registered there, as GitHub does.
    registered = gh.add_app(
        "gate",
        id=42,
        client_id="Iv23li0000000042",
        permissions={"checks": "write", "contents": "read"},
    )
    app = App(registered.slug, registered.id, registered.client_id, dict(registered.permissions))
    token = app_token(gh, app, {"checks": "write"}, repo="o/r")
    stored = gh.state.tokens[token]
    assert (stored.permissions, stored.login, stored.app) == (
        {"checks": "write"},
        "gate[bot]",
        "gate",
    )
    assert stored.repos == frozenset({"o/r"})
    assert gh.state.tokens[app_token(gh, app)].permissions == app.permissions
    with pytest.raises(PermissionError, match="contents: write"):
        app_token(gh, app, {"contents": "write"})
    with pytest.raises(PermissionError, match="statuses"):
        app_token(gh, app, {"statuses": "write"})


def test_a_persons_token_follows_their_role() -> None:
    assert person_permissions(None)["contents"] == "read"
    assert "statuses" not in person_permissions("triage")
    assert person_permissions("write")["statuses"] == "write"
    assert person_permissions("admin") == person_permissions("write")
