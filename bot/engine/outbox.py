"""The outbox: replies are rows written with the state change; a dispatcher delivers them."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Integer, Select, Update, bindparam, case, func, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import get_history, set_committed_value

from bot.engine.outbox_join import JOIN_KEYS, JOINED, can_host, join_later_replies, sent_text
from bot.engine.outbox_signal import mark_queued
from bot.engine.routing_backlog import RoutingBacklog
from bot.store.driver_sql import select_in
from bot.store.models import OutboxItem, Rating, Ticket, open_outbox_row
from bot.store.persist import add_row, defers_rows, is_deferred, write_rows
from bot.web import metrics
from channels.base import Channel, DeliveryError, DeliveryHeld, OutboundMessage

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
JITTER = 0.2  # retries wait up to 20 % longer, at random, so rows that failed together spread out
CONCURRENT_SENDS = 16  # recipients served at once; each recipient's rows still go in order
MAX_DOUBLINGS = 16  # 30 s · 2**16 is far past MAX_BACKOFF; keeps the arithmetic small
SENDING = "sending"  # claimed and committed before the provider call
CLAIM_SECONDS = 60.0  # a claim older than this was left by a process that died mid-send
# The longest a bot reply waits for the replies to its recipient's next messages (stored, not
# routed yet) to join it; and how many such recipients' rows one claim reads past.
REPLY_WAIT = timedelta(seconds=2)
MAX_WAITING_SCAN = 1000
UNKNOWN_OUTCOME = ("outcome unknown: the process stopped while sending and this channel cannot "
                   "look the send up; not sent again (at most once). `atiende outbox retry` "
                   "sends it again")
OUTBOX = OutboxItem.__table__
BUSY = OUTBOX.alias("busy")   # built once: `due_where` runs on every wake of the dispatcher
NOW = bindparam("now", type_=OUTBOX.c.next_attempt_at.type)   # the due statements' parameters
LIMIT = bindparam("limit", type_=Integer())
CLAIM = (update(OUTBOX).where(OUTBOX.c.id == bindparam("row_id"),
                              OUTBOX.c.status == bindparam("old_status"),
                              OUTBOX.c.attempts == bindparam("old_attempts"))
         .values(status=SENDING, attempts=OUTBOX.c.attempts + 1,
                 next_attempt_at=bindparam("lease_end")))


def enqueue(session: Session, *, channel: str, recipient: str, text: str, now: datetime,
            buttons: tuple[str, ...] = (), kind: str = "reply", conversation_id: int | None = None,
            ticket_id: int | None = None, in_reply_to: int | None = None,
            subject: str | None = None, flush: bool = True) -> OutboxItem:
    """Add one outbound message to the caller's transaction (`subject` is for email), as an
    object whose id the caller needs (`enqueue_row` when nobody does).

    With `flush=False` the row gets its id at the caller's next flush. Inside a routing batch
    the rows the batch queued so far are written first and this one at once, so each
    recipient's rows keep the order they were queued in.
    """
    item = OutboxItem(**outbox_row(channel, recipient, text, now, buttons, kind,
                                   conversation_id, ticket_id, in_reply_to, subject))
    session.add(item)
    mark_queued(session)
    if defers_rows(session):
        write_rows(session, OutboxItem)
        flush = True
    if flush:
        session.flush()
    return item


def enqueue_row(session: Session, *, channel: str, recipient: str, text: str,
                now: datetime, buttons: tuple[str, ...] = (), kind: str,
                conversation_id: int | None = None, ticket_id: int | None = None,
                in_reply_to: int | None = None, subject: str | None = None,
                send_at: datetime | None = None) -> dict[str, object]:
    """Like `enqueue`, for a message whose row nobody needs back (replies, agent notices,
    pages, customer notices): inside a routing batch it is written with the batch's other
    rows at its end, in one statement (SQLite would take one INSERT per ORM object). The
    row's values are returned: changing them before then changes the row (`still_queued`).
    `send_at`: not before then (e.g. after quiet hours)."""
    row = outbox_row(channel, recipient, text, now, buttons, kind, conversation_id, ticket_id,
                     in_reply_to, subject)
    if send_at is not None and send_at > now:
        row["next_attempt_at"] = send_at
    add_row(session, OutboxItem, row)
    mark_queued(session)
    return row


def still_queued(session: Session, row: dict[str, object]) -> bool:
    """Whether a routing batch's row from `enqueue_row` is not written yet."""
    return is_deferred(session, OutboxItem, row)


