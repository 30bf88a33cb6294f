"""Per-IP rate limits for the customers' pages (channels/rate_limits.py: on PostgreSQL counted
in the database and shared by every `serve` worker, on SQLite in the process's memory)."""

from __future__ import annotations

from channels.rate_limits import RateLimiter, Rule

HOUR, MINUTE = 3600, 60


class Limits:
    """The buckets of bot/web/customer, sized from `customer_web` in config.yaml."""

    def __init__(self, limiter: RateLimiter, new_tickets_per_hour: int, sign_ins_per_hour: int,
                 posts_per_minute: int, suggestions_per_minute: int) -> None:
        self.limiter = limiter
        self.rules = {"new_ticket": Rule("new_ticket", new_tickets_per_hour, HOUR),
                      "sign_in": Rule("sign_in", sign_ins_per_hour, HOUR),
                      "post": Rule("post", posts_per_minute, MINUTE),
                      "suggest": Rule("suggest", suggestions_per_minute, MINUTE)}

    async def allow(self, bucket: str, address: str) -> bool:
        return (await self.limiter.hit(self.rules[bucket], address)).allowed
