"""Rate limits (channels/rate_limits.py): the sliding estimate over two windows, refunds, and
counts shared through the database by every worker (SQLite and PostgreSQL), failing open to
memory while the database fails."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot.store.db import make_engine
from bot.store.migrate import upgrade
from bot.store.rate_limits import StoredCounter, shared_limiter
from channels.rate_limits import (
    OUTAGE_SECONDS,
    Counts,
    MemoryLimiter,
    RateLimiter,
    Rule,
    SharedLimiter,
    Verdict,
)
from scheduler.clock import FixedClock
from tests.conftest import postgres_schema

START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)   # a window boundary for 60 s and 3600 s
RULE = Rule("post", 4, 60)


class Ticks:
    """An injected monotonic clock."""

    def __init__(self) -> None:
        self.at = 0.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def limiter(request: pytest.FixtureRequest, clock: FixedClock,
            tmp_path: Path) -> Iterator[RateLimiter]:
    if request.param == "memory":
        yield MemoryLimiter(clock.now)
        return
    urls = (iter([f"sqlite:///{tmp_path / 'atiende.db'}"]) if request.param == "sqlite"
            else postgres_schema())
    built = make_engine(next(urls))
    upgrade(built)
    yield shared_limiter(built, clock.now, Ticks())
    built.dispose()
    next(urls, None)   # drops the PostgreSQL schema


def hits(limiter: RateLimiter, times: int, key: str = "10.0.0.1",
         rule: Rule = RULE) -> list[bool]:
    return [hit(limiter, rule, key).allowed for _ in range(times)]


def hit(limiter: RateLimiter, rule: Rule = RULE, key: str = "10.0.0.1") -> Verdict:
    return asyncio.run(limiter.hit(rule, key))


def test_the_limit_holds_per_key_and_bucket_with_a_retry_after(
        limiter: RateLimiter, clock: FixedClock) -> None:
    assert hits(limiter, 5) == [True] * 4 + [False]
    assert hits(limiter, 1, key="10.0.0.2") == [True]
    assert hits(limiter, 1, rule=Rule("sign_in", 4, 60)) == [True]
    clock.advance(timedelta(seconds=10))
    refused = hit(limiter)
    # the window is full: its 4 hits must weigh less than 4 in the next one (one second in)
    assert not refused.allowed and refused.retry_after == 51
    clock.advance(timedelta(seconds=50))
    assert hits(limiter, 1) == [False]
    clock.advance(timedelta(seconds=1))
    assert hits(limiter, 2) == [True, False]


def test_the_previous_window_weighs_by_the_part_still_inside_the_period(
        limiter: RateLimiter, clock: FixedClock) -> None:
    clock.advance(timedelta(seconds=45))
    assert hits(limiter, 5) == [True] * 4 + [False]
    clock.advance(timedelta(seconds=30))   # 15 s into the next window: 4 × 0.75 = 3 count
    assert hits(limiter, 2) == [True, False]
    clock.advance(timedelta(seconds=120))  # two windows later: nothing counts
    assert hits(limiter, 5) == [True] * 4 + [False]


def test_a_refund_gives_the_booking_back(limiter: RateLimiter) -> None:
    assert hits(limiter, 4) == [True] * 4
    asyncio.run(limiter.refund(RULE, "10.0.0.1"))
    assert hits(limiter, 2) == [True, False]


def test_workers_on_one_database_count_together(migrated_engine: Engine, clock: FixedClock) -> None:
    first, second = (shared_limiter(migrated_engine, clock.now, Ticks()) for _ in range(2))
    assert hits(first, 2) == [True, True]
    assert hits(second, 3) == [True, True, False]
    assert hits(first, 1) == [False]


def test_simultaneous_hits_book_exactly_the_limit(migrated_engine: Engine) -> None:
    counter = StoredCounter(migrated_engine, Ticks())
    rule = Rule("burst", 10, 60)
    at = START.timestamp() + 1
    with ThreadPoolExecutor(8) as pool:
        booked = list(pool.map(lambda _n: counter.book(rule, "10.0.0.9", at).booked, range(30)))
    assert booked.count(True) == 10


def test_idle_rows_are_swept_on_write(migrated_engine: Engine) -> None:
    ticks = Ticks()
    counter = StoredCounter(migrated_engine, ticks)
    at = START.timestamp()
    counter.book(RULE, "old", at)
    ticks.at = 10_000
    counter.book(RULE, "new", at + 200)
    with migrated_engine.connect() as connection:
        rows = connection.execute(text("SELECT subject FROM rate_limits")).scalars().all()
    assert rows == ["new"]


class BrokenCounter:
    """A database that is down: every call fails."""

    def __init__(self) -> None:
        self.calls = 0

    def book(self, rule: Rule, key: str, at: float) -> Counts:
        self.calls += 1
        raise ConnectionError("connection refused")

    def give_back(self, rule: Rule, key: str, at: float) -> None:
        self.calls += 1
        raise ConnectionError("connection refused")


def test_a_failing_database_fails_open_to_this_workers_memory(clock: FixedClock) -> None:
    broken, ticks = BrokenCounter(), Ticks()
    limiter = SharedLimiter(broken, clock.now, ticks)
    assert hits(limiter, 5) == [True] * 4 + [False]   # still limited, per worker
    assert broken.calls == 1                                # and the database left alone
    ticks.at = OUTAGE_SECONDS
    hit(limiter)
    assert broken.calls == 2                                # then tried again
