"""GitHub's REST rate limits: the primary hourly budgets and the secondary limits.

Every request is charged to a *principal*, the budget GitHub charges it to: a
repository's GITHUB_TOKEN (all jobs of one repository share it), an App
installation, a user, or the unauthenticated caller's IP address. Windows run on
the fake's clock (`state.clock`), so a simulated world spends its budgets in
simulated hours and minutes.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from fake_github.routes import Response
from fake_github.rules import rule
from fake_github.state import ACTIONS, INSTALLATION, State, Token

DOCS = "https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api"

PRIMARY = rule(
    "primary-rate-limit",
    "REST requests per hour: GITHUB_TOKEN 1,000 per repository (shared by every job), "
    "an App installation 5,000, a user 5,000, unauthenticated 60 per IP; past it every "
    "request is a 403 with x-ratelimit-remaining: 0 until x-ratelimit-reset.",
    f"{DOCS}#about-primary-rate-limits",
)
CONDITIONAL = rule(
    "conditional-requests-are-free",
    "A conditional request (If-None-Match with the ETag of the last answer) answered "
    "304 Not Modified does not count against the primary rate limit.",
    f"{DOCS}#use-conditional-requests-if-appropriate",
)
POINTS = rule(
    "secondary-limit-points-per-minute",
    "At most 900 points per minute of REST requests (GET, HEAD, OPTIONS 1 point; "
    "POST, PATCH, PUT, DELETE 5); past it a 403 naming the secondary rate limit, "
    "with retry-after.",
    f"{DOCS}#about-secondary-rate-limits",
)
CONTENT = rule(
    "secondary-limit-content-creation",
    "At most 80 content-creating requests per minute and 500 per hour; past it a 403 "
    "naming the secondary rate limit, with retry-after.",
    f"{DOCS}#about-secondary-rate-limits",
)
CONCURRENCY = rule(
    "secondary-limit-concurrent-requests",
    "At most 100 concurrent requests; the 101st is a 403 naming the secondary rate limit.",
    f"{DOCS}#about-secondary-rate-limits",
)

HOUR, MINUTE = 3600.0, 60.0
GITHUB_TOKEN_LIMIT = 1_000
INSTALLATION_LIMIT = 5_000  # the documented minimum; it grows only past 20 repos/users
USER_LIMIT = 5_000
ANONYMOUS_LIMIT = 60
POINTS_PER_MINUTE = 900
CONTENT_PER_MINUTE = 80
CONTENT_PER_HOUR = 500
MAX_CONCURRENT = 100
READS = {"GET", "HEAD", "OPTIONS"}

SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
    "again. If you reach out to GitHub Support for help, please include the request ID."
)

_REPO_PATH = re.compile(r"^/repos/([^/]+)/([^/]+)")


@dataclass(frozen=True)
class Principal:
    """Whose budget a request spends."""

    key: tuple[str, str]  # (kind, who): ("actions", "o/r"), ("user", "alice"), ...
    limit: int
    exceeded: str  # GitHub's message once the hour's budget is spent


def principal(state: State, token: Token | None, path: str) -> Principal:
    if token is None:
        return Principal(
            ("anonymous", "127.0.0.1"),
            ANONYMOUS_LIMIT,
            "API rate limit exceeded for 127.0.0.1. (But here's the good news: "
            "Authenticated requests get a higher rate limit. Check out the documentation "
            "for more details.)",
        )
    if token.kind == ACTIONS:
        # One budget per repository: the token's own, else the one it is calling.
        found = _REPO_PATH.match(path)
        if token.repos is not None and len(token.repos) == 1:
            repo = next(iter(token.repos))
        else:
            repo = f"{found.group(1)}/{found.group(2)}".lower() if found else "*"
        return Principal(
            (ACTIONS, repo),
            GITHUB_TOKEN_LIMIT,
            f"API rate limit exceeded for installation ID {_installation_id(repo)}.",
        )
    if token.kind == INSTALLATION:
        who = token.app if token.app != "github-actions" else token.login.lower()
        return Principal(
            (INSTALLATION, who),
            INSTALLATION_LIMIT,
            f"API rate limit exceeded for installation ID {_installation_id(who)}.",
        )
    user = state.user(token.login)
    return Principal(
        ("user", user.login.lower()),
        USER_LIMIT,
        f"API rate limit exceeded for user ID {user.id}.",
    )


def _installation_id(name: str) -> int:
    return 10_000_000 + zlib.crc32(name.encode()) % 10_000_000


@dataclass
class _Usage:
    window_start: float
    used: int = 0  # requests charged in the current primary window
    points: deque[tuple[float, int]] = field(default_factory=deque)  # (when, points)
    points_total: int = 0  # the sum over `points`, kept so a check costs O(1)
    writes: deque[float] = field(default_factory=deque)  # when, over the last hour
    in_flight: int = 0


class RateLimits:
    """The budgets of one fake GitHub. Call everything under `state.lock`."""

    def __init__(self, rules: Callable[[str], bool], now: Callable[[], float]) -> None:
        self._rules = rules
        self._now = now
        self._usage: dict[tuple[str, str], _Usage] = {}

    def _of(self, who: Principal) -> _Usage:
        now = self._now()
        usage = self._usage.get(who.key)
        if usage is None:
            usage = self._usage[who.key] = _Usage(now)
        elif now >= usage.window_start + HOUR:
            usage.window_start, usage.used = now, 0
        return usage

    # -- concurrency -------------------------------------------------------------

    def enter(self, who: Principal) -> Response | None:
        """A request starts; a refusal when it is one too many at once."""
        usage = self._of(who)
        usage.in_flight += 1
        if self._rules(CONCURRENCY) and usage.in_flight > MAX_CONCURRENT:
            return _secondary(retry_after=MINUTE)
        return None

    def leave(self, who: Principal) -> None:
        self._of(who).in_flight -= 1

    # -- the hour's budget and the minute's points -------------------------------------

    def refuse(self, who: Principal, method: str) -> Response | None:
        """GitHub's refusal when `who` may not make this request now, else None."""
        usage = self._of(who)
        now = self._now()
        if self._rules(PRIMARY) and usage.used >= who.limit:
            return Response(
                403,
                {"message": who.exceeded, "documentation_url": DOCS, "status": "403"},
                {"X-RateLimit-Remaining": "0"},
            )
        while usage.points and usage.points[0][0] <= now - MINUTE:
            usage.points_total -= usage.points.popleft()[1]
        while usage.writes and usage.writes[0] <= now - HOUR:
            usage.writes.popleft()
        cost = 1 if method in READS else 5
        if self._rules(POINTS) and usage.points_total + cost > POINTS_PER_MINUTE:
            return _secondary(_points_free_at(usage, cost) - now)
        if self._rules(CONTENT) and method not in READS:
            last_minute = [t for t in usage.writes if t > now - MINUTE]
            if len(last_minute) >= CONTENT_PER_MINUTE:
                return _secondary(last_minute[-CONTENT_PER_MINUTE] + MINUTE - now)
            if len(usage.writes) >= CONTENT_PER_HOUR:
                return _secondary(usage.writes[-CONTENT_PER_HOUR] + HOUR - now)
        return None

    def charge(self, who: Principal, method: str, *, admitted: bool, not_modified: bool) -> None:
        """Count a request that was answered. Secondary refusals still spend the hour's
        budget (GitHub does not say; the stricter reading); a 304 spends nothing."""
        usage = self._of(who)
        if not (not_modified and self._rules(CONDITIONAL)):
            usage.used += 1
        if admitted:
            now = self._now()
            cost = 1 if method in READS else 5
            usage.points.append((now, cost))
            usage.points_total += cost
            if method not in READS:
                # Which writes count as "content-creating" is undocumented: all of
                # them do here (the stricter reading).
                usage.writes.append(now)

    def exhausted(self, who: Principal) -> bool:
        usage = self._of(who)
        return self._rules(PRIMARY) and usage.used >= who.limit

    def headers(self, who: Principal) -> dict[str, str]:
        usage = self._of(who)
        return {
            "X-RateLimit-Limit": str(who.limit),
            "X-RateLimit-Remaining": str(max(0, who.limit - usage.used)),
            "X-RateLimit-Used": str(usage.used),
            "X-RateLimit-Reset": str(math.ceil(usage.window_start + HOUR)),
            "X-RateLimit-Resource": "core",
        }

    def used(self, who: Principal) -> int:
        return self._of(who).used


def _points_free_at(usage: _Usage, cost: int) -> float:
    """When enough of the minute's points have expired for a request costing `cost`."""
    spent = usage.points_total
    for when, p in usage.points:
        spent -= p
        if spent + cost <= POINTS_PER_MINUTE:
            return when + MINUTE
    return usage.points[-1][0] + MINUTE if usage.points else 0.0


def _secondary(retry_after: float) -> Response:
    return Response(
        403,
        {
            "message": SECONDARY_MESSAGE,
            "documentation_url": f"{DOCS}#about-secondary-rate-limits",
            "status": "403",
        },
        {"Retry-After": str(max(1, math.ceil(retry_after)))},
    )
