"""Cron matching as GitHub reads it, and the seeded delay model."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from world.schedule import PUNCTUAL, ScheduleModel, cron_matches


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("cron", "when", "expected"),
    [
        ("0,30 * * * *", "2026-06-01T10:30:00", True),
        ("0,30 * * * *", "2026-06-01T10:31:00", False),
        ("*/15 9-17 * * 1-5", "2026-06-01T09:45:00", True),  # a Monday
        ("*/15 9-17 * * 1-5", "2026-06-06T09:45:00", False),  # a Saturday
        ("7 3 1 * 0", "2026-06-07T03:07:00", True),  # Sunday: day-of-month OR day-of-week
        ("7 3 1 * *", "2026-06-07T03:07:00", False),
    ],
)
def test_cron_matches(cron: str, when: str, expected: bool) -> None:
    assert cron_matches(cron, at(when)) is expected


def test_cron_needs_five_fields() -> None:
    with pytest.raises(ValueError, match="five-field"):
        cron_matches("* * *", 0)


def test_delays_are_worst_at_the_top_and_half_of_the_hour_and_reproducible() -> None:
    busy, quiet = at("2026-06-01T10:30:00"), at("2026-06-01T10:07:00")
    model = ScheduleModel(seed=3)
    busy_starts = [model.fires_at(busy) for _ in range(500)]
    quiet_starts = [model.fires_at(quiet) for _ in range(500)]
    busy_dropped = busy_starts.count(None)
    assert busy_dropped > quiet_starts.count(None)
    assert min(s - busy for s in busy_starts if s is not None) >= 300
    assert max(s - quiet for s in quiet_starts if s is not None) <= 180
    assert ScheduleModel(seed=3).fires_at(busy) == ScheduleModel(seed=3).fires_at(busy)
    assert PUNCTUAL.fires_at(busy) == busy
