"""Benchmark: SLA sweep selection time with 100k and 1M open tickets (1,000 due), one line.

Fills a throwaway database (a SQLite file and a PostgreSQL schema) with generated tickets in
SQL, then times `claim_due_tickets` — the indexed `next_deadline_at <= now` selection with
FOR UPDATE SKIP LOCKED — inside a rolled-back transaction.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from bot.desk.sweeps import claim_due_tickets, due_tickets_query
from bot.store.db import make_engine, make_session_factory
from bot.store.migrate import upgrade
from bot.store.models import Ticket

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DUE = 1000
FILL = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
INSERT INTO tickets (contact_id, channel, subject, description, priority, status, level, vip,
  language, created_at, updated_at, reopen_count, business_time, page_count, sla_paused_minutes,
  next_deadline_at)
SELECT 1, 'console', 'bench', '', 'medium', 'open', 1, false, 'es', :created, :created, 0, true,
  0, 0, CASE WHEN i <= :due THEN :past ELSE :future END
FROM n
"""


def fill(engine: Engine, count: int) -> None:
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO contacts (id, vip, created_at) "
                                "VALUES (1, false, :at)"), {"at": NOW})
        connection.execute(text(FILL), {
            "count": count, "due": DUE, "created": NOW,
            "past": datetime(2026, 11, 24, 14, 0, tzinfo=UTC),
            "future": datetime(2026, 12, 24, 14, 0, tzinfo=UTC)})
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE tickets"))


def median_ms(engine: Engine, select_due: Callable[[Session], Sequence[object]],
              runs: int = 15) -> float:
    factory = make_session_factory(engine)
    samples = []
    for _ in range(runs):
        with factory() as session, session.begin():
            start = time.perf_counter()
            due = select_due(session)
            samples.append((time.perf_counter() - start) * 1000)
            assert len(due) == DUE, len(due)
            session.rollback()
    return statistics.median(samples)


def measure(url: str, count: int) -> tuple[float, float]:
    """(selection of the due ids, selection plus loading the 1,000 ticket objects), ms."""
    engine = make_engine(url)
    upgrade(engine)
    fill(engine, count)
    ids = median_ms(engine, lambda s: s.scalars(due_tickets_query(NOW, DUE, Ticket.id)).all())
    full = median_ms(engine, lambda s: claim_due_tickets(s, NOW, limit=DUE))
    engine.dispose()
    return ids, full


def postgres_url() -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with create_engine(PG).begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{PG}?options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str) -> None:
    with create_engine(PG).begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    figures = []
    for count in sizes:
        with tempfile.TemporaryDirectory() as folder:
            lite = measure(f"sqlite:///{Path(folder) / 'bench.db'}", count)
        url, schema = postgres_url()
        try:
            pg = measure(url, count)
        finally:
            drop_schema(schema)
        figures.append(f"open={count} sqlite_select_ms={lite[0]:.2f} sqlite_claim_ms={lite[1]:.2f}"
                       f" pg_select_ms={pg[0]:.2f} pg_claim_ms={pg[1]:.2f}")
    print(f"sla_sweep due={DUE} " + " ".join(figures))


if __name__ == "__main__":
    main()