def outbox_row(channel: str, recipient: str, text: str, now: datetime,
               buttons: tuple[str, ...], kind: str, conversation_id: int | None,
               ticket_id: int | None, in_reply_to: int | None,
               subject: str | None) -> dict[str, object]:
    """Every column of a new pending row (deferred rows batch only with the same columns)."""
    payload: dict[str, object] = {"text": text, "buttons": list(buttons), "kind": kind}
    if subject:
        payload["subject"] = subject
    return {"channel": channel, "recipient": recipient, "payload": payload, "status": "pending",
            "attempts": 0, "next_attempt_at": now, "last_error": None,
            "provider_message_id": None, "conversation_id": conversation_id,
            "ticket_id": ticket_id, "in_reply_to": in_reply_to, "created_at": now,
            "sent_at": None}


def held_for(recipients: Any) -> Select[Any]:
    """The rows held for these recipients (it runs for every group of inbound messages)."""
    return select(OutboxItem.id).where(OutboxItem.channel == bindparam("channel"),
                                       OutboxItem.recipient.in_(recipients),
                                       OutboxItem.status == "held")


@dataclass(frozen=True)
class ReleaseHeld:
    """A new message's storing hook: the rows held for its sender become due (they wrote)."""

    channel: str
    recipient: str
    now: Callable[[], datetime]

    def __call__(self, session: Session) -> int:
        return self.together(session, [self])

    @staticmethod
    def together(session: Session, hooks: Sequence[ReleaseHeld]) -> int:
        """Several new messages' hooks at once: one lookup per channel."""
        released = 0
        for channel in dict.fromkeys(hook.channel for hook in hooks):
            recipients = list(dict.fromkeys(h.recipient for h in hooks if h.channel == channel))
            released += release_held(session, channel, recipients, hooks[-1].now())
        return released


def release_held(session: Session, channel: str, recipients: Sequence[str],
                 now: datetime) -> int:
    """Held rows for these recipients become due again (e.g. the customer wrote back)."""
    # On the session's connection: no ORM per-query work (on SQLite, not even Core's).
    held = [row[0] for row in select_in(session.connection(), held_for, {"channel": channel},
                                        recipients)]
    if held:  # the common case writes nothing (SQLite: no write lock taken)
        log.info("%s: %s held message(s) released", channel, len(held))
        session.execute(update(OutboxItem)
                        .where(OutboxItem.id.in_(held), OutboxItem.status == "held")
                        .values(status="pending", next_attempt_at=now))
        mark_queued(session)
    return len(held)


OWN_KEYS = frozenset({"text", "buttons", "kind"}) | JOIN_KEYS


class Claim(NamedTuple):
    """A claim's rows, when the rows left `sending` were claimed (outcome unknown), and how
    many due replies were left pending to wait for their recipients' next messages."""

    items: list[OutboxItem]
    unknown: dict[int, datetime]
    waiting: int


