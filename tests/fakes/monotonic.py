"""A monotonic clock and sleep for rate limiters: time moves only when someone sleeps."""

from __future__ import annotations


class FakeTime:
    """`monotonic()` and `await sleep(s)` as injected into channels.rate_limit.RateLimiter."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds
