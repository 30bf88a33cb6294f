"""The inbound pipeline every channel uses: store (deduped), then route in one transaction."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from bot.config.root import AtiendeConfig
from bot.engine.earlier_first import EARLIER_LIMIT, earlier_unrouted
from bot.engine.inbox import Accepted, accept_inbound, stage_many
from bot.engine.prepare import Prepared, TurnInput, batch_triager, prepare, read_inputs
from bot.engine.route import RouteResult, route_message, route_messages
from bot.engine.store_sql import DriverSql, StoreSql
from bot.engine.turn import EngineContext
from bot.engine.work import EngineWork
from bot.store.db import sqlite_without_waiting, transaction
from bot.store.models import UNROUTED_ROW, Message
from bot.web import metrics
from channels.base import InboundMessage

log = logging.getLogger(__name__)
ROUTE_BATCH = 64
FLOOD_ROUTE_BATCH = 32   # a batch that goes in while storing is still busy (route_waiting)
STORE_BATCH = 64
STORE_GATHER_PASSES = 3   # loop passes a group waits for requests already read (gather_more)
RETRY_BATCH = 50
MAX_ROUTE_FAILURES = 5
ROUTE_YIELD_S = 0.5   # the longest a routing batch waits for storing to fall quiet
STORE_QUIET_S = 0.002   # quiet: no webhook stored for this long (in a flood the next is coming)
LOOP_STORE_CHARS = 65_536   # the most text a group stored right on the event loop may hold
Routable = tuple[sessionmaker[Session], EngineContext, Accepted]
# The database, not one message, is the problem: retrying message by message would only wait
# out the same timeout again for each.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)


async def accept_then_route(factory: sessionmaker[Session], ctx: EngineContext,
                            inbound: InboundMessage,
                            on_new: Callable[[Session], object] | None = None) -> bool:
    """For protocol hooks: store (durable before we acknowledge), route in the background.

    Returns False for a provider retry already stored. `on_new` runs in the storing
    transaction of a new message. Messages that arrive while others are being stored are
    stored together, in one transaction (one commit), then routed in the order stored.
    Routing failures stay stored as `failed` and are retried by the scheduler.
    """
    pending = PendingStore(factory, ctx, inbound, on_new,
                           asyncio.get_running_loop().create_future())
    # A client that hangs up cancels only its wait: the message is stored (and routed) all
    # the same, and an error nobody waits for any more is not reported as unretrieved.
    pending.accepted.add_done_callback(lambda done: done.cancelled() or done.exception())
    ctx.work.storing.put(pending)
    accepted = await pending.accepted
    return accepted.is_new


@dataclass(frozen=True)
class PendingStore:
    """A message waiting to be stored, and the future its webhook waits on."""

    factory: sessionmaker[Session]
    ctx: EngineContext
    inbound: InboundMessage
    on_new: Callable[[Session], object] | None
    accepted: asyncio.Future[Accepted]


async def store_waiting(waiting: deque[PendingStore]) -> None:
    """Store what waits, up to STORE_BATCH at a time, then hand the new messages to routing."""
    batch: list[PendingStore] = []
    try:
        while waiting:
            await gather_more(waiting)
            batch = take_stores(waiting)
            outcomes = await store_group(batch)
            for pending, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, Accepted) and outcome.is_new:
                    queue_for_routing(pending.factory, pending.ctx, outcome, pending.inbound)
                settle(pending, outcome)
            await asyncio.sleep(0)   # their acknowledgements go out before the next group
    except asyncio.CancelledError:
        # The loop is going away mid-store: nobody may wait for ever. What the store in
        # flight commits stays stored (a provider's retry is then a duplicate, answered as
        # such); the retry job routes it.
        stopped = RuntimeError("the server stopped before this message was stored")
        for pending in (*batch, *waiting):
            settle(pending, stopped)
        waiting.clear()
        raise


async def gather_more(waiting: deque[PendingStore]) -> None:
    """Before a group is taken: let the event loop read the requests already on their sockets
    (one loop pass each, STORE_GATHER_PASSES at most, ending at the first pass that brings
    none), so a flood is stored in groups about as large as its connections are many, not
    the two or three that had arrived. A group costs about the same for one message as for
    eight (its statements and its commit), so the store's cost a message falls by about
    half under a flood (`bench/webhook_throughput.py`: see the README). A lone message
    waits one idle pass, some microseconds."""
    for _ in range(STORE_GATHER_PASSES):
        before = len(waiting)
        if before >= STORE_BATCH:
            return
        await asyncio.sleep(0)
        if len(waiting) == before:
            return


async def store_group(batch: list[PendingStore]) -> Sequence[Accepted | Exception]:
    """Store a group on the event loop when that cannot make the loop wait (`store_on_loop`),
    else in a worker thread."""
    stored = store_on_loop(batch)
    if stored is not None:
        return stored
    try:
        return await asyncio.to_thread(store_together, batch)
    except Exception as exc:  # the worker pool itself failed: nothing was stored
        return [exc] * len(batch)


def store_on_loop(batch: list[PendingStore]) -> list[Accepted] | None:
    """Store a small group right here, on the event loop, as a hand-written endpoint would:
    on SQLite, only when this process's writer turn is free now and the group holds at most
    LOOP_STORE_CHARS of text, with SQLite told not to wait for another process's writer.
    Handing the group to a worker thread costs more than the store itself: the two threads
    take turns at the GIL, and each of the store's statements gives it up (measured with
    `bench/webhook_throughput.py`: see the README). None when it cannot (the writer is busy,
    the database is locked, the group is big, anything failed): nothing was stored then, and
    the group goes to a worker thread as before."""
    factory, ctx = batch[0].factory, batch[0].ctx
    writer = ctx.work.writer
    if writer is None or not loop_sized(batch) or not writer.try_acquire():
        return None
    try:
        with factory() as session, sqlite_without_waiting(session):
            stored = commit_group(session, batch, DriverSql(session.connection()))
    except Exception as exc:
        log.debug("storing %d messages on the event loop did not work (%s); storing them in "
                  "a worker thread", len(batch), exc)
        return None
    finally:
        writer.release()
    return counted(batch, stored)


def loop_sized(batch: list[PendingStore]) -> bool:
    """Text only, and little of it: storing it is a few milliseconds of the loop's time."""
    chars = 0
    for pending in batch:
        inbound = pending.inbound
        if inbound.attachments:
            return False
        chars += len(inbound.text or "") + sum(len(str(value)) for value in inbound.raw.values())
        if chars > LOOP_STORE_CHARS:
            return False
    return True