def to_outbound(item: OutboxItem, ticket_number: int | None = None) -> OutboundMessage:
    extra = {key: value for key, value in item.payload.items() if key not in OWN_KEYS}
    text, buttons = sent_text(item.payload)
    return OutboundMessage(
        channel=item.channel, recipient=item.recipient, text=text,
        buttons=buttons, kind=item.payload.get("kind", "reply"),
        ticket_number=ticket_number, outbox_id=item.id,
        metadata={**extra, "ticket_id": item.ticket_id, "conversation_id": item.conversation_id,
                  "in_reply_to": item.in_reply_to},
    )


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Exponential delay before the next try, at least what the provider asked for."""
    doublings = min(max(attempts - 1, 0), MAX_DOUBLINGS)
    delay = min(BASE_BACKOFF * (2 ** doublings), MAX_BACKOFF)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def with_jitter(delay: timedelta, draw: float) -> timedelta:
    """`delay` stretched by up to JITTER; `draw` in [0, 1). Never shorter than `delay`."""
    return delay * (1 + JITTER * min(max(draw, 0.0), 1.0))


class Dispatcher:
    """Delivers due outbox rows through the registered channels, retrying transient errors.

    Send-once across crashes: a row is claimed (status `sending`, the attempt counted, a lease
    in `next_attempt_at`) and committed before the provider is called, and its outcome is
    committed as soon as it is known. A claim whose lease ran out was left by a process that
    died mid-send: its outcome is unknown. Channels that can look a send up (Twilio) resume it,
    sending only what the provider did not take; the others (Telegram, email) are not sent
    again (at most once) and the row is marked failed with the reason.
    """

    def __init__(self, factory: sessionmaker[Session], channels: Mapping[str, Channel],
                 concurrency: int = CONCURRENT_SENDS,
                 jitter: Callable[[], float] = random.random,
                 recipient: str | None = None,
                 claim_seconds: float = CLAIM_SECONDS,
                 writer_turn: Callable[[], AbstractContextManager[object]] = nullcontext,
                 join_replies: bool = True, backlog: RoutingBacklog | None = None) -> None:
        """`recipient` limits the dispatcher to one recipient's rows (a console session
        delivers its own customer's messages only; the others stay pending). `writer_turn`
        is taken around the pump's write transactions (SQLite's one writer, see EngineWork).
        `join_replies`: the pump's claims join a recipient's queued replies (outbox_join).
        `backlog`: with joining, the pump leaves a reply pending (up to REPLY_WAIT) while its
        recipient has messages still to be routed, so their replies join it."""
        self.factory = factory
        self.channels = channels
        self.concurrency = concurrency
        self.jitter = jitter
        self.recipient = recipient
        self.lease = timedelta(seconds=claim_seconds)
        self.writer_turn = writer_turn
        self.poked: asyncio.Event | None = None   # set while a pump runs (see outbox_pump)
        self.statements: dict[str, Select[Any]] = {}   # see `due`
        self.join_limits = {name: int(getattr(channel, "joins_replies_up_to", 0))
                            for name, channel in channels.items() if join_replies}
        self.backlog = backlog if join_replies else None

    def poke(self) -> None:
        """Rows were queued: a pump under way claims them now (call in its event loop)."""
        if self.poked is not None:
            self.poked.set()

    def due(self, first_only: bool = False) -> Select[tuple[OutboxItem]]:
        """Due rows (and claims whose lease ran out), oldest first, skipping recipients with
        a send under way elsewhere (their order must hold); parameters `now` and `limit`.

        `first_only`: only each recipient's oldest due row. Another worker may be claiming
        that one right now (locked and skipped here, not yet `sending`): a later row must not
        be taken past it. The pump claims again as soon as an outcome is written.

        Built once per dispatcher and kind (its channels and recipient are fixed): the pump
        claims after every outcome, and building the statement (and its cache key) each time
        cost more than running it."""
        key = "due_first" if first_only else "due"
        found = self.statements.get(key)
        if found is not None:
            return found
        # `id + 0`: sorted after the due index found them; ordering by the primary key would
        # let SQLite walk the whole table in id order, sent rows and all
        stmt = self.due_where(select(OutboxItem))
        if first_only:
            # `earlier.id + 0`: looked up by ix_outbox_line (the recipient's open rows), not by
            # (channel, recipient, id), which walks their whole sent history
            earlier = OUTBOX.alias("earlier")
            stmt = stmt.where(~select(earlier.c.id).where(
                earlier.c.channel == OutboxItem.channel,
                earlier.c.recipient == OutboxItem.recipient, earlier.c.id + 0 < OutboxItem.id,
                open_outbox_row(earlier.name),   # ix_outbox_line's rows
                earlier.c.next_attempt_at <= NOW).exists())
        stmt = stmt.order_by(OutboxItem.id + 0).limit(LIMIT).with_for_update(skip_locked=True)
        self.statements[key] = stmt
        return stmt

    def due_ids(self) -> Select[tuple[int]]:
        """Whether any row is due (no lock: a plain read); parameter `now`."""
        found = self.statements.get("due_ids")
        if found is None:
            found = self.statements["due_ids"] = self.due_where(select(OutboxItem.id)).limit(1)
        return found

    def due_where(self, stmt: Select[Any]) -> Select[Any]:
        busy = BUSY
        in_flight = (select(busy.c.id).where(
            busy.c.channel == OutboxItem.channel, busy.c.recipient == OutboxItem.recipient,
            open_outbox_row(busy.name),   # ix_outbox_line's rows
            busy.c.status == SENDING, busy.c.next_attempt_at > NOW).exists())
        stmt = stmt.where(OutboxItem.status.in_(("pending", SENDING)),
                          OutboxItem.next_attempt_at <= NOW,
                          OutboxItem.channel.in_(list(self.channels)), ~in_flight)
        if self.recipient is not None:
            stmt = stmt.where(OutboxItem.recipient == self.recipient)
        return stmt

    def claim_due(self, session: Session, now: datetime, limit: int, first_only: bool = False
                  ) -> Claim:
        """Claim due rows and commit the claim; returns them and, for rows whose earlier
        attempt's outcome is unknown, when that attempt was claimed.

        Each claim is conditional on the row being as read (a worker without row locks, on
        SQLite, may have claimed it meanwhile): a row someone else took is left out. The
        serving pump's claims (`first_only`) leave the replies that wait for their
        recipient's next messages (`waits_for_more`) pending; they read past them.
        """
        claimed: list[OutboxItem] = []
        unknown: dict[int, datetime] = {}
        waiting = 0
        stale_lines: set[tuple[str, str, datetime]] = set()
        scan = limit + (min(len(self.backlog), MAX_WAITING_SCAN)
                        if first_only and self.backlog is not None else 0)
        for item in session.scalars(self.due(first_only), {"now": now, "limit": scan}).all():
            if len(claimed) >= limit:
                break
            if first_only and self.waits_for_more(item, now):
                waiting += 1
                continue
            won = session.connection().execute(CLAIM, {
                "row_id": item.id, "old_status": item.status, "old_attempts": item.attempts,
                "lease_end": now + self.lease}).rowcount
            if not won:
                continue
            line = (item.channel, item.recipient, item.next_attempt_at)
            if item.status == SENDING and line not in stale_lines:
                # one claim's rows for one recipient go one at a time, each outcome committed
                # before the next send: only the first left `sending` can have been under way
                unknown[item.id] = item.next_attempt_at - self.lease
            if item.status == SENDING:
                stale_lines.add(line)
            for name, value in (("status", SENDING), ("attempts", item.attempts + 1),
                                ("next_attempt_at", now + self.lease)):
                set_committed_value(item, name, value)   # no history: not an outcome
            claimed.append(item)
        if first_only:   # the serving pump: a recipient's replies queued behind leave together
            join_later_replies(session, claimed, self.join_limits, now)
        session.commit()   # durable before any provider call
        return Claim(claimed, unknown, waiting)

    def waits_for_more(self, item: OutboxItem, now: datetime) -> bool:
        """A fresh plain reply whose recipient has messages still to be routed here: the
        replies to those will join it (routing_backlog). Never longer than REPLY_WAIT."""
        return (self.backlog is not None and item.status == "pending"
                and can_host(item, self.join_limits.get(item.channel, 0), tries_before=0)
                and item.created_at > now - REPLY_WAIT
                and self.backlog.waiting((item.channel, item.recipient)))

    async def deliver_due(self, now: datetime, limit: int = 100) -> int:
        """Try every due row once; returns how many were sent.

        Different recipients are served concurrently; one recipient's rows go in id order.
        Each row's outcome is one UPDATE, committed at once (a status callback that came in
        meanwhile is not overwritten: see `record_outcome`).
        """
        return (await self.deliver_batch(now, limit))[0]

    async def deliver_batch(self, now: datetime, limit: int = 100) -> tuple[int, int]:
        """Like `deliver_due`; returns (sent, claimed): a full batch means more may be due."""
        with self.factory() as session:
            items, unknown, _ = self.claim_due(session, now, limit)
            numbers = ticket_numbers(session, items)
            session.expunge_all()  # outcomes are written by record_outcome, never flushed
            lines: dict[tuple[str, str], list[OutboxItem]] = {}
            for item in items:
                lines.setdefault((item.channel, item.recipient), []).append(item)
            await self.prepare_channels(lines)
            turns = asyncio.Semaphore(self.concurrency)

            async def deliver_line(line: list[OutboxItem]) -> int:
                sent = 0
                for item in line:
                    async with turns:
                        sent += await self.deliver_one(item, now, numbers.get(item.ticket_id),
                                                       unknown.get(item.id))
                    record_outcome(session, item)
                    session.commit()
                return sent

            sent = sum(await asyncio.gather(*(deliver_line(line) for line in lines.values())))
            session.commit()
            return sent, len(items)

    async def prepare_channels(self, lines: Mapping[tuple[str, str], object]) -> None:
        """Channels that can look up a whole batch's recipients at once (`prepare`) do so."""
        recipients: dict[str, list[str]] = {}
        for channel, recipient in lines:
            recipients.setdefault(channel, []).append(recipient)
        for name, addresses in recipients.items():
            prepare = getattr(self.channels[name], "prepare", None)
            if prepare is not None:
                await prepare(addresses)

    async def deliver_one(self, item: OutboxItem, now: datetime,
                          ticket_number: int | None = None,
                          unknown_since: datetime | None = None) -> int:
        sent = await self.attempt(item, now, ticket_number, unknown_since)
        counter = metrics.OUTBOX_SENT if sent else metrics.OUTBOX_FAILED
        counter.labels(item.channel).inc()
        if item.status == "failed":
            metrics.OUTBOX_DEAD_LETTERS.labels(item.channel).inc()
        return sent

    async def attempt(self, item: OutboxItem, now: datetime, ticket_number: int | None,
                      unknown_since: datetime | None = None) -> int:
        channel = self.channels[item.channel]
        if unknown_since is not None and not getattr(channel, "looks_up_sends", False):
            item.status = "failed"   # at most once: the provider cannot say what it took
            item.last_error = UNKNOWN_OUTCOME
            log.warning("outbox %s: %s", item.id, UNKNOWN_OUTCOME)
            return 0
        message = replace(to_outbound(item, ticket_number), resume_after=unknown_since)
        try:
            receipt = await channel.send(message)
        except DeliveryError as exc:
            self.record_failure(item, exc, now)
            return 0
        except Exception as exc:  # an adapter bug must not roll back the rest of the batch
            log.exception("outbox %s: channel %s crashed", item.id, item.channel)
            self.record_failure(item, DeliveryError(f"{type(exc).__name__}: {exc}"), now)
            return 0
        item.status = receipt.status if receipt.status != "sent" else "sent"
        item.provider_message_id = receipt.provider_message_id
        item.sent_at = now
        item.next_attempt_at = now   # the lease is over
        item.last_error = None
        return 1

    def record_failure(self, item: OutboxItem, exc: DeliveryError, now: datetime) -> None:
        item.last_error = str(exc)
        if isinstance(exc, DeliveryHeld):
            item.status = "held"  # until release_held(): the channel said why
            log.info("outbox %s held: %s", item.id, exc)
            return
        if not exc.transient or item.attempts >= MAX_ATTEMPTS:
            item.status = "failed"
            log.warning("outbox %s failed for good after %s attempts: %s", item.id,
                        item.attempts, exc)
            return
        item.status = "pending"
        item.next_attempt_at = now + with_jitter(backoff(item.attempts, exc.retry_after),
                                                 self.jitter())


