"""When `schedule:` triggers fire: GitHub's cron, late under load, sometimes not at all."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]


def _field(spec: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in spec.split(","):
        base, _, step = part.partition("/")
        if base == "*":
            start, stop = low, high
        elif "-" in base:
            start, stop = (int(x) for x in base.split("-", 1))
        else:
            start = stop = int(base)
            if step:
                stop = high
        values.update(range(start, stop + 1, int(step or 1)))
    return values


def cron_matches(cron: str, epoch: float) -> bool:
    """POSIX cron as GitHub reads it (UTC; day-of-month and day-of-week OR-ed when both set)."""
    fields = cron.split()
    if len(fields) != 5:
        raise ValueError(f"{cron!r} is not a five-field cron")
    when = datetime.fromtimestamp(epoch, UTC)
    minute, hour, dom, month, dow = (
        _field(f, lo, hi) for f, (lo, hi) in zip(fields, _RANGES, strict=True)
    )
    weekday = (when.weekday() + 1) % 7  # cron: Sunday is 0
    day_ok = (
        (when.day in dom or weekday in dow)
        if fields[2] != "*" and fields[4] != "*"
        else when.day in dom and weekday in dow
    )
    return when.minute in minute and when.hour in hour and when.month in month and day_ok


@dataclass
class ScheduleModel:
    """How late a scheduled run starts, or whether it is dropped (seeded, reproducible).

    GitHub says only that schedules "can be delayed during periods of high loads", worst
    "at the start of every hour", and that "some queued jobs may be dropped". The
    numbers are ours: at :00 and :30, 5-20 minutes late and one in five dropped;
    otherwise up to 3 minutes late and one in fifty dropped.
    """

    delay: tuple[float, float] = (0.0, 180.0)
    busy_delay: tuple[float, float] = (300.0, 1200.0)
    drop: float = 0.02
    busy_drop: float = 0.2
    seed: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def fires_at(self, due: float) -> float | None:
        """When a run due at `due` starts, or None when it is dropped."""
        busy = datetime.fromtimestamp(due, UTC).minute % 30 == 0
        if self._rng.random() < (self.busy_drop if busy else self.drop):
            return None
        low, high = self.busy_delay if busy else self.delay
        return due + self._rng.uniform(low, high)


PUNCTUAL = ScheduleModel(delay=(0.0, 0.0), busy_delay=(0.0, 0.0), drop=0.0, busy_drop=0.0)
