"""Sliding-window request limits per visitor and per IP address (time injected)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MAX_KEYS = 10_000


class WindowLimit:
    """At most `count` events per `seconds` for each key; `allow` books one when it may."""

    def __init__(self, count: int, seconds: float = 60.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.count = count
        self.seconds = seconds
        self.monotonic = monotonic
        self.events: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = self.monotonic()
        window = self.events.setdefault(key, deque())
        while window and window[0] <= now - self.seconds:
            window.popleft()
        if len(window) >= self.count:
            return False
        window.append(now)
        if len(self.events) > MAX_KEYS:
            self.forget_idle(now)
        return True

    def refund(self, key: str) -> None:
        """Give back the last booking of `key` (the request turned out to be a repeat)."""
        window = self.events.get(key)
        if window:
            window.pop()

    def retry_after(self, key: str) -> int:
        """Whole seconds until `key` may go again."""
        window = self.events.get(key)
        if not window:
            return 0
        return max(1, int(window[0] + self.seconds - self.monotonic()) + 1)

    def forget_idle(self, now: float) -> None:
        self.events = {key: window for key, window in self.events.items()
                       if window and window[-1] > now - self.seconds}
