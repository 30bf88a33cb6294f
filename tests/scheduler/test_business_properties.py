"""Business calendar properties (hypothesis): round trips, open results, monotony, additivity."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config.root import BusinessHoursConfig, ExtraOpenDay, HolidaysConfig
from bot.config.scheduling import calendar_from_config
from scheduler.business_hours import (
    BusinessCalendar,
    add_business_time,
    business_minutes_between,
    is_open,
    next_closing,
    next_opening,
    open_intervals,
)

ONE_US = timedelta(microseconds=1)
CALENDARS = (
    calendar_from_config(BusinessHoursConfig()),  # Bogotá, Mon–Thu 08–17, Fri 08–14, CO
    calendar_from_config(BusinessHoursConfig(
        timezone="America/Santiago",
        weekly={"mon": ["09:00-13:00", "14:00-18:00"], "tue": ["09:00-13:00", "14:00-18:00"],
                "fri": ["09:00-13:00", "22:00-02:00"], "sat": ["01:00-03:00", "20:00-02:00"],
                "sun": ["00:30-24:00"]},
        holidays=HolidaysConfig(country="CL", subdivision="RM", extra_closed=[date(2026, 9, 7)],
                                extra_open=[date(2026, 9, 18),
                                            ExtraOpenDay(date=date(2026, 4, 3),
                                                         hours=["10:00-11:00"])]))),
    calendar_from_config(BusinessHoursConfig(
        timezone="America/Caracas", weekly={"wed": ["23:00-23:00"]},
        holidays=HolidaysConfig(country="VE"))),
)
PROPERTY = settings(max_examples=60, deadline=None)

calendars = st.sampled_from(CALENDARS)
moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31),
                       timezones=st.just(UTC))
amounts = st.floats(min_value=0, max_value=30 * 24 * 60, allow_nan=False)


def is_open_or_closing(cal: BusinessCalendar, t: datetime) -> bool:
    """Inside an open interval or exactly at its end."""
    window = open_intervals(cal, t - timedelta(days=2), t + timedelta(days=2))
    return any(start <= t <= end for start, end in window)


@PROPERTY
@given(calendars, moments, amounts)
def test_measuring_what_was_added_gives_it_back(cal, t, minutes) -> None:
    due = add_business_time(cal, t, minutes)
    assert abs(business_minutes_between(cal, t, due) - minutes) < 1e-6


@PROPERTY
@given(calendars, moments, amounts)
def test_due_times_are_in_open_time_or_at_its_end(cal, t, minutes) -> None:
    due = add_business_time(cal, t, minutes)
    assert due >= t and due.tzinfo == cal.zone
    assert is_open_or_closing(cal, due)
    if minutes == 0:
        assert is_open(cal, due)


@PROPERTY
@given(calendars, moments, amounts, amounts)
def test_more_minutes_never_come_due_earlier(cal, t, m1, m2) -> None:
    low, high = sorted((m1, m2))
    assert add_business_time(cal, t, low) <= add_business_time(cal, t, high)


@PROPERTY
@given(calendars, moments, moments, amounts)
def test_a_later_start_never_comes_due_earlier(cal, t1, t2, minutes) -> None:
    early, late = sorted((t1, t2))
    assert add_business_time(cal, early, minutes) <= add_business_time(cal, late, minutes)


@PROPERTY
@given(calendars, moments, moments, moments)
def test_business_minutes_add_up(cal, t1, t2, t3) -> None:
    a, b, c = sorted((t1, t2, t3))
    whole = business_minutes_between(cal, a, c)
    parts = business_minutes_between(cal, a, b) + business_minutes_between(cal, b, c)
    assert abs(whole - parts) < 1e-6
    assert business_minutes_between(cal, c, a) == -whole
    assert 0 <= whole <= (c - a).total_seconds() / 60


@PROPERTY
@given(calendars, moments)
def test_next_opening_is_a_real_opening(cal, t) -> None:
    opening = next_opening(cal, t)
    assert opening is not None and opening >= t
    assert is_open(cal, opening) and not is_open(cal, opening - ONE_US)
    if is_open(cal, t):
        assert opening > t
    else:
        assert business_minutes_between(cal, t, opening) == 0


@PROPERTY
@given(calendars, moments)
def test_next_closing_ends_an_open_stretch(cal, t) -> None:
    closing = next_closing(cal, t)
    assert closing is not None and closing > t
    assert not is_open(cal, closing) and is_open(cal, closing - ONE_US)
    if is_open(cal, t):
        elapsed = (closing - t).total_seconds() / 60
        assert abs(business_minutes_between(cal, t, closing) - elapsed) < 1e-6


@PROPERTY
@given(calendars, moments)
def test_is_open_agrees_with_open_intervals(cal, t) -> None:
    window = list(open_intervals(cal, t - timedelta(days=3), t + timedelta(days=3)))
    assert is_open(cal, t) == any(start <= t < end for start, end in window)
    assert all(end < following for (_, end), (following, _) in pairwise(window))
