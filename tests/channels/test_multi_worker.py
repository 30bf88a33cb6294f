"""Four real `atiende serve` workers on one PostgreSQL: concurrent conversations spread over
them, tickets coming due, one worker killed with SIGKILL mid-load and restarted — every
message stored and handled once, every reply and escalation exactly once.

One run (module scope: four workers take a while to start on a busy machine) and one test
per guarantee. After the kill, what the killed worker had stored but not handled waits for
the retry job's cutoff (`jobs.retry_unrouted_seconds`), and a reply it had claimed waits for
its lease (`outbox.claim_seconds`): 10 s each here (the fake Twilio answers in milliseconds),
a minute by default.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.channels.conftest import ENV
from tests.conftest import postgres_schema
from tests.fakes.twilio_api import FakeTwilio
from tests.servers.serve_workers import WorkerPool, write_config
from tests.servers.smtp_sink import SmtpSink
from tests.servers.worker_load import (
    Findings,
    Load,
    check,
    seed_due_tickets,
    send_load,
    utc_now,
    wait_settled,
)

WORKERS, CONVERSATIONS, PER_CONVERSATION, DUE = 4, 20, 4, 20
RETRY_SECONDS = CLAIM_SECONDS = 10


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    yield from postgres_schema()


@pytest.fixture(scope="module")
def kill_run(pg_url: str, tmp_path_factory: pytest.TempPathFactory,
             twilio_server: FakeTwilio) -> Iterator[tuple[Load, Findings, WorkerPool]]:
    """The load over four workers, worker 1 killed with SIGKILL halfway and restarted."""
    twilio_server.reset()
    sink = SmtpSink().start()
    folder = tmp_path_factory.mktemp("workers")
    pool = WorkerPool(folder, write_config(folder, pg_url, twilio_server.url, sink.port,
                                           retry_seconds=RETRY_SECONDS,
                                           claim_seconds=CLAIM_SECONDS),
                      ENV | {"ATIENDE_SECRET_KEY": "multi-worker"}, WORKERS)
    pool.upgrade()
    try:
        yield run_with_kill(pool, pg_url, twilio_server, sink)
    finally:
        pool.stop_all()
        sink.stop()


def run_with_kill(pool: WorkerPool, pg_url: str, twilio: FakeTwilio,
                  sink: SmtpSink) -> tuple[Load, Findings, WorkerPool]:
    due = seed_due_tickets(pg_url, DUE // 2, utc_now())
    pool.start_all()   # four start-up sweeps race for the first half of the due tickets
    victim = pool.workers[1]

    def kill_and_restart() -> None:
        pool.kill9(victim)
        due.extend(seed_due_tickets(pg_url, DUE - DUE // 2, utc_now()))
        pool.start(victim)   # its start-up sweep races the others' for the second half
        pool.wait_ready(victim)

    load = asyncio.run(send_load(pool, CONVERSATIONS, PER_CONVERSATION, concurrency=16,
                                 at_half=kill_and_restart))
    wait_settled(pg_url, len(load.acked), due, timeout=180)
    return load, check(pg_url, load, twilio, sink, due), pool


def test_every_message_is_acknowledged_and_the_killed_worker_came_back(
        kill_run: tuple[Load, Findings, WorkerPool]) -> None:
    load, _, pool = kill_run
    assert len(load.acked) == CONVERSATIONS * PER_CONVERSATION
    assert pool.workers[1].starts == 2 and len(pool.alive()) == WORKERS


def test_nothing_acknowledged_is_lost_and_each_message_is_stored_and_handled_once(
        kill_run: tuple[Load, Findings, WorkerPool]) -> None:
    _, found, _ = kill_run
    assert (found.lost, found.stored_twice, found.unhandled, found.handled_twice) == (
        0, 0, 0, 0), found.examples


def test_every_reply_row_reaches_twilio(kill_run: tuple[Load, Findings, WorkerPool]) -> None:
    _, found, _ = kill_run
    assert found.replies_missing == 0, found.examples


def test_every_due_ticket_is_escalated_and_its_agent_mailed_exactly_once(
        kill_run: tuple[Load, Findings, WorkerPool]) -> None:
    _, found, _ = kill_run
    assert (found.escalations_doubled, found.escalations_missing) == (0, 0), found.examples
    assert (found.notices_doubled, found.notices_missing) == (0, 0), found.examples


def test_no_reply_is_sent_twice_across_the_kill(
        kill_run: tuple[Load, Findings, WorkerPool]) -> None:
    _, found, _ = kill_run
    assert found.replies_doubled == 0, found.examples


def test_each_conversation_is_handled_and_answered_in_order(
        kill_run: tuple[Load, Findings, WorkerPool]) -> None:
    _, found, _ = kill_run
    assert found.out_of_order == 0, found.examples
