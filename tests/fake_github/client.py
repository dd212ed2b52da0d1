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
    headers: dict[str, str] | None = None,
) -> Answer:
    """One request; `path` may be absolute (e.g. a Link URL); `headers` adds to the
    usual ones (e.g. If-None-Match)."""
    split = urlsplit(path if path.startswith("http") else gh.url + path)
    target = split.path + (f"?{split.query}" if split.query else "")
    if query:
        target += ("&" if split.query else "?") + urlencode(query)
    sent = {"Accept": "application/vnd.github+json", **(headers or {})}
    if token is not None:
        sent["Authorization"] = f"token {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection(split.hostname or "127.0.0.1", split.port, timeout=timeout)
    try:
        conn.request(method, target, body=payload, headers=sent)
        response = conn.getresponse()
        raw = response.read()
        return Answer(
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            json.loads(raw) if raw else None,
        )
    finally:
        conn.close()


def burst(
    gh: FakeGitHub, method: str, path: str, times: int, *, token: str | None, body: Any = None
) -> list[int]:
    """`times` identical requests over one keep-alive connection; their statuses.

    For spending rate limits quickly (a thousand calls take a fraction of a second).
    """
    split = urlsplit(gh.url)
    sent = {"Accept": "application/vnd.github+json"}
    if token is not None:
        sent["Authorization"] = f"token {token}"
    payload = None if body is None else json.dumps(body).encode()
    if payload is not None:
        sent["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection(split.hostname or "127.0.0.1", split.port, timeout=10)
    statuses = []
    try:
        for _ in range(times):
            conn.request(method, path, body=payload, headers=sent)
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        conn.close()
    return statuses
