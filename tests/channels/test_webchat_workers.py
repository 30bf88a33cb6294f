"""Two real `atiende serve` workers on one PostgreSQL: a visitor's streams on both workers get
every reply live, whichever worker's dispatcher sent it (LISTEN/NOTIFY), and a stream that
reconnects with Last-Event-ID gets what it missed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from channels.webchat.stream import RECHECK_SECONDS
from tests.channels.conftest import ENV
from tests.channels.webchat_site import sse_events
from tests.conftest import postgres_schema
from tests.fakes.twilio_api import FakeTwilio
from tests.servers.serve_workers import WorkerPool, write_config
from tests.servers.smtp_sink import SmtpSink

QUESTIONS = ["¿Cuál es el horario de soporte?", "¿Cómo exporto mis datos?",
             "How do I reopen a resolved ticket?", "What are the first response times?"]
# A read on a stream gives up well before the stream's own safety-net recheck would run:
# what arrives came by the announcement.
READ_SECONDS = RECHECK_SECONDS / 3


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from postgres_schema()


@pytest.fixture
def pool(pg_url: str, tmp_path_factory: pytest.TempPathFactory,
         twilio_server: FakeTwilio) -> Iterator[WorkerPool]:
    sink = SmtpSink().start()
    folder = tmp_path_factory.mktemp("web-workers")
    workers = WorkerPool(folder, write_config(folder, pg_url, twilio_server.url, sink.port),
                         ENV | {"ATIENDE_SECRET_KEY": "web-workers"}, 2)
    workers.upgrade()
    try:
        workers.start_all()
        yield workers
    finally:
        workers.stop_all()
        sink.stop()


def next_reply(events: Iterator[tuple[str, Any]], want: str | None = None) -> dict[str, Any]:
    """The next outbound message on a stream (the one with id `want`, when given)."""
    for kind, data in events:
        if kind == "message" and data["direction"] == "out" and want in (None, data["id"]):
            return data
    raise AssertionError("the stream ended")


def test_both_workers_streams_get_every_reply_and_a_reconnect_gets_the_missed_one(
        pool: WorkerPool) -> None:
    a, b = (worker.url for worker in pool.workers)
    timeout = httpx.Timeout(30, read=READ_SECONDS)
    with httpx.Client(timeout=timeout) as http:
        token = http.post(f"{a}/widget/api/session", json={}).json()["token"]
        headers = {"X-Atiende-Visitor": token}
        with http.stream("GET", f"{a}/widget/api/events", headers=headers) as on_a, \
                http.stream("GET", f"{b}/widget/api/events", headers=headers) as on_b:
            events_a, events_b = sse_events(on_a), sse_events(on_b)
            assert next(events_a) == ("history", []) and next(events_b) == ("history", [])
            for number, question in enumerate(QUESTIONS):
                posted = http.post(f"{(a, b)[number % 2]}/widget/api/messages", headers=headers,
                                   json={"id": f"question-{number}", "text": question})
                assert posted.status_code == 202, posted.text
                reply = next_reply(events_a)                     # whichever worker sent it,
                assert next_reply(events_b, reply["id"]) == reply   # both streams have it
            last_seen = reply["id"]
        missed = ask_while_away(http, b, headers)
        resumed = {**headers, "Last-Event-ID": last_seen}
        with http.stream("GET", f"{a}/widget/api/events", headers=resumed) as again:
            kind, entries = next(sse_events(again))
    assert kind == "history" and entries == missed


def ask_while_away(http: httpx.Client, worker: str, headers: dict[str, str],
                   seconds: float = 60.0) -> list[dict[str, Any]]:
    """Ask once more with no stream open; the history's new entries once answered (a bounded
    wait for the engine's background work, not a deadline of the code under test)."""
    before = len(http.get(f"{worker}/widget/api/history", headers=headers).json()["messages"])
    http.post(f"{worker}/widget/api/messages", headers=headers,
              json={"id": "while-away", "text": QUESTIONS[0]})
    limit = time.monotonic() + seconds
    while time.monotonic() < limit:
        entries = http.get(f"{worker}/widget/api/history", headers=headers).json()["messages"]
        new = entries[before:]
        if new and new[-1]["direction"] == "out":
            return new
        time.sleep(0.1)
    raise AssertionError("no answer while away")
