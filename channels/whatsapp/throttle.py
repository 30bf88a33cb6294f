"""Twilio's HTTP 429 as an exception carrying its Retry-After, shared by the client and sender."""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime


class Throttled(Exception):
    """Twilio answered 429; `retry_after` is its Retry-After in seconds, if it sent one."""

    def __init__(self, retry_after: float | None) -> None:
        self.retry_after = retry_after
        super().__init__(f"Twilio rate limit (HTTP 429), retry after {retry_after} s")


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds (a number or an HTTP date)."""
    if not value:
        return None
    if value.strip().replace(".", "", 1).isdigit():
        return float(value)
    try:
        return max((parsedate_to_datetime(value) - now).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None
