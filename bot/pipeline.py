"""The inbound pipeline every channel uses: store (deduped), then route in one transaction."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot import metrics
from bot.db import transaction, writer_turn
from bot.engine import RouteResult, route_message, route_messages
from bot.inbox import Accepted, accept_inbound
from bot.models import Message
from bot.turn import EngineContext
from channels.base import InboundMessage

log = logging.getLogger(__name__)
BACKGROUND: set[asyncio.Task[object]] = set()
ROUTE_BATCH = 32
RETRY_BATCH = 50
MAX_ROUTE_FAILURES = 5


async def accept_then_route(factory: sessionmaker[Session], ctx: EngineContext,
                            inbound: InboundMessage,
                            on_new: Callable[[Session], object] | None = None) -> bool:
    """For protocol hooks: store (durable before we acknowledge), route in the background.

    Returns False for a provider retry already stored. `on_new` runs in the storing
    transaction of a new message. Routing failures stay stored as `failed` and are retried
    by the scheduler.
    """
    accepted = await run_in_threadpool(store, factory, ctx, inbound, on_new)
    if accepted.is_new:
        queue_for_routing(factory, ctx, accepted)
    return accepted.is_new


@dataclass
class RoutingQueue:
    """Stored messages waiting to be routed in this event loop, in the order they were stored."""

    waiting: deque[tuple[sessionmaker[Session], EngineContext, Accepted]] = field(
        default_factory=deque)
    task: asyncio.Task[None] | None = None


ROUTING_QUEUES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RoutingQueue] = (
    weakref.WeakKeyDictionary())


def queue_for_routing(factory: sessionmaker[Session], ctx: EngineContext,
                      accepted: Accepted) -> None:
    """Route one stored message soon; messages stored meanwhile join it in one transaction."""
    loop = asyncio.get_running_loop()
    queue = ROUTING_QUEUES.get(loop)
    if queue is None:
        queue = ROUTING_QUEUES[loop] = RoutingQueue()
    queue.waiting.append((factory, ctx, accepted))
    if queue.task is None or queue.task.done():
        task = queue.task = asyncio.create_task(route_waiting(queue))
        BACKGROUND.add(task)
        task.add_done_callback(BACKGROUND.discard)
        task.add_done_callback(lambda _: forget_task(queue, task))


def forget_task(queue: RoutingQueue, task: asyncio.Task[None]) -> None:
    """A finished task no longer keeps its event loop (the queue's weak key) alive."""
    if queue.task is task:
        queue.task = None


def route_stored(factory: sessionmaker[Session], ctx: EngineContext,
                 stored: list[Accepted]) -> list[RouteResult]:
    """Route messages just stored (in that order) in batches; never raises."""
    waiting = deque((factory, ctx, accepted) for accepted in stored)
    results: list[RouteResult] = []
    while waiting:
        _, _, batch = take_batch(waiting)
        results.extend(route_batch(factory, ctx, batch))
    return results


async def route_waiting(queue: RoutingQueue) -> None:
    """Route what waits, one batch at a time, so a customer's quick second message is never
    handled before their first, and routing transactions never queue for each other at
    SQLite's single writer. Storing does not wait here: on SQLite it waits at most for the
    one routing transaction in progress (see `writer_turn`), elsewhere not at all."""
    while queue.waiting:
        factory, ctx, batch = take_batch(queue.waiting)
        try:
            await run_in_threadpool(route_batch, factory, ctx, batch)
        except Exception:  # the worker pool itself failed: they stay stored for the retry job
            log.exception("could not route messages %s; the retry job will", batch)


def take_batch(waiting: deque[tuple[sessionmaker[Session], EngineContext, Accepted]]
               ) -> tuple[sessionmaker[Session], EngineContext, list[int]]:
    """The oldest waiting messages for one database, up to ROUTE_BATCH, one per contact
    (a contact's next message waits for the next batch, which sees this one's changes)."""
    factory, ctx, _ = waiting[0]
    batch: list[int] = []
    contacts: set[int | None] = set()
    while waiting and len(batch) < ROUTE_BATCH:
        next_factory, next_ctx, accepted = waiting[0]
        if (next_factory is not factory or next_ctx is not ctx
                or accepted.contact_id in contacts):
            break
        waiting.popleft()
        batch.append(accepted.message_id)
        contacts.add(accepted.contact_id)
    return factory, ctx, batch


def route_batch(factory: sessionmaker[Session], ctx: EngineContext,
                message_ids: list[int]) -> list[RouteResult]:
    """Route several stored messages in one transaction; if that fails, one by one, so only
    the message that fails is marked `failed` (its own error logged)."""
    if len(message_ids) > 1:
        try:
            with writer_turn(factory), transaction(factory) as session:
                return route_messages(session, ctx, message_ids)
        except Exception as exc:
            log.warning("routing %d messages together failed (%s); routing them one by one",
                        len(message_ids), exc)
    results = []
    for message_id in message_ids:
        try:
            results.append(process_message(factory, ctx, message_id))
        except Exception:  # logged and marked failed by process_message
            continue
    return results


def store(factory: sessionmaker[Session], ctx: EngineContext, inbound: InboundMessage,
          on_new: Callable[[Session], object] | None = None) -> Accepted:
    with writer_turn(factory), factory() as session:
        accepted = accept_inbound(session, ctx.config, inbound, on_new)
    counter = metrics.INBOUND_MESSAGES if accepted.is_new else metrics.DUPLICATE_MESSAGES
    counter.labels(inbound.channel).inc()
    return accepted


async def drain_background() -> None:
    """Wait for routing still in flight (graceful shutdown)."""
    if BACKGROUND:
        await asyncio.gather(*list(BACKGROUND), return_exceptions=True)


def receive(factory: sessionmaker[Session], ctx: EngineContext,
            inbound: InboundMessage) -> RouteResult | None:
    """Store the message, then handle it; None when it is a provider retry seen before."""
    accepted = store(factory, ctx, inbound)
    if not accepted.is_new:
        return None
    return process_message(factory, ctx, accepted.message_id)


def process_message(factory: sessionmaker[Session], ctx: EngineContext,
                    message_id: int) -> RouteResult:
    """Route a stored message; on failure it stays stored, marked `failed`, and is re-raised."""
    try:
        with writer_turn(factory), transaction(factory) as session:
            return route_message(session, ctx, message_id)
    except Exception:
        metrics.ROUTING_FAILURES.inc()
        log.exception("routing message %s failed; it stays stored for a retry", message_id)
        mark_failed(factory, message_id)
        raise


def mark_failed(factory: sessionmaker[Session], message_id: int) -> None:
    """Keep the message, count the failure; the retry job tries again a few times."""
    with transaction(factory) as session:
        message = session.get(Message, message_id)
        if message is not None:
            message.status = "failed"
            raw = dict(message.raw or {})
            meta = dict(raw.get("_atiende", {}))
            meta["route_failures"] = route_failures(message) + 1
            raw["_atiende"] = meta
            message.raw = raw


def route_failures(message: Message) -> int:
    return int((message.raw or {}).get("_atiende", {}).get("route_failures", 0))


def retry_unrouted(factory: sessionmaker[Session], ctx: EngineContext, older_than: object) -> int:
    """Route stored messages whose routing never ran or failed (up to MAX_ROUTE_FAILURES)."""
    with factory() as session:
        stmt = (select(Message).where(Message.direction == "in",
                                      Message.status.in_(("received", "failed")),
                                      Message.created_at < older_than)
                .order_by(Message.id).limit(RETRY_BATCH))
        pending = [m.id for m in session.scalars(stmt) if route_failures(m) < MAX_ROUTE_FAILURES]
    done = 0
    for message_id in pending:
        try:
            process_message(factory, ctx, message_id)
            done += 1
        except Exception:  # logged and marked failed by process_message
            continue
    return done
