"""The send-rate limiter with injected time: 1 msg/s per chat, 30 msg/s overall, no real waits."""

from __future__ import annotations

import asyncio
from itertools import pairwise

import pytest

from channels.rate_limit import RateLimiter
from tests.fakes.monotonic import FakeTime


def limiter(fake: FakeTime, per_chat: float = 1.0, overall: float = 30.0) -> RateLimiter:
    return RateLimiter(per_chat, overall, monotonic=fake.monotonic, sleep=fake.sleep)


def run_sends(limit: RateLimiter, keys: list[str]) -> list[float]:
    async def main() -> list[float]:
        return [await limit.wait(key) for key in keys]

    return asyncio.run(main())


def test_one_chat_gets_one_message_per_second() -> None:
    fake = FakeTime()
    assert run_sends(limiter(fake), ["a", "a", "a"]) == [0.0, 1.0, 1.0]
    assert fake.now == 1002.0


def test_different_chats_only_share_the_overall_rate() -> None:
    fake = FakeTime()
    waits = run_sends(limiter(fake), [f"chat{n}" for n in range(31)])
    assert waits[0] == 0.0
    assert all(w == pytest.approx(1 / 30) for w in waits[1:])
    assert fake.now - 1000.0 == pytest.approx(1.0)   # 31 messages take one second: 30/s


def test_a_chat_that_waited_long_enough_sends_at_once() -> None:
    fake = FakeTime()
    limit = limiter(fake)
    run_sends(limit, ["a"])
    fake.now += 5
    assert run_sends(limit, ["a"]) == [0.0]


def test_limits_are_configurable() -> None:
    fake = FakeTime()
    assert run_sends(limiter(fake, per_chat=4.0, overall=100.0), ["a", "a"]) == [0.0, 0.25]


def test_the_table_of_chats_stays_small() -> None:
    fake = FakeTime()
    limit = limiter(fake, overall=1_000_000.0)
    run_sends(limit, [f"chat{n}" for n in range(3000)])
    fake.now += 2
    run_sends(limit, ["last"])
    assert len(limit.last_by_key) < 1100


def test_a_chat_waiting_for_its_next_second_does_not_hold_up_the_others() -> None:
    fake = FakeTime()
    limit = limiter(fake)
    booked = [limit.reserve(key, fake.now) - fake.now for key in ["a", "a", "a", "b", "c"]]
    assert booked[:3] == [0.0, 1.0, 2.0]
    assert booked[3:] == [pytest.approx(1 / 30), pytest.approx(2 / 30)]


def test_concurrent_sends_to_many_chats_keep_the_overall_rate() -> None:
    fake = FakeTime()
    limit = limiter(fake)
    booked = sorted(limit.reserve(f"chat{n % 7}", fake.now) for n in range(40))
    gaps = [later - earlier for earlier, later in pairwise(booked)]
    assert min(gaps) >= 1 / 30 - 1e-9
