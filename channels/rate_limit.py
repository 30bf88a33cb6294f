"""A small send-rate limiter: at most N messages/s per chat and M/s overall (time injected)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]


class RateLimiter:
    """Spaces sends out: `per_key` per second to one chat, `overall` per second in total.

    `monotonic` and `sleep` are injected so tests run without waiting.
    """

    def __init__(self, per_key: float, overall: float,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.key_interval = 1.0 / per_key
        self.overall_interval = 1.0 / overall
        self.monotonic = monotonic
        self.sleep = sleep
        self.last_by_key: dict[str, float] = {}
        self.last_any: float | None = None
        self.lock = asyncio.Lock()

    def delay_for(self, key: str, now: float) -> float:
        """Seconds to wait before sending to `key` at `now`."""
        waits = [0.0]
        last = self.last_by_key.get(key)
        if last is not None:
            waits.append(last + self.key_interval - now)
        if self.last_any is not None:
            waits.append(self.last_any + self.overall_interval - now)
        return max(waits)

    async def wait(self, key: str) -> float:
        """Wait until a send to `key` is allowed, then count it; returns the seconds waited."""
        async with self.lock:
            delay = self.delay_for(key, self.monotonic())
            if delay > 0:
                await self.sleep(delay)
            now = self.monotonic()
            self.last_by_key[key] = now
            self.last_any = now
            self.forget_idle(now)
            return delay

    def forget_idle(self, now: float) -> None:
        """Drop chats that could send again anyway, so the table stays small."""
        if len(self.last_by_key) > 1024:
            self.last_by_key = {key: at for key, at in self.last_by_key.items()
                                if now - at < self.key_interval}
