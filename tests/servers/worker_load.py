"""Load for several workers and what it must leave behind: signed WhatsApp messages over many
conversations (each conversation's messages in turn, spread over the workers like a load
balancer would), tickets coming due, and the checks — stored once, handled once and in order,
every reply and escalation exactly once."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.orm import Session

from bot.store.models import Contact, ContactIdentity, Message, OutboxItem, Ticket, TicketEvent
from tests.fakes.clients import twilio_params, twilio_signature
from tests.fakes.twilio_api import FakeTwilio
from tests.servers.serve_workers import PUBLIC_URL, WorkerPool
from tests.servers.smtp_sink import SmtpSink

PATH = "/webhooks/whatsapp"
QUESTIONS = ["¿Cuál es el horario de atención?", "¿Cómo exporto mis datos?",
             "What are your support hours?"]   # each one KB answer, no ticket
DUE_AGENT = "luis@example.com"   # level 2: a level-1 ticket escalated tells them


@dataclass
class Load:
    acked: dict[str, str] = field(default_factory=dict)     # MessageSid → sender, when 200
    order: dict[str, list[str]] = field(default_factory=dict)   # sender → sids, acked order
    statuses: Counter[int] = field(default_factory=Counter)  # every answer (0: no connection)
    wrong_200: int = 0                                        # 200 for what was not stored
    seconds: float = 0.0


def sender_of(conversation: int) -> str:
    return f"whatsapp:+5730{conversation:08d}"


async def post_once(client: httpx.AsyncClient, url: str, params: dict[str, str]) -> int:
    headers = {"X-Twilio-Signature": twilio_signature(PUBLIC_URL, PATH, params)}
    try:
        response = await client.post(url + PATH, data=params, headers=headers)
    except httpx.TransportError:
        return 0
    return response.status_code


class Sender:
    """Posts like Twilio: a message is retried (on another worker) until it gets a 200."""

    def __init__(self, pool: WorkerPool, load: Load, give_up_s: float = 120) -> None:
        self.pool = pool
        self.load = load
        self.turn = itertools.count()
        self.give_up_s = give_up_s

    def next_url(self) -> str:
        alive = self.pool.alive() or self.pool.workers
        return alive[next(self.turn) % len(alive)].url

    async def deliver(self, client: httpx.AsyncClient, params: dict[str, str]) -> None:
        give_up = time.monotonic() + self.give_up_s
        while time.monotonic() < give_up:
            status = await post_once(client, self.next_url(), params)
            self.load.statuses[status] += 1
            if status == 200:
                self.load.acked[params["MessageSid"]] = params["From"]
                self.load.order.setdefault(params["From"], []).append(params["MessageSid"])
                return
            await asyncio.sleep(0.2 if status else 0.05)
        raise AssertionError(f"{params['MessageSid']} never acknowledged")

    async def conversation(self, client: httpx.AsyncClient, number: int, count: int,
                           gate: asyncio.Semaphore, tick: Callable[[], None]) -> None:
        async with gate:
            for turn in range(count):
                params = twilio_params(QUESTIONS[(number + turn) % len(QUESTIONS)],
                                       sender=sender_of(number))
                await self.deliver(client, params)
                tick()


async def send_load(pool: WorkerPool, conversations: int, per_conversation: int,
                    concurrency: int = 32, at_half: Callable[[], object] | None = None,
                    load: Load | None = None) -> Load:
    """Every conversation's messages one after the other, conversations side by side;
    `at_half` runs (in a thread) once half the messages are acknowledged."""
    load = load or Load()
    total, done = conversations * per_conversation, [0]
    sender, gate = Sender(pool, load), asyncio.Semaphore(concurrency)
    fired: list[asyncio.Future[object]] = []

    def tick() -> None:
        done[0] += 1
        if at_half is not None and done[0] == total // 2:
            fired.append(asyncio.ensure_future(asyncio.to_thread(at_half)))

    started = time.monotonic()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await asyncio.gather(*(sender.conversation(client, n, per_conversation, gate, tick)
                               for n in range(conversations)))
    await asyncio.gather(*fired)
    load.seconds = time.monotonic() - started
    return load


def seed_due_tickets(db_url: str, count: int, now: datetime) -> list[int]:
    """`count` open level-1 tickets whose first-response target passed an hour ago."""
    engine = create_engine(db_url)
    past = now - timedelta(hours=1)
    with Session(engine) as session, session.begin():
        tickets = []
        for n in range(count):
            contact = Contact(name=f"Cliente {n}", language="es", created_at=past)
            session.add(contact)
            session.flush()
            session.add(ContactIdentity(contact_id=contact.id, channel="email",
                                        address=f"due{n}-{now.timestamp():.0f}@cliente.test"))
            tickets.append(Ticket(contact_id=contact.id, channel="email",
                                  subject=f"Vence {n}", priority="medium", level=1,
                                  first_response_due_at=past, next_deadline_at=past,
                                  created_at=past - timedelta(hours=1), updated_at=past))
        session.add_all(tickets)
        session.flush()
        ids = [t.id for t in tickets]
        session.execute(update(Ticket).where(Ticket.id.in_(ids)).values(number=Ticket.id))
    engine.dispose()
    return ids


@dataclass
class Findings:
    lost: int = 0             # acknowledged, not stored
    stored_twice: int = 0
    unhandled: int = 0        # stored, not processed
    handled_twice: int = 0    # more replies to one message than to its twins
    out_of_order: int = 0     # conversations handled or delivered out of order
    replies_doubled: int = 0  # one outbox part accepted by Twilio more than once
    replies_missing: int = 0  # outbox rows never accepted by Twilio
    escalations_doubled: int = 0
    escalations_missing: int = 0
    notices_doubled: int = 0  # one escalation mail delivered more than once
    notices_missing: int = 0
    examples: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if isinstance(v, int)}

    def is_clean(self) -> bool:
        return not any(self.counts().values())

    def line(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.counts().items())

    def note(self, example: str) -> None:
        if len(self.examples) < 10:
            self.examples.append(example)


def is_settled(db_url: str, expected: int, due: list[int]) -> bool:
    """Every acknowledged message handled, every due ticket swept, nothing left to send."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            handled = connection.execute(select(func.count()).select_from(Message).where(
                Message.direction == "in", Message.status == "processed")).scalar_one()
            # a claimed row (`sending`) is not sent yet either: a claim whose outcome was lost
            # in the outage waits for its lease to end, then for Twilio's lookup
            pending = connection.execute(select(func.count()).select_from(OutboxItem).where(
                OutboxItem.status.in_(("pending", "sending")))).scalar_one()
            swept = connection.execute(select(func.count(func.distinct(
                TicketEvent.ticket_id))).where(TicketEvent.action == "escalated",
                                               TicketEvent.ticket_id.in_(due))).scalar_one()
    finally:
        engine.dispose()
    return handled >= expected and pending == 0 and swept >= len(due)


def wait_settled(db_url: str, expected: int, due: list[int], timeout: float = 120) -> float:
    started = time.monotonic()
    while not is_settled(db_url, expected, due):
        if time.monotonic() - started > timeout:
            break
        time.sleep(0.25)
    time.sleep(1.5)   # a second outbox pass: anything sent twice would show now
    return time.monotonic() - started


def check(db_url: str, load: Load, twilio: FakeTwilio, sink: SmtpSink,
          due: list[int]) -> Findings:
    found = Findings()
    engine = create_engine(db_url)
    with Session(engine) as session:
        check_messages(session, load, found)
        check_replies(session, twilio, found)
        check_escalations(session, sink, due, found)
    engine.dispose()
    return found


def check_messages(session: Session, load: Load, found: Findings) -> None:
    rows = session.execute(select(Message.provider_message_id, Message.status, Message.id)
                           .where(Message.channel == "whatsapp", Message.direction == "in")).all()
    by_sid = Counter(sid for sid, _, _ in rows)
    found.stored_twice = sum(1 for n in by_sid.values() if n > 1)
    found.lost = sum(1 for sid in load.acked if sid not in by_sid)
    found.unhandled = sum(1 for _, status, _ in rows if status != "processed")
    ids = {sid: mid for sid, _, mid in rows}
    replies = session.execute(select(OutboxItem.in_reply_to, OutboxItem.recipient)
                              .where(OutboxItem.channel == "whatsapp")
                              .order_by(OutboxItem.id)).all()
    per_message = Counter(mid for mid, _ in replies)
    counts = Counter(per_message[ids[sid]] for sid in load.acked if sid in ids)
    usual = counts.most_common(1)[0][0] if counts else 0
    found.handled_twice = sum(1 for sid in load.acked if sid in ids
                              and per_message[ids[sid]] > max(usual, 1))
    handled: dict[str, list[int]] = defaultdict(list)
    for mid, recipient in replies:
        if mid is not None and (not handled[recipient] or handled[recipient][-1] != mid):
            handled[recipient].append(mid)
    for sender, sids in load.order.items():
        stored = [ids[s] for s in sids if s in ids]
        if handled.get(sender, []) != [m for m in stored if per_message[m]]:
            found.out_of_order += 1
            found.note(f"{sender}: stored {stored}, handled {handled.get(sender)}")


