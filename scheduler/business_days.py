"""One local date of a business calendar: its hours, holidays and open spans in UTC microseconds."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")   # a weekly schedule's keys
RANGE_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)
US_PER_SECOND = 1_000_000
MIDNIGHT = time()

Range = tuple[int, int]  # minutes after the owning date's midnight: start < end (end may pass 1440)
Span = tuple[int, int]   # [start, end) in microseconds since the Unix epoch (UTC)


class DayPlan(NamedTuple):
    """The open spans inside one local day [start, end), merged, with their total length."""

    start: int
    end: int
    total: int
    spans: tuple[Span, ...]


def parse_range(text: str) -> Range:
    """"08:00-17:00" → (480, 1020); an end at or before the start is on the next day."""
    found = RANGE_RE.match(text)
    if found is None:
        raise ValueError(f"{text!r} is not a range like 08:00-17:00")
    sh, sm, eh, em = (int(part) for part in found.groups())
    start, end = sh * 60 + sm, eh * 60 + em
    return start, end if end > start else end + 1440


def to_us(t: datetime) -> int:
    """An aware datetime as exact microseconds since the epoch."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{t!r} is naive; business time needs timezone-aware datetimes")
    return (t - EPOCH) // ONE_US


def from_us(us: int, zone: ZoneInfo) -> datetime:
    return (EPOCH + timedelta(microseconds=us)).astimezone(zone)


def wall_to_us(zone: ZoneInfo, day: int, minutes: int) -> int:
    """Local wall time `minutes` after midnight of date ordinal `day`, as UTC microseconds.

    Ambiguous (repeated) times take the first occurrence; times inside a DST gap become the
    first valid instant after the gap."""
    wall = datetime.combine(date.fromordinal(day), MIDNIGHT) + timedelta(minutes=minutes)
    us = to_us(wall.replace(tzinfo=zone))
    if from_us(us, zone).replace(tzinfo=None) == wall:
        return us
    return gap_end(zone, us)


def gap_end(zone: ZoneInfo, after: int) -> int:
    """The transition instant at or before `after` (at most a day earlier): where a gap ends."""
    offset = from_us(after, zone).utcoffset()
    low, high = after // US_PER_SECOND - 86_400, after // US_PER_SECOND
    while high - low > 1:
        middle = (low + high) // 2
        if from_us(middle * US_PER_SECOND, zone).utcoffset() == offset:
            high = middle
        else:
            low = middle
    return high * US_PER_SECOND


@lru_cache(maxsize=256)
def holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Public holidays of one country (and subdivision) in one year."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def merge_spans(spans: list[Span], low: int, high: int) -> tuple[Span, ...]:
    """Clip to [low, high), drop empty spans, merge overlapping or touching ones."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        start, end = max(start, low), min(end, high)
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def to_time(minutes: int) -> time:
    """Minutes after midnight as a clock time; 24:00 and next-day ends wrap around."""
    return time((minutes // 60) % 24, minutes % 60)