def ticket_numbers(session: Session, items: Sequence[OutboxItem]) -> dict[int | None, int]:
    """Ticket id → number for the claimed rows, in one query."""
    ids = {item.ticket_id for item in items if item.ticket_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(ids)))
    return {ticket_id: number for ticket_id, number in rows if number is not None}


OUTCOME_COLUMNS = ("status", "attempts", "next_attempt_at", "last_error", "provider_message_id",
                   "sent_at")


def record_outcome(session: Session, item: OutboxItem) -> None:
    """Write what one attempt changed on a (detached) claimed row, and on its rating.

    A status callback may have recorded the send meanwhile (the provider took it and
    reported back before our call returned, or our call timed out): a success is then not
    written over it (only `sent_at` is filled in), and a failure leaves its `status` alone.
    """
    changed = tuple(name for name in OUTCOME_COLUMNS if get_history(item, name).has_changes())
    if changed:
        values = {f"new_{name}": getattr(item, name) for name in changed}
        sent = item.sent_at is not None
        done = session.connection().execute(outcome_update(changed, sent),
                                            {"row_id": item.id, **values})
        if sent and done.rowcount == 0:
            session.execute(update(OutboxItem).where(OutboxItem.id == item.id,
                                                     OutboxItem.sent_at.is_(None))
                            .values(sent_at=item.sent_at))
    track_rating_request(session, item)


