"""The inbound pipeline every channel uses: store (deduped), then route in one transaction."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot import metrics
from bot.db import transaction, writer_turn
from bot.engine import RouteResult, route_message
from bot.inbox import Accepted, accept_inbound
from bot.models import Message
from bot.turn import EngineContext
from channels.base import InboundMessage

log = logging.getLogger(__name__)
BACKGROUND: set[asyncio.Task[object]] = set()
ROUTING_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary())
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
        task = asyncio.create_task(route_in_turn(factory, ctx, accepted.message_id))
        BACKGROUND.add(task)
        task.add_done_callback(BACKGROUND.discard)
    return accepted.is_new


async def route_in_turn(factory: sessionmaker[Session], ctx: EngineContext,
                        message_id: int) -> RouteResult:
    """Route stored messages one at a time per process, in the order they were stored.

    A customer's quick second message is never handled before their first, and routing
    transactions never queue for each other at SQLite's single writer. Waiting here costs no
    thread. Storing does not wait in this queue: on SQLite it waits at most for the one
    routing transaction in progress (see `writer_turn`), elsewhere not at all.
    """
    loop = asyncio.get_running_loop()
    turn = ROUTING_TURNS.get(loop)
    if turn is None:
        turn = ROUTING_TURNS[loop] = asyncio.Lock()
    async with turn:
        return await run_in_threadpool(process_message, factory, ctx, message_id)


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