def settle(pending: PendingStore, outcome: Accepted | Exception) -> None:
    if pending.accepted.done():   # its client hung up
        return
    if isinstance(outcome, Accepted):
        pending.accepted.set_result(outcome)
    else:
        pending.accepted.set_exception(outcome)


def take_stores(waiting: deque[PendingStore]) -> list[PendingStore]:
    """The oldest waiting messages for one database, up to STORE_BATCH."""
    first = waiting.popleft()
    batch = [first]
    while (waiting and len(batch) < STORE_BATCH and waiting[0].factory is first.factory
           and waiting[0].ctx is first.ctx):
        batch.append(waiting.popleft())
    return batch


def store_together(batch: list[PendingStore]) -> list[Accepted | Exception]:
    """Store several messages in one transaction; if that fails because of one of them (a
    conflict with another worker, one bad message), store them one by one, so each gets its
    own outcome. When the database itself is unreachable, locked or timing out, they all fail
    at once (503, the provider retries) instead of each waiting out the same timeout."""
    factory, ctx = batch[0].factory, batch[0].ctx
    if len(batch) > 1:
        try:
            with ctx.work.writer_turn(store=True), factory() as session:
                stored = commit_group(session, batch)
        except DATABASE_UNAVAILABLE as exc:
            log.error("storing %d messages failed: %s", len(batch), exc)
            return [exc] * len(batch)
        except Exception as exc:
            log.warning("storing %d messages together failed (%s); storing them one by one",
                        len(batch), exc)
        else:
            return list(counted(batch, stored))
    outcomes: list[Accepted | Exception] = []
    for pending in batch:
        try:
            outcomes.append(store(factory, ctx, pending.inbound, pending.on_new))
        except Exception as exc:
            outcomes.append(exc)
    return outcomes


def commit_group(session: Session, batch: list[PendingStore],
                 sql: StoreSql | None = None) -> list[Accepted]:
    """The group's messages stored in `session`'s one transaction, committed."""
    stored = stage_many(session, batch[0].ctx.config,
                        [(pending.inbound, pending.on_new) for pending in batch], sql)
    session.commit()
    return stored


def counted(batch: list[PendingStore], stored: list[Accepted]) -> list[Accepted]:
    """`stored`, once each message is counted in the metrics (new or a provider's retry)."""
    for pending, accepted in zip(batch, stored, strict=True):
        count_stored(pending.inbound, accepted)
    return stored


