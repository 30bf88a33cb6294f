"""Business calendar examples: Bogotá hours, holidays, lunch breaks, midnight, Santiago DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from bot.config.root import BusinessHoursConfig, ExtraOpenDay, HolidaysConfig
from bot.config.scheduling import calendar_from_config
from scheduler.business_hours import (
    add_business_time,
    business_minutes_between,
    describe_week,
    is_open,
    next_closing,
    next_opening,
    open_intervals,
)

BOGOTA = ZoneInfo("America/Bogota")
SANTIAGO = ZoneInfo("America/Santiago")
DESK = calendar_from_config(BusinessHoursConfig())  # Mon–Thu 08–17, Fri 08–14, CO holidays
EVERY_DAY = {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def bogota(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BOGOTA)


def santiago(*parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=SANTIAGO, fold=fold)


def calendar(weekly: dict[str, list[str]], zone: str = "America/Bogota", **holiday_options):
    options = {"country": "CO", **holiday_options}
    return calendar_from_config(BusinessHoursConfig(
        timezone=zone, weekly=weekly, holidays=HolidaysConfig(**options)))


def test_friday_afternoon_ticket_is_due_monday_morning() -> None:
    assert date(2026, 2, 9) not in holidays.CO(years=2026)
    assert add_business_time(DESK, bogota(2026, 2, 6, 13, 55), 120) == bogota(2026, 2, 9, 9, 55)


def test_a_holiday_monday_moves_the_due_time_to_tuesday() -> None:
    assert date(2026, 3, 23) in holidays.CO(years=2026)  # San José, observed on Monday
    assert add_business_time(DESK, bogota(2026, 3, 20, 13, 55), 120) == bogota(2026, 3, 24, 9, 55)


def test_saturday_night_is_closed_until_monday() -> None:
    saturday = bogota(2026, 2, 7, 3, 0)
    assert not is_open(DESK, saturday)
    assert next_opening(DESK, saturday) == bogota(2026, 2, 9, 8, 0)
    assert next_closing(DESK, saturday) == bogota(2026, 2, 9, 17, 0)


def test_saturday_before_a_holiday_monday_opens_on_tuesday() -> None:
    assert next_opening(DESK, bogota(2026, 3, 21, 3, 0)) == bogota(2026, 3, 24, 8, 0)


def test_ranges_are_half_open() -> None:
    assert not is_open(DESK, bogota(2026, 2, 9, 7, 59, 59, 999999))
    assert is_open(DESK, bogota(2026, 2, 9, 8, 0))
    assert is_open(DESK, bogota(2026, 2, 9, 16, 59, 59))
    assert not is_open(DESK, bogota(2026, 2, 9, 17, 0))
    assert not is_open(DESK, bogota(2026, 2, 13, 14, 0))  # Friday closes at 14:00


def test_open_now_next_opening_is_after_the_current_interval() -> None:
    monday = bogota(2026, 2, 9, 10, 0)
    assert next_closing(DESK, monday) == bogota(2026, 2, 9, 17, 0)
    assert next_opening(DESK, monday) == bogota(2026, 2, 10, 8, 0)


def test_results_come_back_in_the_calendar_zone() -> None:
    due = add_business_time(DESK, datetime(2026, 2, 6, 18, 55, tzinfo=UTC), 120)
    assert due.tzinfo == BOGOTA and due == bogota(2026, 2, 9, 9, 55)
    opening = next_opening(DESK, datetime(2026, 2, 7, 8, tzinfo=UTC))
    assert opening is not None and opening.utcoffset() == timedelta(hours=-5)


def test_zero_minutes_while_closed_is_the_next_opening() -> None:
    assert add_business_time(DESK, bogota(2026, 2, 7, 3, 0), 0) == bogota(2026, 2, 9, 8, 0)
    assert add_business_time(DESK, bogota(2026, 2, 9, 9, 0), 0) == bogota(2026, 2, 9, 9, 0)


def test_a_due_time_may_land_exactly_on_closing_time() -> None:
    assert add_business_time(DESK, bogota(2026, 2, 13, 13, 0), 60) == bogota(2026, 2, 13, 14, 0)


def test_large_amounts_span_weeks_and_holidays() -> None:
    week = 4 * 9 * 60 + 6 * 60
    assert add_business_time(DESK, bogota(2026, 2, 9, 8, 0), 3 * week) == bogota(2026, 2, 27, 14, 0)
    start, end = bogota(2026, 3, 16, 8, 0), bogota(2026, 3, 30, 8, 0)
    assert business_minutes_between(DESK, start, end) == 2 * week - 9 * 60  # 23 March is a holiday


def test_business_minutes_are_negative_backwards() -> None:
    a, b = bogota(2026, 2, 6, 13, 0), bogota(2026, 2, 9, 9, 0)
    assert business_minutes_between(DESK, a, b) == 120
    assert business_minutes_between(DESK, b, a) == -120
    assert business_minutes_between(DESK, a, a) == 0


def test_open_intervals_are_clipped_to_the_window() -> None:
    found = list(open_intervals(DESK, bogota(2026, 2, 6, 12, 0), bogota(2026, 2, 9, 10, 0)))
    assert found == [(bogota(2026, 2, 6, 12, 0), bogota(2026, 2, 6, 14, 0)),
                     (bogota(2026, 2, 9, 8, 0), bogota(2026, 2, 9, 10, 0))]


def test_lunch_break_is_closed_time() -> None:
    cal = calendar({"mon": ["08:00-12:00", "14:00-18:00"]})
    assert not is_open(cal, bogota(2026, 2, 9, 13, 0))
    assert next_closing(cal, bogota(2026, 2, 9, 9, 0)) == bogota(2026, 2, 9, 12, 0)
    assert next_opening(cal, bogota(2026, 2, 9, 9, 0)) == bogota(2026, 2, 9, 14, 0)
    assert add_business_time(cal, bogota(2026, 2, 9, 11, 30), 60) == bogota(2026, 2, 9, 14, 30)
    assert business_minutes_between(cal, bogota(2026, 2, 9), bogota(2026, 2, 10)) == 8 * 60


def test_a_range_crossing_midnight_belongs_to_the_day_it_starts() -> None:
    cal = calendar({"fri": ["22:00-02:00"]})
    assert is_open(cal, bogota(2026, 7, 31, 23, 0)) and is_open(cal, bogota(2026, 8, 1, 1, 59))
    assert not is_open(cal, bogota(2026, 8, 1, 2, 0))
    assert add_business_time(cal, bogota(2026, 7, 31, 21, 0), 150) == bogota(2026, 8, 1, 0, 30)
    assert not is_open(cal, bogota(2026, 8, 8, 1, 0))  # Friday 7 August is a holiday


def test_a_range_spilling_into_a_holiday_stays_open() -> None:
    cal = calendar({"thu": ["22:00-02:00"]})
    assert is_open(cal, bogota(2026, 8, 7, 1, 0))


def test_touching_ranges_across_midnight_are_one_interval() -> None:
    cal = calendar({"fri": ["22:00-02:00"], "sat": ["01:00-03:00"], "mon": ["20:00-24:00"],
                    "tue": ["00:00-04:00"]}, country=None)  # 7 August is a holiday in CO
    assert next_closing(cal, bogota(2026, 7, 31, 23, 0)) == bogota(2026, 8, 1, 3, 0)
    assert next_closing(cal, bogota(2026, 8, 3, 21, 0)) == bogota(2026, 8, 4, 4, 0)
    assert next_opening(cal, bogota(2026, 8, 3, 21, 0)) == bogota(2026, 8, 7, 22, 0)
    friday = list(open_intervals(cal, bogota(2026, 7, 31), bogota(2026, 8, 2)))
    assert friday == [(bogota(2026, 7, 31, 22, 0), bogota(2026, 8, 1, 3, 0))]


def test_extra_open_plain_date_borrows_the_first_weekday_with_hours() -> None:
    cal = calendar(DESK_WEEK, extra_open=[date(2026, 2, 7), date(2026, 3, 23)])
    assert is_open(cal, bogota(2026, 2, 7, 16, 0))  # a Saturday, with Monday's 08–17
    assert not is_open(cal, bogota(2026, 2, 7, 17, 0))
    assert is_open(cal, bogota(2026, 3, 23, 16, 0))  # a holiday Monday, its normal hours


def test_extra_open_with_hours_and_without() -> None:
    cal = calendar(DESK_WEEK, extra_open=[
        ExtraOpenDay(date=date(2026, 2, 8), hours=["09:00-12:00"]),
        ExtraOpenDay(date=date(2026, 3, 23), hours=[])])
    assert next_opening(cal, bogota(2026, 2, 7, 15, 0)) == bogota(2026, 2, 8, 9, 0)
    assert next_closing(cal, bogota(2026, 2, 8, 10, 0)) == bogota(2026, 2, 8, 12, 0)
    assert is_open(cal, bogota(2026, 3, 23, 16, 0))


def test_extra_closed_and_extra_open_wins() -> None:
    closed = calendar(DESK_WEEK, extra_closed=[date(2026, 2, 10)])
    assert not is_open(closed, bogota(2026, 2, 10, 9, 0))
    assert next_opening(closed, bogota(2026, 2, 9, 18, 0)) == bogota(2026, 2, 11, 8, 0)
    both = calendar(DESK_WEEK, extra_closed=[date(2026, 2, 10)], extra_open=[date(2026, 2, 10)])
    assert is_open(both, bogota(2026, 2, 10, 9, 0))


def test_without_country_holidays_are_working_days() -> None:
    cal = calendar(DESK_WEEK, country=None)
    assert is_open(cal, bogota(2026, 3, 23, 9, 0))


def test_subdivision_holidays() -> None:
    arica = calendar(EVERY_DAY, "America/Santiago", country="CL", subdivision="AP")
    capital = calendar(EVERY_DAY, "America/Santiago", country="CL", subdivision="RM")
    assert not is_open(arica, santiago(2026, 6, 7, 10, 0))  # Asalto y Toma del Morro de Arica
    assert is_open(capital, santiago(2026, 6, 7, 10, 0))


def test_santiago_fall_back_night_counts_the_repeated_hour() -> None:
    cal = calendar({"sat": ["20:00-02:00"]}, "America/Santiago", country=None)  # CL: Holy Sat.
    start, end = santiago(2026, 4, 4, 19, 0), santiago(2026, 4, 5, 3, 0)
    assert business_minutes_between(cal, start, end) == 7 * 60  # 20:00 −03 → 02:00 −04
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=9)
    assert is_open(cal, santiago(2026, 4, 4, 23, 30, fold=1))
    assert add_business_time(cal, start, 7 * 60) == santiago(2026, 4, 5, 2, 0)


def test_santiago_spring_forward_night_loses_an_hour() -> None:
    cal = calendar({"sat": ["20:00-02:00"]}, "America/Santiago", country="CL")
    start, end = santiago(2026, 9, 5, 19, 0), santiago(2026, 9, 6, 3, 0)
    assert business_minutes_between(cal, start, end) == 5 * 60  # 20:00 −04 → 02:00 −03
    assert add_business_time(cal, start, 5 * 60) == santiago(2026, 9, 6, 2, 0)


def test_a_range_starting_in_the_dst_gap_starts_when_the_gap_ends() -> None:
    cal = calendar({"sun": ["00:30-03:00"]}, "America/Santiago", country="CL")
    opening = next_opening(cal, santiago(2026, 9, 5, 21, 0))
    assert opening == santiago(2026, 9, 6, 1, 0)
    assert opening.utcoffset() == timedelta(hours=-3)
    assert business_minutes_between(cal, santiago(2026, 9, 5), santiago(2026, 9, 7)) == 120


def test_an_ambiguous_start_takes_the_first_occurrence() -> None:
    cal = calendar({"sat": ["23:30-00:30"]}, "America/Santiago", country=None)
    opening = next_opening(cal, santiago(2026, 4, 4, 12, 0))
    assert opening == santiago(2026, 4, 4, 23, 30) and opening.utcoffset() == timedelta(hours=-3)
    assert business_minutes_between(cal, santiago(2026, 4, 4), santiago(2026, 4, 6)) == 120


def test_santiago_weekday_sla_across_the_dst_weekend() -> None:
    cal = calendar({day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
                   "America/Santiago", country="CL")
    due = add_business_time(cal, santiago(2026, 4, 3, 17, 0), 120)  # 3 April: Good Friday
    assert due == santiago(2026, 4, 6, 11, 0) and due.utcoffset() == timedelta(hours=-4)


def test_describe_week_groups_consecutive_days() -> None:
    assert describe_week(DESK) == [((0, 1, 2, 3), ((time(8), time(17)),)),
                                   ((4,), ((time(8), time(14)),))]
    cal = calendar({"mon": ["14:00-18:00", "08:00-12:00"], "tue": ["08:00-12:00", "14:00-18:00"],
                    "thu": ["08:00-12:00", "14:00-18:00"], "sat": ["20:00-24:00"]})
    lunch = ((time(8), time(12)), (time(14), time(18)))
    assert describe_week(cal) == [((0, 1), lunch), ((3,), lunch), ((5,), ((time(20), time(0)),))]


def test_a_calendar_that_never_opens() -> None:
    cal = calendar({})
    moment = bogota(2026, 2, 9, 9, 0)
    assert not is_open(cal, moment)
    assert next_opening(cal, moment) is None and next_closing(cal, moment) is None
    assert business_minutes_between(cal, moment, moment + timedelta(days=30)) == 0
    with pytest.raises(ValueError, match="no open time"):
        add_business_time(cal, moment, 1)


def test_a_calendar_that_never_closes() -> None:
    cal = calendar({day: ["00:00-24:00"] for day in EVERY_DAY}, country=None)
    moment = bogota(2026, 2, 9, 9, 0)
    assert next_closing(cal, moment) is None and next_opening(cal, moment) is None
    assert add_business_time(cal, moment, 3 * 24 * 60 + 1) == moment + timedelta(days=3, minutes=1)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        is_open(DESK, datetime(2026, 2, 9, 9, 0))
    with pytest.raises(ValueError, match=">= 0"):
        add_business_time(DESK, bogota(2026, 2, 9, 9, 0), -1)


def test_calendars_are_immutable_values() -> None:
    again = calendar_from_config(BusinessHoursConfig())
    assert again == DESK and hash(again) == hash(DESK)
    assert {DESK: 1}[again] == 1
    with pytest.raises(AttributeError):
        DESK.country = "VE"  # type: ignore[misc]


DESK_WEEK = BusinessHoursConfig().weekly
