"""Rate-limit counts in the database (channels/rate_limits.py's Counter): one row per
(bucket, key) with its current and previous fixed window, so every `serve` worker of one
database counts together. A hit is one statement (an upsert that shifts the windows and books
only when the sliding estimate allows); rows idle for two periods are swept on write.

On PostgreSQL the hit's transaction does not wait for its WAL flush (`synchronous_commit = off`
for that transaction only): a count is not worth an fsync (4-6 ms a hit here, ~1.4 ms without),
and a server crash loses at most the last moments' counts."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, text

from channels.rate_limits import Counter, Counts, Rule, SharedLimiter, previous_weight, window_start

SWEEP_SECONDS = 300.0   # how often one worker deletes the idle rows
MAX_KEY = 200

# The existing row as of the window :start (previous / current hits), then the booking.
PREVIOUS = ("CASE WHEN rate_limits.window_start = :start THEN rate_limits.previous_hits "
            "WHEN rate_limits.window_start = :start - :period THEN rate_limits.hits ELSE 0 END")
CURRENT = "CASE WHEN rate_limits.window_start = :start THEN rate_limits.hits ELSE 0 END"
ALLOWED = f"({PREVIOUS}) * :weight + ({CURRENT}) < :count"
BOOK = text(f"""
INSERT INTO rate_limits (bucket, subject, window_start, previous_hits, hits, booked, expires)
VALUES (:bucket, :subject, :start, 0, 1, 1, :expires)
ON CONFLICT (bucket, subject) DO UPDATE SET
  previous_hits = {PREVIOUS},
  hits = {CURRENT} + CASE WHEN {ALLOWED} THEN 1 ELSE 0 END,
  booked = CASE WHEN {ALLOWED} THEN 1 ELSE 0 END,
  window_start = :start,
  expires = :expires
RETURNING previous_hits, hits, booked
""")
NO_FLUSH = text("SET LOCAL synchronous_commit = off")
GIVE_BACK = text("UPDATE rate_limits SET hits = hits - 1 WHERE bucket = :bucket "
                 "AND subject = :subject AND window_start = :start AND hits > 0")
SWEEP = text("DELETE FROM rate_limits WHERE expires < :now")


class StoredCounter(Counter):
    def __init__(self, engine: Engine, monotonic: Callable[[], float]) -> None:
        self.engine = engine
        self.monotonic = monotonic
        self.swept_at = -math.inf
        self.no_flush = engine.dialect.name == "postgresql"

    def book(self, rule: Rule, key: str, at: float) -> Counts:
        start = window_start(rule, at)
        values = {"bucket": rule.bucket, "subject": key[:MAX_KEY], "start": start,
                  "period": rule.seconds, "weight": previous_weight(rule, at),
                  "count": rule.count, "expires": start + 2 * rule.seconds}
        with self.engine.begin() as connection:
            if self.no_flush:
                connection.execute(NO_FLUSH)
            row = connection.execute(BOOK, values).one()
        if self.monotonic() - self.swept_at >= SWEEP_SECONDS:
            self.swept_at = self.monotonic()
            with self.engine.begin() as connection:
                connection.execute(SWEEP, {"now": math.floor(at)})
        return Counts(int(row[0]), int(row[1]), bool(row[2]))

    def give_back(self, rule: Rule, key: str, at: float) -> None:
        with self.engine.begin() as connection:
            connection.execute(GIVE_BACK, {"bucket": rule.bucket, "subject": key[:MAX_KEY],
                                           "start": window_start(rule, at)})


def shared_limiter(engine: Engine, now: Callable[[], datetime],
                   monotonic: Callable[[], float]) -> SharedLimiter:
    return SharedLimiter(StoredCounter(engine, monotonic), now, monotonic)
