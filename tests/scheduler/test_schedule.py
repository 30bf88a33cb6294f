"""A calendar built from plain values (no config model): weekly ranges, holidays, exceptions."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import holidays

from scheduler.business_hours import is_open, open_intervals
from scheduler.schedule import HolidayRules, OpenDate, WeeklySchedule, build_calendar
from scheduler.sla import (
    LadderRung,
    PriorityMinutes,
    SlaRules,
    SlaTiers,
    first_response_due,
    ladder_due,
    ladder_step,
    sla_clock,
)

BOGOTA = ZoneInfo("America/Bogota")
WEEK = {"mon": ("08:00-12:00", "14:00-18:00"), "tue": ("09:00-17:00",)}
RULES = HolidayRules(country="CO", extra_closed=frozenset({date(2026, 2, 10)}),
                     extra_open=(OpenDate(date(2026, 2, 8)),
                                 OpenDate(date(2026, 2, 14), ("10:00-11:00",))))
CALENDAR = build_calendar(WeeklySchedule("America/Bogota", WEEK, RULES))


def bogota(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BOGOTA)


def hours_on(day: date) -> list[tuple[str, str]]:
    start = bogota(day.year, day.month, day.day)
    spans = open_intervals(CALENDAR, start, start.replace(hour=23, minute=59))
    return [(a.strftime("%H:%M"), b.strftime("%H:%M")) for a, b in spans]


def test_weekly_ranges_holidays_and_exceptions_from_plain_values() -> None:
    assert date(2026, 2, 9).weekday() == 0 and date(2026, 2, 9) not in holidays.CO(years=2026)
    assert hours_on(date(2026, 2, 9)) == [("08:00", "12:00"), ("14:00", "18:00")]
    assert hours_on(date(2026, 2, 10)) == []                  # a Tuesday the desk closes
    assert hours_on(date(2026, 2, 8)) == hours_on(date(2026, 2, 9))  # Sunday: Monday's hours
    assert hours_on(date(2026, 2, 14)) == [("10:00", "11:00")]       # Saturday: its own hours
    assert date(2026, 3, 23) in holidays.CO(years=2026)
    assert not is_open(CALENDAR, bogota(2026, 3, 23, 10, 0))  # a Monday holiday


def test_sla_arithmetic_takes_plain_tables_and_ladder() -> None:
    table = PriorityMinutes(critical=10, high=60, medium=120, low=600)
    rules = SlaRules(first_response=SlaTiers(regular=table, vip=table),
                     resolution=SlaTiers(regular=table, vip=table))
    clock = sla_clock(CALENDAR, rules, vip=False, priority="high", category=None)
    assert clock.business
    assert first_response_due(clock, rules, bogota(2026, 2, 9, 11, 30), False,
                              "high") == bogota(2026, 2, 9, 14, 30)  # the lunch break is closed
    round_the_clock = sla_clock(CALENDAR, rules, vip=True, priority="critical", category=None)
    assert round_the_clock.business is False
    ladder = (LadderRung("low", "medium", 30, "wall"), LadderRung("medium", "high", 60))
    step = ladder_step(ladder, "medium")
    assert step == ladder[1] and ladder_step(ladder, "critical") is None
    assert ladder_due(CALENDAR, step, bogota(2026, 2, 9, 11, 30)) == bogota(2026, 2, 9, 14, 30)
    assert ladder_due(CALENDAR, ladder[0], bogota(2026, 2, 9, 11, 50)) == bogota(2026, 2, 9, 12, 20)
