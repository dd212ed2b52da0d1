"""A tiny stdlib HTTP client for poking the fake directly (status, headers, JSON)."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from fake_github.server import FakeGitHub


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    json: Any

    def links(self) -> dict[str, str]:
        """The Link header as rel -> URL."""
        out = {}
        for part in self.headers.get("link", "").split(","):
            if not part.strip():
                continue
            url, _, rel = part.partition(";")
            out[rel.strip().removeprefix('rel="').removesuffix('"')] = url.strip().strip("<>")
        return out


def call(
    gh: FakeGitHub,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    query: dict[str, Any] | None = None,
    timeout: float = 10.0,
) -> Answer:
    """One request; `path` may be absolute (e.g. a Link URL)."""
    split = urlsplit(path if path.startswith("http") else gh.url + path)
    target = split.path + (f"?{split.query}" if split.query else "")
    if query:
        target += ("&" if split.query else "?") + urlencode(query)
    headers = {"Accept": "application/vnd.github+json"}
    if token is not None:
        headers["Authorization"] = f"token {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection(split.hostname or "127.0.0.1", split.port, timeout=timeout)
    try:
        conn.request(method, target, body=payload, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        return Answer(
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            json.loads(raw) if raw else None,
        )
    finally:
        conn.close()
