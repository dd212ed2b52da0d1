"""A thin, fail-closed client over ghapi's transport: retries, bounded time, Link pagination.

The HTTP stack is imported lazily: importing it costs a few hundred milliseconds,
and commands that never talk to GitHub (verify, explain --snapshot) should not pay it.
"""

from __future__ import annotations

import os
import socket
import sys
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from .errors import Exit, RepowardenError

DEFAULT_API_URL = "https://api.github.com"
MAX_PAGES = 1000  # every listing is bounded; 100 per page makes this 100,000 items


class GitHubError(RepowardenError):
    """A GitHub call failed for good. The message says which call and why."""

    exit_code = Exit.GITHUB

    def __init__(self, method: str, path: str, status: int | None, message: str) -> None:
        self.method, self.path, self.status, self.message = method, path, status, message
        code = f"HTTP {status}" if status is not None else "no answer"
        super().__init__(f"{method} {path} failed ({code}): {message}")


class PermissionDenied(GitHubError):
    """403 that is not a rate limit: the token lacks a permission this call needs."""


class NotFound(GitHubError):
    """404: no such resource, or one the token may not see (GitHub hides those as 404)."""


class Unprocessable(GitHubError):
    """422: GitHub understood the request and refused it (e.g. reviewer not a collaborator)."""


def api_url_from_env() -> str:
    """The REST API's base URL: GITHUB_API_URL (set on every runner, GHES included),
    else GH_HOST read as the `gh` CLI reads it, a hostname (GitHub Enterprise Server
    serves its API at https://HOST/api/v3), else api.github.com.

    A GH_HOST that already is a URL (ghapi's convention) is taken as the API URL.
    """
    explicit = os.environ.get("GITHUB_API_URL")
    if explicit:
        return explicit
    host = os.environ.get("GH_HOST", "").strip().rstrip("/")
    if not host:
        return DEFAULT_API_URL
    if "://" in host:
        return host
    if host.casefold() in ("github.com", "api.github.com"):
        return DEFAULT_API_URL
    return f"https://{host}/api/v3"


def token_from_env() -> str:
    """GITHUB_TOKEN (a workflow's), else GH_TOKEN (what the `gh` CLI reads)."""
    return os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN") or ""


def _cannot_heal(exc: BaseException) -> str | None:
    """Why a transport error will fail the same way on every retry, or None.

    A malformed or unsupported URL and a host name that does not resolve are
    configuration mistakes (GH_HOST, GITHUB_API_URL), not outages.
    """
    import httpx2

    if isinstance(exc, (httpx2.UnsupportedProtocol, httpx2.InvalidURL)):
        return "the API URL is not valid (check GH_HOST / GITHUB_API_URL)"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return "the API host name does not resolve (check GH_HOST / GITHUB_API_URL)"
        cause = cause.__cause__ or cause.__context__
    return None


def _next_link(header: str | None) -> str | None:
    for part in (header or "").split(","):
        url, _, params = part.partition(";")
        if 'rel="next"' in params.replace(" ", ""):
            return url.strip().strip("<>")
    return None


