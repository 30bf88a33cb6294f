"""Benchmark: the full `atiende report` (every section; then again with --by category) over
100,000 tickets and 1,000,000 messages on SQLite; target ≤ 5 s. Prints one line."""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.reports.figures import build_report
from bot.reports.period import make_period
from bot.reports.render import to_json, to_table
from bot.store.db import make_engine, make_session_factory
from bot.store.migrate import upgrade

TICKETS = 100_000
MESSAGES = 1_000_000
KB_CONVERSATIONS = 100_000
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
START = NOW - timedelta(days=365)
PRIORITIES = ("low", "medium", "high", "critical")
CATEGORIES = ("technical", "functional", "billing", "account", "training", "customization",
              "emergency", "suggestion")
STATUSES = ("open", "in_progress", "waiting_customer", "resolved", "closed", "closed", "closed")


def stamp(moment: datetime | None) -> str | None:
    """SQLite's storage format for DateTime columns (UTC)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if moment else None


def ticket_row(number: int, rng: random.Random) -> tuple[Any, ...]:
    created = START + timedelta(minutes=rng.randrange(365 * 24 * 60))
    status = rng.choice(STATUSES)
    first = rng.expovariate(1 / 240) if status != "open" else None
    done = rng.expovariate(1 / 2000) if status in ("resolved", "closed") else None
    return (number, number, 1, number, rng.choice(("whatsapp", "telegram", "email")),
            f"Ticket {number}", "", rng.choice(CATEGORIES), rng.choice(PRIORITIES), status, 1,
            rng.random() < 0.1, rng.choice(("ana@example.com", "luis@example.com", None)), "es",
            stamp(created + timedelta(minutes=480)),
            stamp(created + timedelta(minutes=first)) if first else None,
            stamp(created + timedelta(minutes=done)) if done else None,
            stamp(created + timedelta(minutes=done + 2880)) if status == "closed" and done
            else None, int(rng.random() < 0.06), stamp(created), stamp(created), 1,
            stamp(created + timedelta(minutes=2880)), 0.0, 0, first, first and first * 0.4,
            done, done and done * 0.35)


TICKET_SQL = (
    "INSERT INTO tickets (id, number, contact_id, conversation_id, channel, subject, "
    "description, category, priority, status, level, vip, assignee, language, "
    "first_response_due_at, first_response_at, resolved_at, closed_at, reopen_count, "
    "created_at, updated_at, business_time, resolution_due_at, sla_paused_minutes, page_count, "
    "first_response_minutes, first_response_business_minutes, resolution_minutes, "
    "resolution_business_minutes) VALUES (" + ", ".join("?" * 29) + ")")


def seed(cursor: Any, rng: random.Random) -> None:
    cursor.execute("INSERT INTO contacts (id, name, vip, created_at) VALUES "
                   "(1, 'Bench', 0, ?)", (stamp(START),))
    tickets = [ticket_row(n, rng) for n in range(1, TICKETS + 1)]
    conversations = [(t[0], 1, t[4], "x", "idle", "{}", 0, t[19], t[19]) for t in tickets]
    conversations += [(TICKETS + n, 1, "whatsapp", "x", "idle", "{}", int(rng.random() < 0.6),
                       stamp(START + timedelta(minutes=rng.randrange(525_600))), stamp(NOW))
                      for n in range(1, KB_CONVERSATIONS + 1)]
    cursor.executemany("INSERT INTO conversations (id, contact_id, channel, address, state, "
                       "context, resolved_by_bot, created_at, updated_at) VALUES "
                       "(?, ?, ?, ?, ?, ?, ?, ?, ?)", conversations)
    cursor.executemany(TICKET_SQL, tickets)
    total = len(conversations)
    cursor.executemany(
        "INSERT INTO messages (direction, channel, provider_message_id, contact_id, "
        "conversation_id, ticket_id, sender, text, attachments, raw, status, created_at) "
        "VALUES ('in', 'whatsapp', ?, 1, ?, ?, 'x', 'hola', '[]', '{}', 'processed', ?)",
        ((f"m{i}", c, c if c <= TICKETS and i % 3 else None, conversations[c - 1][7])
         for i, c in ((i, i % total + 1) for i in range(MESSAGES))))
    cursor.executemany(
        "INSERT INTO ratings (ticket_id, contact_id, resolution, channel, language, agent, "
        "requested_at, request_status, score, rated_at, change_count) VALUES "
        "(?, 1, 0, ?, 'es', ?, ?, 'queued', ?, ?, 0)",
        ((t[0], t[4], t[12], t[16], s, t[16] if s else None) for t in tickets if t[16]
         for s in [rng.choice((None, 1, 2, 3, 4, 5, 5, 5))]))
    cursor.executemany("INSERT INTO ticket_events (ticket_id, actor, action, at) VALUES "
                       "(?, 'bot', 'escalated', ?)", ((t[0], t[19]) for t in tickets[::10]))


def timed(session: Any, period: Any, by: str | None) -> tuple[float, float, dict[str, Any]]:
    """Every section of the report, rendered as JSON and as tables: (wall s, CPU s, figures)."""
    started, cpu = time.perf_counter(), time.process_time()
    figures = build_report(session, period, by)
    to_json(figures)
    to_table(figures)
    return time.perf_counter() - started, time.process_time() - cpu, figures


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        raw = engine.raw_connection()
        seed(raw.cursor(), random.Random(7))
        raw.commit()
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")  # a database at rest
        raw.close()
        period = make_period(NOW, ZoneInfo("America/Bogota"), since="365d")
        with make_session_factory(engine)() as session:
            elapsed, cpu, figures = timed(session, period, None)
            by_elapsed, _, _ = timed(session, period, "category")
        engine.dispose()
    verdict = "ok" if elapsed <= 5 else "SLOW"
    print(f"report: {TICKETS:,} tickets, {MESSAGES:,} messages, SQLite: {elapsed:.2f} s "
          f"wall, {cpu:.2f} s CPU (target ≤ 5 s) {verdict}; with --by category "
          f"{by_elapsed:.2f} s; {figures['tickets_created']:,} tickets in the report")


if __name__ == "__main__":
    main()
