"""Benchmark: the cost of one rate-limit hit (channels/rate_limits.py), in memory, on a SQLite
file and on PostgreSQL (a throwaway schema on --postgres), 2,000 hits over 200 keys."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.store.db import make_engine
from bot.store.migrate import upgrade
from bot.store.rate_limits import shared_limiter
from channels.rate_limits import MemoryLimiter, RateLimiter, Rule

RULE = Rule("bench", 10**9, 60)   # never refuses: every hit is booked
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def now() -> datetime:
    return datetime.now(UTC)


async def microseconds_per_hit(limiter: RateLimiter, hits: int) -> float:
    start = time.perf_counter()
    for n in range(hits):
        await limiter.hit(RULE, f"10.0.{n % 200}.1")
    return (time.perf_counter() - start) / hits * 1e6


def on_database(url: str, hits: int) -> float:
    engine = make_engine(url)
    try:
        upgrade(engine)
        return asyncio.run(microseconds_per_hit(shared_limiter(engine, now, time.monotonic), hits))
    finally:
        engine.dispose()


def on_postgres(server: str, hits: int) -> float:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        return on_database(f"{server}?options=-csearch_path%3D{schema}", hits)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hits", type=int, default=2000)
    parser.add_argument("--postgres", default=PG, help="server URL ('' to skip)")
    args = parser.parse_args()
    figures = {"memory": asyncio.run(microseconds_per_hit(MemoryLimiter(now), args.hits))}
    with tempfile.TemporaryDirectory() as folder:
        figures["sqlite"] = on_database(f"sqlite:///{folder}/bench.db", args.hits)
    if args.postgres:
        figures["postgresql"] = on_postgres(args.postgres, args.hits)
    print("rate_limit_hits: " + ", ".join(f"{name} {us:.0f} µs" for name, us in figures.items())
          + " per hit")


if __name__ == "__main__":
    main()
