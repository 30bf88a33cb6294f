"""Business calendar (pure): weekly hours, holidays, DST-correct business-time arithmetic."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from scheduler.business_days import (
    DayPlan,
    Range,
    Span,
    from_us,
    holiday_dates,
    merge_spans,
    to_time,
    to_us,
    wall_to_us,
)

HORIZON_DAYS = 400       # look this far for an opening before giving up
US_PER_MINUTE = 60_000_000
MEMO_LIMIT = 50_000      # cached dates per calendar before the memo starts over
WeekGroup = tuple[tuple[int, ...], tuple[tuple[time, time], ...]]


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly ranges (Mon..Sun), holidays and exceptions of one desk; per-date spans memoised."""

    zone: ZoneInfo
    weekly: tuple[tuple[Range, ...], ...]
    country: str | None = None
    subdivision: str | None = None
    extra_closed: frozenset[date] = frozenset()
    extra_open: tuple[tuple[date, tuple[Range, ...]], ...] = ()
    _plans: dict[int, DayPlan] = field(default_factory=dict, init=False, repr=False,
                                       compare=False)
    _owned: dict[int, tuple[Span, ...]] = field(default_factory=dict, init=False, repr=False,
                                                compare=False)

    def ranges_on(self, day: date) -> tuple[Range, ...]:
        """The ranges that start on this local date (extra_open beats holidays and closures)."""
        for when, ranges in self.extra_open:
            if when == day:
                return ranges
        if day in self.extra_closed or self.is_holiday(day):
            return ()
        return self.weekly[day.weekday()]

    def is_holiday(self, day: date) -> bool:
        return self.country is not None and day in holiday_dates(
            self.country, self.subdivision, day.year)

    def owned(self, day: int) -> tuple[Span, ...]:
        """UTC spans of the ranges starting on date ordinal `day` (they may end the next day)."""
        spans = self._owned.get(day)
        if spans is None:
            ranges = self.ranges_on(date.fromordinal(day))
            spans = tuple((wall_to_us(self.zone, day, start), wall_to_us(self.zone, day, end))
                          for start, end in ranges)
            self._owned[day] = spans
        return spans

    def plan(self, day: int) -> DayPlan:
        """Open spans inside local date ordinal `day`, including yesterday's spill-over."""
        plan = self._plans.get(day)
        if plan is None:
            if len(self._plans) > MEMO_LIMIT:
                self._plans.clear()
                self._owned.clear()
            start, end = wall_to_us(self.zone, day, 0), wall_to_us(self.zone, day + 1, 0)
            spans = merge_spans([*self.owned(day - 1), *self.owned(day)], start, end)
            plan = DayPlan(start, end, sum(e - s for s, e in spans), spans)
            self._plans[day] = plan
        return plan


def local_day(cal: BusinessCalendar, t: datetime) -> int:
    return t.astimezone(cal.zone).toordinal()


def is_open(cal: BusinessCalendar, t: datetime) -> bool:
    now, day = to_us(t), local_day(cal, t)
    for candidate in (day, day - 1, day + 1):
        plan = cal.plan(candidate)
        if plan.start <= now < plan.end:
            return any(start <= now < end for start, end in plan.spans)
    return False


def spans_after(cal: BusinessCalendar, now: int, first_day: int,
                last_day: int) -> Iterator[Span]:
    """Per-day open spans that end after `now`, clipped to start no earlier than `now`."""
    for day in range(first_day, last_day + 1):
        for start, end in cal.plan(day).spans:
            if end > now:
                yield max(start, now), end


def joined(spans: Iterable[Span]) -> Iterator[Span]:
    """Join spans that touch across midnight into the real open intervals."""
    current: Span | None = None
    for start, end in spans:
        if current is not None and start <= current[1]:
            current = (current[0], max(current[1], end))
            continue
        if current is not None:
            yield current
        current = (start, end)
    if current is not None:
        yield current


