"""Quiet hours (pure): when a non-urgent message due now may be sent, in the desk's zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def parse_range(text: str) -> tuple[time, time]:
    """`"21:00-07:00"` → (21:00, 07:00); an end at or before the start crosses midnight."""
    start, end = text.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


def send_time(now: datetime, zone: ZoneInfo, quiet: tuple[time, time] | None) -> datetime:
    """`now`, or the end of the quiet period `now` falls in."""
    if quiet is None:
        return now
    start, end = quiet
    local = now.astimezone(zone)
    clock = local.time()
    crosses = end <= start
    inside = (clock >= start or clock < end) if crosses else (start <= clock < end)
    if not inside:
        return now
    day = local.date() + timedelta(days=1 if crosses and clock >= start else 0)
    return datetime.combine(day, end, tzinfo=zone)
