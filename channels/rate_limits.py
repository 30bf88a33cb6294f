"""Rate limits: at most `count` hits per `seconds` for each key of a bucket (time injected).

One concept for the widget (channels/webchat) and the customers' pages (bot/web): a sliding
estimate over two fixed windows of the period (the previous window's hits weighted by the part
of it still inside the last `seconds`, plus the current window's). Counts live in memory
(`MemoryLimiter`, one process) or in the database (`SharedLimiter` over a `Counter` the
composition root gives, so every `serve` worker of one database counts together). A refused hit
is not booked; `refund` gives a booking back (a repeated message id).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from channels.log_text import first_line

log = logging.getLogger(__name__)
MAX_KEYS = 10_000          # keys one MemoryLimiter remembers; the idlest are forgotten first
OUTAGE_SECONDS = 10.0      # after a database error, count in memory this long before retrying


@dataclass(frozen=True)
class Rule:
    """A bucket's limit: `count` hits per `seconds` (whole seconds) for each key."""

    bucket: str
    count: int
    seconds: int


@dataclass(frozen=True)
class Counts:
    """A key's hits in the previous and current windows after a hit, and whether it booked."""

    previous: int
    current: int
    booked: bool


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0   # whole seconds until the key may go again (0 when allowed)


def window_start(rule: Rule, at: float) -> int:
    """The start (epoch seconds) of the fixed window of `rule` holding instant `at`."""
    return int(at // rule.seconds) * rule.seconds


def previous_weight(rule: Rule, at: float) -> float:
    """The share of the previous window still inside the last `rule.seconds`."""
    return 1.0 - (at - window_start(rule, at)) / rule.seconds


def may_book(rule: Rule, previous: int, current: int, at: float) -> bool:
    return previous * previous_weight(rule, at) + current < rule.count


def verdict(rule: Rule, counts: Counts, at: float) -> Verdict:
    if counts.booked:
        return Verdict(True)
    return Verdict(False, retry_after(rule, counts.previous, counts.current, at))


def retry_after(rule: Rule, previous: int, current: int, at: float) -> int:
    """Whole seconds (at least 1) until the estimate drops below the limit, if nobody books."""
    elapsed = at - window_start(rule, at)
    period, count = rule.seconds, rule.count
    if current < count:   # the previous window's weight must fall far enough
        wait = period * (1 - (count - current) / previous) - elapsed if previous else 0.0
    else:                 # this window is full: wait for the next, where it weighs less
        wait = period - elapsed + period * (1 - count / current)
    return max(1, math.floor(wait) + 1)   # strictly after: the estimate must fall below


def client_ip(request: Request) -> str:
    """The caller's address, the key of every per-IP limit ("?" when the server has none)."""
    return request.client.host if request.client else "?"


class RateLimiter(Protocol):
    async def hit(self, rule: Rule, key: str) -> Verdict:
        """Book one hit for `key` when the limit allows it."""
        ...

    async def refund(self, rule: Rule, key: str) -> None:
        """Give back one booking of `key` in the current window."""
        ...


class Counter(Protocol):
    """Counts kept outside the process (bot/store/rate_limits.py); blocking calls."""

    def book(self, rule: Rule, key: str, at: float) -> Counts:
        ...

    def give_back(self, rule: Rule, key: str, at: float) -> None:
        ...


class MemoryLimiter:
    """Counts in this process only: (bucket, key) → [window start, previous, current]."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self.windows: dict[tuple[str, str], list[int]] = {}

    async def hit(self, rule: Rule, key: str) -> Verdict:
        at = self.now().timestamp()
        return verdict(rule, self.book(rule, key, at), at)

    async def refund(self, rule: Rule, key: str) -> None:
        self.give_back(rule, key, self.now().timestamp())

    def book(self, rule: Rule, key: str, at: float) -> Counts:
        start = window_start(rule, at)
        stored = self.windows.pop((rule.bucket, key), None)
        previous, current = shifted(stored, start, rule.seconds)
        booked = may_book(rule, previous, current, at)
        current += booked
        self.windows[(rule.bucket, key)] = [start, previous, current]   # most recent last
        if len(self.windows) > MAX_KEYS:
            del self.windows[next(iter(self.windows))]
        return Counts(previous, current, booked)

    def give_back(self, rule: Rule, key: str, at: float) -> None:
        stored = self.windows.get((rule.bucket, key))
        if stored and stored[0] == window_start(rule, at) and stored[2] > 0:
            stored[2] -= 1


def shifted(stored: list[int] | None, start: int, period: int) -> tuple[int, int]:
    """(previous, current) hits as of the window starting at `start`."""
    if stored is None:
        return 0, 0
    if stored[0] == start:
        return stored[1], stored[2]
    if stored[0] == start - period:
        return stored[2], 0
    return 0, 0


class SharedLimiter:
    """Counts in the database, shared by every worker. While the database fails it fails open
    to this process's memory counts (the limit then holds per worker, as before), so a client
    never gets a 5xx from the limiter; it tries the database again after OUTAGE_SECONDS."""

    def __init__(self, counter: Counter, now: Callable[[], datetime],
                 monotonic: Callable[[], float]) -> None:
        self.counter = counter
        self.now = now
        self.monotonic = monotonic
        self.memory = MemoryLimiter(now)
        self.down_until = -math.inf

    async def hit(self, rule: Rule, key: str) -> Verdict:
        at = self.now().timestamp()
        if self.monotonic() >= self.down_until:
            try:
                counts = await run_in_threadpool(self.counter.book, rule, key, at)
                return verdict(rule, counts, at)
            except Exception as exc:   # any database failure: count in memory for a while
                self.went_down(exc)
        return verdict(rule, self.memory.book(rule, key, at), at)

    async def refund(self, rule: Rule, key: str) -> None:
        at = self.now().timestamp()
        self.memory.give_back(rule, key, at)
        if self.monotonic() >= self.down_until:
            try:
                await run_in_threadpool(self.counter.give_back, rule, key, at)
            except Exception as exc:
                self.went_down(exc)

    def went_down(self, exc: Exception) -> None:
        self.down_until = self.monotonic() + OUTAGE_SECONDS
        log.warning("rate limits: the database failed (%s); counting in this worker's memory "
                    "for %.0f s", first_line(exc), OUTAGE_SECONDS)