def outbox_id(callback: str | None) -> int | None:
    values = parse_qs(urlparse(callback or "").query).get("outbox")
    return int(values[0]) if values else None


def was_accepted(bodies: dict[int | None, str], row_id: int, payload: dict[str, Any]) -> bool:
    """Twilio took this row's message; a reply joined into an earlier row's message
    (outbox.join_replies) went out inside that one, with its text."""
    host = payload.get("joined_into")
    if host is None:
        return row_id in bodies
    return host in bodies and payload.get("text", "") in (bodies[host] or "")


def check_replies(session: Session, twilio: FakeTwilio, found: Findings) -> None:
    sent = Counter((outbox_id(r.one("StatusCallback")), r.one("Body")) for r in twilio.messages)
    found.replies_doubled = sum(n - 1 for n in sent.values())
    rows = session.execute(select(OutboxItem.id, OutboxItem.payload, OutboxItem.status,
                                  OutboxItem.attempts, OutboxItem.last_error).where(
        OutboxItem.channel == "whatsapp").order_by(OutboxItem.id)).all()
    bodies = {row_id: body for row_id, body in sent}
    for row_id, payload, status, attempts, error in rows:
        if not was_accepted(bodies, row_id, payload):
            found.replies_missing += 1
            found.note(f"outbox row {row_id} ({status}, {attempts} attempts, {error}, joined "
                       f"into {payload.get('joined_into')}) not taken by Twilio")
    delivered: dict[str, list[int]] = defaultdict(list)
    for record in twilio.messages:
        row = outbox_id(record.one("StatusCallback"))
        if row is not None:
            delivered[str(record.one("To"))].append(row)
    for recipient, rows_sent in delivered.items():
        if rows_sent != sorted(rows_sent):
            found.out_of_order += 1
            found.note(f"{recipient}: outbox rows delivered as {rows_sent}")
    for (row, _), n in sent.items():
        if n > 1:
            found.note(f"outbox row {row} accepted by Twilio {n} times")


def check_escalations(session: Session, sink: SmtpSink, due: list[int],
                      found: Findings) -> None:
    events = Counter(session.scalars(select(TicketEvent.ticket_id).where(
        TicketEvent.action == "escalated", TicketEvent.ticket_id.in_(due))))
    found.escalations_doubled = sum(n - 1 for n in events.values() if n > 1)
    found.escalations_missing = sum(1 for t in due if events[t] == 0)
    numbers = {f"[#{t}] Vence" for t in due}
    mails = Counter(str(r.message["Subject"]).split(" ", 1)[0] for r in sink.received
                    if DUE_AGENT in r.rcpt_tos and " ".join(
                        str(r.message["Subject"]).split(" ", 2)[:2]) in numbers)
    found.notices_doubled = sum(n - 1 for n in mails.values() if n > 1)
    found.notices_missing = len(due) - len(mails)
    if found.notices_missing:
        subjects = [str(r.message["Subject"]) for r in sink.received][:5]
        found.note(f"mails to {DUE_AGENT}: {subjects}")


def utc_now() -> datetime:
    return datetime.now(UTC)
