"""A desk's hours as plain values (weekly ranges, holidays) and the calendar built from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from scheduler.business_days import WEEKDAYS, Range, parse_range
from scheduler.business_hours import BusinessCalendar


@dataclass(frozen=True)
class OpenDate:
    """A date the desk opens although a holiday or closed weekday; no hours: its usual hours."""

    day: date
    hours: tuple[str, ...] = ()


@dataclass(frozen=True)
class HolidayRules:
    """Public holidays of a country (ISO code, optional subdivision) plus the desk's own dates."""

    country: str | None = None
    subdivision: str | None = None
    extra_closed: frozenset[date] = frozenset()
    extra_open: tuple[OpenDate, ...] = ()


@dataclass(frozen=True)
class WeeklySchedule:
    """An IANA time zone and "HH:MM-HH:MM" ranges per weekday ("mon".."sun"; missing: closed)."""

    timezone: str
    weekly: Mapping[str, Sequence[str]]
    holidays: HolidayRules = HolidayRules()


def parse_ranges(items: Sequence[str]) -> tuple[Range, ...]:
    return tuple(sorted(parse_range(item) for item in items))


def build_calendar(schedule: WeeklySchedule) -> BusinessCalendar:
    """Build the calendar once at start-up; it is immutable and safe to share.

    An extra open date without hours keeps its weekday's hours, or the first open weekday's
    when that weekday is closed."""
    weekly = tuple(parse_ranges(schedule.weekly.get(day, ())) for day in WEEKDAYS)
    fallback = next((ranges for ranges in weekly if ranges), ())
    rules = schedule.holidays
    extra_open = {entry.day: parse_ranges(entry.hours) or weekly[entry.day.weekday()] or fallback
                  for entry in rules.extra_open}
    return BusinessCalendar(
        zone=ZoneInfo(schedule.timezone), weekly=weekly, country=rules.country,
        subdivision=rules.subdivision, extra_closed=rules.extra_closed,
        extra_open=tuple(sorted(extra_open.items())))
