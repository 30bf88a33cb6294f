"""Per-IP rate limits for the customers' pages: a sliding window per (bucket, address).

In memory, per process (several `serve` processes each count their own); time is injected.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

MAX_KEYS = 10_000   # addresses remembered per bucket; the idlest are forgotten first


class SlidingWindow:
    """At most `limit` hits per `period` for each key."""

    def __init__(self, limit: int, period: timedelta, now: Callable[[], datetime]) -> None:
        self.limit = limit
        self.period = period
        self.now = now
        self.hits: dict[str, deque[datetime]] = {}

    def allow(self, key: str) -> bool:
        """Count a hit for `key` unless it is over the limit; False when it is."""
        now = self.now()
        recent = self.hits.pop(key, deque())
        while recent and recent[0] <= now - self.period:
            recent.popleft()
        allowed = len(recent) < self.limit
        if allowed:
            recent.append(now)
        self.hits[key] = recent   # re-inserted: dict order is least recently used first
        if len(self.hits) > MAX_KEYS:
            del self.hits[next(iter(self.hits))]
        return allowed


class Limits:
    """The buckets of bot/web/customer, sized from `customer_web` in config.yaml."""

    def __init__(self, new_tickets_per_hour: int, sign_ins_per_hour: int, posts_per_minute: int,
                 suggestions_per_minute: int, now: Callable[[], datetime]) -> None:
        hour, minute = timedelta(hours=1), timedelta(minutes=1)
        self.buckets = {"new_ticket": SlidingWindow(new_tickets_per_hour, hour, now),
                        "sign_in": SlidingWindow(sign_ins_per_hour, hour, now),
                        "post": SlidingWindow(posts_per_minute, minute, now),
                        "suggest": SlidingWindow(suggestions_per_minute, minute, now)}

    def allow(self, bucket: str, address: str) -> bool:
        return self.buckets[bucket].allow(address)