@functools.cache
def outcome_update(columns: tuple[str, ...], sent: bool) -> Update:
    """The UPDATE for one set of changed columns, built once per set (a handful exist): a
    success only while the row is still claimed; a failure's status only while claimed."""
    values: dict[str, object] = {name: bindparam(f"new_{name}") for name in columns}
    stmt = update(OUTBOX).where(OUTBOX.c.id == bindparam("row_id"))
    if sent:
        return stmt.where(OUTBOX.c.status == SENDING).values(values)
    if "status" in values:
        values["status"] = case((OUTBOX.c.status == SENDING, bindparam("new_status")),
                                else_=OUTBOX.c.status)
    return stmt.values(values)


def track_rating_request(session: Session, item: OutboxItem) -> None:
    """A rating request's fate shows on its rating: sent, or not sent with the channel's reason
    (say, outside the WhatsApp window with no template)."""
    if item.payload.get("kind") != "rating_request" or item.ticket_id is None:
        return
    if item.status == "sent":
        values: dict[str, object] = {"request_status": "sent", "not_sent_reason": None}
    elif item.status in ("held", "failed"):
        values = {"request_status": "not_sent", "not_sent_reason": item.last_error}
    else:
        return
    latest = (select(func.max(Rating.resolution)).where(Rating.ticket_id == item.ticket_id)
              .scalar_subquery())
    session.execute(update(Rating).where(Rating.ticket_id == item.ticket_id,
                                         Rating.resolution == latest).values(**values))


OUTBOX_STATUSES = ("pending", SENDING, "sent", "delivered", "read", "held", "suppressed", "failed",
                   JOINED)
RETRYABLE_STATUSES = ("failed", "held")


def retry_now(session: Session, item_id: int, now: datetime) -> OutboxItem:
    """Put a dead-letter (or held) row back in the queue with a fresh set of attempts."""
    item = session.get(OutboxItem, item_id)
    if item is None:
        raise LookupError(f"no outbox row {item_id}")
    if item.status not in RETRYABLE_STATUSES:
        raise ValueError(f"outbox row {item_id} is {item.status}; only failed or held rows "
                         "are retried")
    item.status = "pending"
    item.attempts = 0
    item.next_attempt_at = now
    mark_queued(session)
    return item


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxItem.status, func.count()).group_by(OutboxItem.status))
    return {status: count for status, count in rows}