def queue_for_routing(factory: sessionmaker[Session], ctx: EngineContext,
                      accepted: Accepted, inbound: InboundMessage) -> None:
    """Route one stored message soon; messages stored meanwhile join it in one transaction.
    Its sender counts as having messages to route until then (routing_backlog)."""
    ctx.work.backlog.add(accepted.message_id, (inbound.channel, inbound.sender))
    ctx.work.routing.put((factory, ctx, accepted))


def route_stored(factory: sessionmaker[Session], ctx: EngineContext,
                 stored: list[Accepted]) -> list[RouteResult]:
    """Route messages just stored (in that order) in batches; never raises."""
    waiting = deque((factory, ctx, accepted) for accepted in stored)
    results: list[RouteResult] = []
    while waiting:
        _, _, batch = take_batch(waiting)
        results.extend(route_batch(factory, ctx, batch))
    return results


async def route_waiting(waiting: deque[Routable]) -> None:
    """Route what waits, one batch at a time, so a customer's quick second message is never
    handled before their first, and routing transactions never queue for each other at
    SQLite's single writer. Storing does not wait here: on SQLite it waits at most for the
    one routing transaction in progress (see `writer_turn`), elsewhere not at all. Storing
    goes first for the CPU too: a batch starts once the webhooks waiting have been stored and
    none came for STORE_QUIET_S (in a flood the next one is already on its way: storing is
    idle for a moment between two of them), or after ROUTE_YIELD_S, so routing keeps moving
    under a sustained flood; a batch that goes in while storing is busy takes at most
    FLOOD_ROUTE_BATCH messages, so it holds the flood's stores back no longer than that."""
    while waiting:
        idle = await waiting[0][1].work.storing.wait_idle(ROUTE_YIELD_S, STORE_QUIET_S)
        factory, ctx, batch = take_batch(waiting, ROUTE_BATCH if idle else FLOOD_ROUTE_BATCH)
        try:
            await asyncio.to_thread(route_then_release, factory, ctx, batch)
        except Exception:  # the worker pool itself failed: they stay stored for the retry job
            ctx.work.backlog.done(accepted.message_id for accepted in batch)
            log.exception("could not route messages %s; the retry job will", batch)


def route_then_release(factory: sessionmaker[Session], ctx: EngineContext,
                       batch: list[Accepted]) -> list[RouteResult]:
    """route_batch, then the batch's senders no longer wait on it (in this thread, right
    after the commit: the dispatcher woken by that commit finds them released)."""
    try:
        return route_batch(factory, ctx, batch)
    finally:
        ctx.work.backlog.done(accepted.message_id for accepted in batch)


def take_batch(waiting: deque[Routable], limit: int = ROUTE_BATCH
               ) -> tuple[sessionmaker[Session], EngineContext, list[Accepted]]:
    """The oldest waiting messages for one database, up to `limit`, one per contact
    (a contact's next message waits for the next batch, which sees this one's changes)."""
    factory, ctx, _ = waiting[0]
    batch: list[Accepted] = []
    contacts: set[int | None] = set()
    while waiting and len(batch) < limit:
        next_factory, next_ctx, accepted = waiting[0]
        if (next_factory is not factory or next_ctx is not ctx
                or accepted.contact_id in contacts):
            break
        waiting.popleft()
        batch.append(accepted)
        contacts.add(accepted.contact_id)
    return factory, ctx, batch


def route_batch(factory: sessionmaker[Session], ctx: EngineContext,
                batch: list[Accepted]) -> list[RouteResult]:
    """Route several stored messages in one transaction; if that fails, one by one, so only
    the message that fails is marked `failed` (its own error logged). With several workers,
    the customers' earlier messages stored by another worker and not routed yet go first."""
    if ctx.work.writer is None and not route_earlier_first(factory, ctx, batch):
        return []   # the database went away: these stay stored, behind the earlier ones
    if len(batch) > 1:
        try:
            message_ids = [accepted.message_id for accepted in batch]
            prepared = prepare_for(factory, ctx, message_ids, inputs_of(batch))
            with ctx.work.writer_turn(), transaction(factory) as session:
                return route_messages(session, ctx, message_ids, prepared)
        except Exception as exc:
            log.warning("routing %d messages together failed (%s); routing them one by one",
                        len(batch), exc)
    results = []
    for accepted in batch:
        try:
            results.append(process_message(factory, ctx, accepted.message_id,
                                           inputs_of([accepted])))
        except Exception:  # logged and marked failed by process_message
            continue
    return results


