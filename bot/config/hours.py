"""The business_hours section of config.yaml: weekly hours, holidays and extra open days."""

# Pydantic copies field defaults per instance, so list/dict defaults are safe; ruff only
# knows that for models whose BaseModel base is in the same file (Section is imported).
# ruff: noqa: RUF012

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import field_validator

from bot.config.section import Section
from scheduler.business_days import RANGE_RE, WEEKDAYS


def check_ranges(where: str, ranges: list[str]) -> list[str]:
    """Ranges are "HH:MM-HH:MM"; an end at or before the start crosses midnight."""
    for item in ranges:
        if not RANGE_RE.match(item):
            raise ValueError(f"{where}: {item!r} is not a range like 08:00-17:00")
    return ranges


class ExtraOpenDay(Section):
    """A date the desk opens although it is a holiday or a closed weekday."""

    date: date
    hours: list[str] = []

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, value: list[str]) -> list[str]:
        return check_ranges("hours", value)


class HolidaysConfig(Section):
    country: str | None = "CO"
    subdivision: str | None = None
    extra_closed: list[date] = []
    extra_open: list[date | ExtraOpenDay] = []

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        import holidays

        if value is not None and value.upper() not in holidays.list_supported_countries():
            raise ValueError(f"unknown country code {value!r} (ISO 3166 alpha-2, e.g. CO)")
        return value.upper() if value else None


class BusinessHoursConfig(Section):
    timezone: str = "America/Bogota"
    weekly: dict[str, list[str]] = {
        "mon": ["08:00-17:00"], "tue": ["08:00-17:00"], "wed": ["08:00-17:00"],
        "thu": ["08:00-17:00"], "fri": ["08:00-14:00"],
    }
    holidays: HolidaysConfig = HolidaysConfig()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {value!r} (use an IANA name such as America/Bogota)") from None
        return value

    @field_validator("weekly")
    @classmethod
    def _valid_ranges(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, ranges in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown day {day!r} (use {', '.join(WEEKDAYS)})")
            check_ranges(day, ranges)
        return value