def _retry_after(headers: Any) -> float | None:
    value = headers.get("retry-after") if headers is not None else None
    if value is None:
        reset = headers.get("x-ratelimit-reset") if headers is not None else None
        remaining = headers.get("x-ratelimit-remaining") if headers is not None else None
        if reset is not None and remaining == "0":
            try:
                return max(0.0, float(reset) - time.time())
            except ValueError:
                return None
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class GitHub:
    """REST calls for one repository with a token from the environment.

    Transient failures (5xx, secondary rate limits, timeouts) are retried with
    exponential backoff, honouring Retry-After, within `budget` seconds in total.
    When the budget is spent the call raises GitHubError: callers fail closed.
    """

    def __init__(
        self,
        repository: str,
        *,
        token: str | None = None,
        api_url: str | None = None,
        budget: float | None = None,
        backoff: float | None = None,
        request_timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx2
        from fasttransport.core import SyncTransport  # lazy: see module docstring

        self.repository = repository
        self.owner, self.repo = repository.split("/", 1)
        self.api_url = (api_url or api_url_from_env()).rstrip("/")
        token = token if token is not None else token_from_env()
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # ghapi's transport (fasttransport, which ghapi's GhSyncTransport subclasses
        # only to decode bodies and log, both unused with raw=True), not a whole
        # GhApi(): the constructor generates ~1,200 endpoint objects (~0.2 s per job,
        # bench/README.md), and importing ghapi.core parses GitHub's OpenAPI metadata
        # and all of fastcore (~0.1 s more, bench/job_cost.py); this client calls
        # paths directly. One pooled connection for all calls: by default the
        # transport builds a new client per request, which reloads the CA bundle
        # (~30 ms) and opens a new TLS connection every time. Its own connect retries
        # are off: `_raw` retries within the budget.
        client = httpx2.Client(timeout=request_timeout, follow_redirects=True)
        self._transport = SyncTransport(
            timeout=request_timeout, base_headers=headers, client=client, retries=0
        )
        self._close = weakref.finalize(self, client.close)
        env_budget = os.environ.get("REPOWARDEN_RETRY_BUDGET")
        env_backoff = os.environ.get("REPOWARDEN_BACKOFF")
        self.budget = budget if budget is not None else float(env_budget or 120.0)
        self.backoff = backoff if backoff is not None else float(env_backoff or 1.0)
        self._sleep = sleep

    def close(self) -> None:
        self._close()

    def __enter__(self) -> GitHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- single calls -------------------------------------------------------

    def _raw(self, method: str, path: str, query: dict[str, Any] | None, data: Any) -> Any:
        import httpx2

        url = path if path.startswith(("http://", "https://")) else self.api_url + path
        if query:
            # ghapi passes params through to httpx; keep only set values.
            query = {k: v for k, v in query.items() if v is not None}
        deadline = time.monotonic() + self.budget
        attempt = 0
        shown = urlsplit(url).path
        while True:
            attempt += 1
            status: int | None = None
            try:
                response = self._transport.request(
                    method,
                    url,
                    params=query or None,
                    json=data if data is not None else None,
                    raw=True,
                )
                return response
            except httpx2.HTTPStatusError as exc:
                response = exc.response
                status = response.status_code
                message = _error_message(response)
                wait = _retry_after(response.headers)
                rate_limited = status == 429 or (
                    status == 403 and (wait is not None or "rate limit" in message.lower())
                )
                if not (status >= 500 or rate_limited):
                    raise _classify(method, shown, status, message) from None
            except (httpx2.TimeoutException, httpx2.TransportError, httpx2.InvalidURL) as exc:
                message, wait = f"{type(exc).__name__}: {exc}", None
                why = _cannot_heal(exc)
                if why is not None:
                    raise GitHubError(method, shown, None, f"{message}: {why}") from None
            delay = wait if wait is not None else self.backoff * 2 ** (attempt - 1)
            if time.monotonic() + delay > deadline:
                raise GitHubError(
                    method,
                    shown,
                    status,
                    f"{message} (gave up after {attempt} attempt(s) within the "
                    f"{self.budget:g}s retry budget)",
                ) from None
            # Said, not silent: offline, the budget is a long wait with nothing shown.
            code = f"HTTP {status}" if status is not None else message
            print(
                f"repowarden: {method} {shown} failed ({code}); retry {attempt} in {delay:.3g}s",
                file=sys.stderr,
            )
            self._sleep(delay)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        data: Any = None,
    ) -> Any:
        """One call; the decoded JSON body (None for 204)."""
        response = self._raw(method, path, query, data)
        if not response.content:
            return None
        return response.json()

    def get(self, path: str, **query: Any) -> Any:
        return self.request("GET", path, query=query or None)

    def paginate(self, path: str, *, key: str | None = None, **query: Any) -> Iterator[Any]:
        """Every item of a listing, following Link rel="next" (no trailing empty call).

        `key` names the list inside an object answer (e.g. "workflow_runs").
        An empty page ends the listing too, and so does MAX_PAGES.
        """
        query.setdefault("per_page", 100)
        url: str | None = path
        params: dict[str, Any] | None = query
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self._raw("GET", url, params, None)
            body = response.json() if response.content else []
            items = body.get(key, []) if key and isinstance(body, dict) else body
            if not items:
                return
            yield from items
            url, params = _next_link(response.headers.get("link")), None

    # -- conveniences for this repository ------------------------------------

    def repo_path(self, suffix: str = "") -> str:
        return f"/repos/{self.owner}/{self.repo}{suffix}"


def _error_message(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if isinstance(body, dict):
        message = str(body.get("message", ""))
        errors = body.get("errors")
        if errors:
            message += f" {errors}"
        return message or response.reason_phrase
    return str(body)[:300]


def _classify(method: str, path: str, status: int, message: str) -> GitHubError:
    if status == 403:
        return PermissionDenied(
            method,
            path,
            status,
            f"{message} — the token lacks a permission this call needs "
            "(check the job's `permissions:` block)",
        )
    if status == 404:
        return NotFound(method, path, status, message)
    if status == 422:
        return Unprocessable(method, path, status, message)
    return GitHubError(method, path, status, message)