def route_earlier_first(factory: sessionmaker[Session], ctx: EngineContext,
                        batch: list[Accepted]) -> bool:
    """False when an earlier message could not be routed because the database was away:
    then the batch must wait too, or a later message would be answered first."""
    while stragglers := earlier_unrouted(factory, batch):
        for message_id in stragglers:
            try:
                process_message(factory, ctx, message_id)
            except DATABASE_UNAVAILABLE:
                return False
            except Exception:  # logged and marked failed by process_message
                continue
        if len(stragglers) < EARLIER_LIMIT:
            return True   # that was all of them
    return True


def prepare_for(factory: sessionmaker[Session], ctx: EngineContext, message_ids: list[int],
                inputs: list[TurnInput] | None) -> Prepared:
    """The batch's CPU work (language, intent, KB match, triage), before its write transaction: the
    writer is never held while it runs (a long text must not hold back other stores). The
    texts come from storing; the retry job's are read back."""
    if inputs is None:
        inputs = read_inputs(factory, message_ids)
    return prepare(ctx.kb_index, ctx.config.bot.default_language, inputs,
                   batch_triager(factory, ctx.config))


def inputs_of(batch: list[Accepted]) -> list[TurnInput] | None:
    """What storing knew of these messages' texts; None when some are not known."""
    known = [accepted.inputs for accepted in batch if accepted.inputs is not None]
    return known if len(known) == len(batch) else None


def store(factory: sessionmaker[Session], ctx: EngineContext, inbound: InboundMessage,
          on_new: Callable[[Session], object] | None = None) -> Accepted:
    with ctx.work.writer_turn(store=True), factory() as session:
        accepted = accept_inbound(session, ctx.config, inbound, on_new)
    count_stored(inbound, accepted)
    return accepted


def count_stored(inbound: InboundMessage, accepted: Accepted) -> None:
    counter = metrics.INBOUND_MESSAGES if accepted.is_new else metrics.DUPLICATE_MESSAGES
    counter.labels(inbound.channel).inc()


def new_work(config: AtiendeConfig) -> EngineWork:
    """The queues and writer turn one runtime owns."""
    return EngineWork(store_waiting, route_waiting,
                      sqlite=config.database.url.startswith("sqlite"))


def receive(factory: sessionmaker[Session], ctx: EngineContext,
            inbound: InboundMessage) -> RouteResult | None:
    """Store the message, then handle it; None when it is a provider retry seen before."""
    accepted = store(factory, ctx, inbound)
    if not accepted.is_new:
        return None
    return process_message(factory, ctx, accepted.message_id, inputs_of([accepted]))


def process_message(factory: sessionmaker[Session], ctx: EngineContext, message_id: int,
                    inputs: list[TurnInput] | None = None) -> RouteResult:
    """Route a stored message; on failure it stays stored, marked `failed`, and is re-raised.
    When the database was away, it is not the message's fault: it stays `received`, so the
    customer's next message routes it first (earlier_first) and no failure is counted."""
    try:
        prepared = prepare_for(factory, ctx, [message_id], inputs)
        with ctx.work.writer_turn(), transaction(factory) as session:
            return route_message(session, ctx, message_id, prepared)
    except DATABASE_UNAVAILABLE as exc:
        metrics.ROUTING_FAILURES.inc()
        log.error("routing message %s failed, the database is unavailable (%s); it stays "
                  "stored for a retry", message_id, type(exc).__name__)
        raise
    except Exception:
        metrics.ROUTING_FAILURES.inc()
        log.exception("routing message %s failed; it stays stored for a retry", message_id)
        mark_failed(factory, message_id)
        raise


def mark_failed(factory: sessionmaker[Session], message_id: int) -> None:
    """Keep the message, count the failure; the retry job tries again a few times."""
    with transaction(factory) as session:
        session.execute(update(Message).where(Message.id == message_id).values(
            status="failed", route_failures=Message.route_failures + 1))


def retry_unrouted(factory: sessionmaker[Session], ctx: EngineContext, older_than: object) -> int:
    """Route stored messages whose routing never ran or failed (up to MAX_ROUTE_FAILURES)."""
    with factory() as session:
        stmt = (select(Message.id).where(UNROUTED_ROW,   # along ix_messages_unrouted
                                      Message.created_at < older_than,
                                      Message.route_failures < MAX_ROUTE_FAILURES)
                .order_by(Message.id).limit(RETRY_BATCH))
        pending = list(session.scalars(stmt))
    done = 0
    for message_id in pending:
        try:
            process_message(factory, ctx, message_id)
            done += 1
        except DATABASE_UNAVAILABLE:
            break   # the rest waits for the next run, in order
        except Exception:  # logged and marked failed by process_message
            continue
    return done
