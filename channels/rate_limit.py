"""A small send-rate limiter: at most N messages/s per chat and M/s overall (time injected)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]
MAX_CHATS = 1024


class RateLimiter:
    """Spaces sends out: `per_key` per second to one chat, `overall` per second in total.

    Each send reserves its slot at once and then sleeps outside any lock, so a chat waiting
    for its own next second never holds up other chats. `monotonic` and `sleep` are injected
    so tests run without waiting.
    """

    def __init__(self, per_key: float, overall: float,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.key_interval = 1.0 / per_key
        self.overall_interval = 1.0 / overall
        self.monotonic = monotonic
        self.sleep = sleep
        self.last_by_key: dict[str, float] = {}
        self.slots: list[float] = []   # reserved send times, ascending, recent ones only

    def reserve(self, key: str, now: float) -> float:
        """The earliest time a send to `key` may go, booked; no await, so no lock is needed."""
        at = now
        last = self.last_by_key.get(key)
        if last is not None:
            at = max(at, last + self.key_interval)
        self.slots = [slot for slot in self.slots if slot > now - self.overall_interval]
        for slot in self.slots:   # ascending: moving `at` forward never revisits a slot
            if abs(at - slot) < self.overall_interval:
                at = slot + self.overall_interval
        self.slots.append(at)
        self.slots.sort()
        self.last_by_key[key] = at
        self.forget_idle(now)
        return at

    async def wait(self, key: str) -> float:
        """Wait until a send to `key` is allowed (its slot is booked first); returns the wait."""
        now = self.monotonic()
        delay = self.reserve(key, now) - now
        if delay > 0:
            await self.sleep(delay)
        return max(delay, 0.0)

    def forget_idle(self, now: float) -> None:
        """Drop chats that could send again anyway, so the table stays small."""
        if len(self.last_by_key) > MAX_CHATS:
            self.last_by_key = {key: at for key, at in self.last_by_key.items()
                                if at > now - self.key_interval}
