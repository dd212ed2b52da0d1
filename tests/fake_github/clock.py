"""Where the fake GitHub's "now" comes from: the wall clock, or simulated time.

Timestamps the fake writes (reviews, statuses, runs, commits) and any time window it
enforces (rate limits) read `state.clock.now()`. The simulated world passes a
`SimulatedClock` so that scenarios move time explicitly and measure waits in
simulated minutes.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class WallClock:
    def now(self) -> float:
        return time.time()


class SimulatedClock:
    """Time that moves only when told to, so runs and waits are measured, not slept."""

    # 2026-06-01T00:00:00Z: a fixed start keeps logs and timestamps reproducible.
    START = 1_780_272_000.0

    def __init__(self, start: float = START) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("time does not run backwards")
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, epoch: float) -> None:
        with self._lock:
            if epoch < self._now:
                raise ValueError("time does not run backwards")
            self._now = epoch