def intervals_ahead(cal: BusinessCalendar, t: datetime) -> tuple[Iterator[Span], int]:
    """Open intervals from `t` on (the first clipped to start at `t`) and the horizon's end."""
    first_day = local_day(cal, t) - 1
    last_day = first_day + HORIZON_DAYS + 1
    ahead = joined(spans_after(cal, to_us(t), first_day, last_day))
    return ahead, cal.plan(last_day).end


def next_opening(cal: BusinessCalendar, t: datetime) -> datetime | None:
    """Closed at t: when the next interval starts. Open: when the one after the current starts."""
    ahead, _ = intervals_ahead(cal, t)
    first = next(ahead, None)
    if first is not None and first[0] > to_us(t):
        return from_us(first[0], cal.zone)
    following = next(ahead, None)
    return None if following is None else from_us(following[0], cal.zone)


def next_closing(cal: BusinessCalendar, t: datetime) -> datetime | None:
    """Open at t: when the current interval ends; closed: when the next one ends. None if the
    calendar never opens, or stays open, through the next 400 days."""
    ahead, horizon_end = intervals_ahead(cal, t)
    first = next(ahead, None)
    if first is None or first[1] >= horizon_end:
        return None
    return from_us(first[1], cal.zone)


def open_intervals(cal: BusinessCalendar, start: datetime,
                   end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Merged open intervals clipped to [start, end), in the calendar's zone."""
    low, high = to_us(start), to_us(end)
    spans = spans_after(cal, low, local_day(cal, start) - 1, local_day(cal, end) + 1)
    clipped = ((s, min(e, high)) for s, e in spans if s < high)
    for s, e in joined(clipped):
        yield from_us(s, cal.zone), from_us(e, cal.zone)


def add_business_time(cal: BusinessCalendar, t: datetime, minutes: float) -> datetime:
    """The earliest moment by which `minutes` of open time have passed since t.

    Zero minutes while closed gives the next opening. Raises ValueError for negative minutes or
    when the calendar has no open time in 400 consecutive days."""
    if minutes < 0:
        raise ValueError(f"minutes must be >= 0, got {minutes}")
    now, left = to_us(t), round(minutes * US_PER_MINUTE)
    day, idle = local_day(cal, t) - 1, 0
    while idle <= HORIZON_DAYS:
        plan = cal.plan(day)
        if plan.start >= now and plan.total < left:
            left -= plan.total
        else:
            for start, end in plan.spans:
                if end > now:
                    start = max(start, now)
                    if left <= end - start:
                        return from_us(start + left, cal.zone)
                    left -= end - start
        idle = 0 if plan.total else idle + 1
        day += 1
    raise ValueError("the business calendar has no open time in 400 consecutive days")


def business_minutes_between(cal: BusinessCalendar, a: datetime, b: datetime) -> float:
    """Open minutes in [a, b); negative when b is before a."""
    if b < a:
        return -business_minutes_between(cal, b, a)
    low, high, total = to_us(a), to_us(b), 0
    for day in range(local_day(cal, a) - 1, local_day(cal, b) + 2):
        plan = cal.plan(day)
        if low <= plan.start and plan.end <= high:
            total += plan.total
            continue
        total += sum(min(e, high) - max(s, low) for s, e in plan.spans if s < high and e > low)
    return total / US_PER_MINUTE


def describe_week(cal: BusinessCalendar) -> list[WeekGroup]:
    """Runs of consecutive weekdays (0 = Monday) with the same hours; closed days left out."""
    groups: list[tuple[list[int], tuple[Range, ...]]] = []
    for weekday, ranges in enumerate(cal.weekly):
        if not ranges:
            continue
        if groups and groups[-1][1] == ranges and groups[-1][0][-1] == weekday - 1:
            groups[-1][0].append(weekday)
        else:
            groups.append(([weekday], ranges))
    return [(tuple(days), tuple((to_time(s), to_time(e)) for s, e in ranges))
            for days, ranges in groups]
