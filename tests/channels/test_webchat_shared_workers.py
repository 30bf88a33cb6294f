"""Two real `atiende serve` workers on one PostgreSQL share what the widget counts and sees:
the rate limits hold across both (the hit over the limit gets 429 with Retry-After on the other
worker), and an agent's reply sent by one worker is not mailed to a visitor whose stream is open
on the other; with no stream open anywhere it is mailed exactly once."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.desk.relay import enqueue_answer
from bot.store.db import make_engine, make_session_factory, transaction
from bot.store.models import ContactIdentity, OutboxItem, Ticket, WebStream
from tests.channels.conftest import ENV
from tests.channels.webchat_site import sse_events
from tests.conftest import postgres_schema
from tests.fakes.twilio_api import FakeTwilio
from tests.servers.serve_workers import WorkerPool, write_config
from tests.servers.smtp_sink import SmtpSink

MESSAGES_PER_MINUTE = 3
COMPLAINT = "Quiero hablar con un agente: la factura 4455 me llegó con un cobro doble"
VISITOR_EMAIL = "ana@cliente.com"


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    yield from postgres_schema()


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    started = SmtpSink().start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def pool(pg_url: str, tmp_path_factory: pytest.TempPathFactory, twilio_server: FakeTwilio,
         sink: SmtpSink) -> Iterator[WorkerPool]:
    folder = tmp_path_factory.mktemp("shared-workers")
    env = ENV | {"ATIENDE_SECRET_KEY": "shared-workers",
                 "ATIENDE__CHANNELS__WEB__MESSAGES_PER_MINUTE": str(MESSAGES_PER_MINUTE)}
    workers = WorkerPool(folder, write_config(folder, pg_url, twilio_server.url, sink.port),
                         env, 2)
    workers.upgrade()
    try:
        workers.start_all()
        yield workers
    finally:
        for worker in workers.alive():   # one may have been paused by a test
            assert worker.proc is not None
            worker.proc.send_signal(signal.SIGCONT)
        workers.stop_all()


@pytest.fixture(scope="module")
def factory(pg_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(pg_url)
    yield make_session_factory(engine)
    engine.dispose()


def eventually(check: Callable[[], Any], what: str, seconds: float = 60.0) -> Any:
    """A bounded wait for the workers' background work (not a deadline of the code)."""
    limit = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < limit, f"timed out waiting for {what}"
        time.sleep(0.1)
    return found


def inside_one_minute() -> None:
    """The workers' clocks are real: start a burst well inside one minute's window, so the
    previous minute's weight cannot let an extra message through."""
    left = 60 - time.time() % 60
    if left < 15:
        time.sleep(left + 0.5)


def test_a_visitors_limit_holds_across_both_workers(pool: WorkerPool) -> None:
    a, b = (worker.url for worker in pool.workers)
    with httpx.Client(timeout=30) as http:
        token = http.post(f"{a}/widget/api/session", json={}).json()["token"]
        headers = {"X-Atiende-Visitor": token}

        def post(worker: str, ident: str) -> httpx.Response:
            return http.post(f"{worker}/widget/api/messages", headers=headers,
                             json={"id": ident, "text": f"hola {ident}"})

        inside_one_minute()
        first, second = post(a, "limited-1"), post(b, "limited-2")
        repeat = post(b, "limited-1")   # a retry of A's message on B: its booking is given back
        third, over = post(a, "limited-3"), post(b, "limited-4")
    assert [r.status_code for r in (first, second, third)] == [202] * MESSAGES_PER_MINUTE
    assert repeat.status_code == 200 and repeat.json()["duplicate"]
    assert over.status_code == 429 and int(over.headers["Retry-After"]) >= 1
    assert f"{MESSAGES_PER_MINUTE} messages a minute" in over.json()["error"]


def open_streams(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(WebStream)) or 0


def visitors_ticket(factory: sessionmaker[Session]) -> int | None:
    """The ticket of the contact who left VISITOR_EMAIL."""
    owner = select(ContactIdentity.contact_id).where(ContactIdentity.address == VISITOR_EMAIL)
    with factory() as session:
        return session.scalar(select(Ticket.id).where(Ticket.contact_id.in_(owner)))


def agent_answers(factory: sessionmaker[Session], text: str) -> int:
    ticket_id = eventually(lambda: visitors_ticket(factory), "the visitor's ticket")
    with transaction(factory) as session:
        ticket = session.get_one(Ticket, ticket_id)
        outbox_id = enqueue_answer(session, ticket, text, ticket.created_at)
    assert outbox_id is not None
    return outbox_id


def sent(factory: sessionmaker[Session], outbox_id: int) -> bool:
    with factory() as session:
        return session.get(OutboxItem, outbox_id).status == "sent"   # type: ignore[union-attr]


def copies(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(OutboxItem.status).where(
            OutboxItem.channel == "email", OutboxItem.recipient == VISITOR_EMAIL)))


def test_a_reply_is_mailed_only_when_no_worker_holds_a_stream(
        pool: WorkerPool, factory: sessionmaker[Session], sink: SmtpSink) -> None:
    a, b = pool.workers
    with httpx.Client(timeout=httpx.Timeout(30, read=20)) as http:
        token = http.post(f"{a.url}/widget/api/session", json={}).json()["token"]
        headers = {"X-Atiende-Visitor": token}
        assert http.post(f"{a.url}/widget/api/messages", headers=headers,
                         json={"id": "complaint-1", "text": COMPLAINT}).status_code == 202
        eventually(lambda: replied(http, a.url, headers), "the bot's answer")
        left = http.post(f"{a.url}/widget/api/email", headers=headers,
                         json={"email": VISITOR_EMAIL})
        assert left.status_code == 200, left.text
        with http.stream("GET", f"{b.url}/widget/api/events", headers=headers) as on_b:
            events = sse_events(on_b)
            assert next(events)[0] == "history"
            eventually(lambda: open_streams(factory) == 1, "the stream's record")
            assert b.proc is not None
            b.proc.send_signal(signal.SIGSTOP)   # B cannot send: A's dispatcher must
            try:
                first = agent_answers(factory, "Mientras miras el chat en otra pestaña")
                eventually(lambda: sent(factory, first), "worker A sending the reply")
            finally:
                b.proc.send_signal(signal.SIGCONT)
            live = next(data for kind, data in events if kind == "message"
                        and data["id"] == f"out-{first}")   # B's stream got it live
            assert live["text"] == "Mientras miras el chat en otra pestaña"
        assert copies(factory) == []
        eventually(lambda: open_streams(factory) == 0, "the closed stream's record to go")
        second = agent_answers(factory, "Y ahora que te fuiste")
        eventually(lambda: sent(factory, second), "the reply with no stream open")
        eventually(lambda: copies(factory) == ["sent"], "the one copy by email")
    mailed = eventually(lambda: sink.to(VISITOR_EMAIL), "the copy in the SMTP sink")
    assert len(mailed) == 1 and "Y ahora que te fuiste" in mailed[0].message.get_content()


def replied(http: httpx.Client, worker: str, headers: dict[str, str]) -> bool:
    entries = http.get(f"{worker}/widget/api/history", headers=headers).json()["messages"]
    return bool(entries) and entries[-1]["direction"] == "out"
