"""The time window of a report: `--since 30d` or `--from D --to D`, in the desk's timezone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import ConfigError

SINCE = re.compile(r"^\s*(\d{1,5})\s*([hdwm])\s*$", re.I)
UNIT_DAYS = {"d": 1, "w": 7, "m": 30}
WEEKLY_TREND_MAX_DAYS = 120


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC-aware datetimes; `now` is when the report is made (backlog, SLAs)."""

    start: datetime
    end: datetime
    now: datetime
    zone: ZoneInfo

    @property
    def trend_unit(self) -> str:
        return "week" if (self.end - self.start).days <= WEEKLY_TREND_MAX_DAYS else "month"

    def local_today_end(self) -> datetime:
        """Midnight at the end of today, local time: "due today" ends there."""
        today = self.now.astimezone(self.zone).date()
        return datetime.combine(today + timedelta(days=1), time(0), self.zone)

    def utc_offset_minutes(self) -> int:
        offset = self.end.astimezone(self.zone).utcoffset()
        return int(offset.total_seconds() // 60) if offset else 0


def parse_since(text: str) -> timedelta:
    """'30d', '12w', '6m' (30-day months), '48h' → a duration."""
    found = SINCE.match(text)
    if not found:
        raise ConfigError(f"--since: {text!r} is not like 30d, 12w, 6m or 48h")
    amount, unit = int(found.group(1)), found.group(2).lower()
    return timedelta(hours=amount) if unit == "h" else timedelta(days=amount * UNIT_DAYS[unit])


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option}: {text!r} is not a date like 2026-11-01") from None


def make_period(now: datetime, zone: ZoneInfo, since: str | None = None,
                start_day: str | None = None, end_day: str | None = None) -> Period:
    """`--from D --to D` are local dates, both included; otherwise the last `since` (30d)."""
    if since and (start_day or end_day):
        raise ConfigError("give either --since or --from/--to, not both")
    if start_day or end_day:
        first = parse_day(start_day, "--from") if start_day else date(2000, 1, 1)
        last = parse_day(end_day, "--to") if end_day else now.astimezone(zone).date()
        if last < first:
            raise ConfigError("--to is before --from")
        start = datetime.combine(first, time(0), zone)
        end = datetime.combine(last + timedelta(days=1), time(0), zone)
        return Period(start, end, now, zone)
    return Period(now - parse_since(since or "30d"), now, now, zone)
