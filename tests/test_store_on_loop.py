"""On SQLite a small group of webhooks is stored right on the event loop, where they were parsed,
instead of in a worker thread, but never at the cost of the loop waiting for a lock: when this
process's writer turn is taken, another process holds SQLite's write lock, or the group is big,
it is stored in a worker thread as before. Other databases always store in a worker thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest
from sqlalchemy import event, select, text

from bot.app import Runtime
from bot.engine import pipeline
from bot.store.models import Message
from channels.base import InboundMessage
from scheduler.clock import FixedClock

QUESTION = "¿Cuál es el horario de atención?"
WAIT = 30   # seconds: only ever reached when the behaviour under test is broken


def inbound(clock: FixedClock, n: int, body: str = QUESTION) -> InboundMessage:
    return InboundMessage(channel="whatsapp", provider_message_id=f"SML{n:04d}",
                          sender=f"whatsapp:+57300555{n:04d}", text=body,
                          received_at=clock.now(), sender_name=f"Cliente {n}")


def accept_together(runtime: Runtime, messages: list[InboundMessage],
                    while_waiting: threading.Event | None = None
                    ) -> tuple[list[bool], set[int], int, int]:
    """Accept the messages at once; returns their acknowledgements, the threads their storing
    transactions ran on, the event loop's thread and how often the loop ran meanwhile."""
    threads: set[int] = set()

    def note_thread(_session: object) -> None:
        threads.add(threading.get_ident())

    async def run() -> tuple[list[bool], int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.001)
                ticks += 1

        ticking = asyncio.ensure_future(tick())
        acks = asyncio.gather(*(pipeline.accept_then_route(
            runtime.factory, runtime.ctx, message, on_new=note_thread) for message in messages))
        if while_waiting is not None:
            while ticks < 5:   # the loop keeps running while the store waits elsewhere
                await asyncio.sleep(0.001)
            while_waiting.set()
        done = await asyncio.wait_for(acks, WAIT)
        await runtime.ctx.work.drain()
        ticking.cancel()
        return list(done), ticks

    loop_thread: list[int] = []

    async def main() -> tuple[list[bool], int]:
        loop_thread.append(threading.get_ident())
        return await run()

    acks, ticks = asyncio.run(main())
    return acks, threads, loop_thread[0], ticks


def statuses(runtime: Runtime) -> list[str]:
    with runtime.factory() as session:
        return list(session.scalars(select(Message.status).where(Message.direction == "in")
                                    .order_by(Message.id)))


def is_sqlite(runtime: Runtime) -> bool:
    return runtime.config.database.url.startswith("sqlite")


def test_a_small_group_is_stored_on_the_event_loop_on_sqlite_only(
        runtime: Runtime, clock: FixedClock) -> None:
    acks, threads, loop_thread, _ = accept_together(
        runtime, [inbound(clock, n) for n in range(6)])
    assert acks == [True] * 6
    if is_sqlite(runtime):
        assert threads == {loop_thread}
    else:   # PostgreSQL: a network round trip never runs on the loop
        assert loop_thread not in threads and threads
    assert statuses(runtime) == ["processed"] * 6


def test_a_big_group_is_stored_in_a_worker_thread(runtime: Runtime, clock: FixedClock) -> None:
    body = "Necesito ayuda con la factura. " * 800   # 24,800 characters each
    assert 3 * len(body) > pipeline.LOOP_STORE_CHARS
    acks, threads, loop_thread, _ = accept_together(
        runtime, [inbound(clock, n, body) for n in range(3)])
    assert acks == [True] * 3
    assert loop_thread not in threads and threads
    assert statuses(runtime) == ["processed"] * 3


def test_a_taken_writer_turn_sends_the_group_to_a_worker_thread_and_the_loop_runs_on(
        runtime: Runtime, clock: FixedClock) -> None:
    """A routing transaction holds the writer turn: the store waits for it in a worker thread,
    and the loop goes on meanwhile (other webhooks, pages)."""
    writer = runtime.ctx.work.writer
    if writer is None:   # PostgreSQL has no writer turn
        return
    taken, waited = threading.Event(), threading.Event()

    def hold_turn() -> None:
        with writer.turn(store=False):
            taken.set()
            assert waited.wait(WAIT)

    holder = threading.Thread(target=hold_turn)
    holder.start()
    assert taken.wait(WAIT)
    acks, threads, loop_thread, ticks = accept_together(
        runtime, [inbound(clock, n) for n in range(3)], while_waiting=waited)
    holder.join(WAIT)
    assert acks == [True] * 3 and ticks >= 5
    assert loop_thread not in threads and threads
    assert statuses(runtime) == ["processed"] * 3


def test_another_process_writing_does_not_make_the_loop_wait(
        runtime: Runtime, clock: FixedClock) -> None:
    """SQLite's write lock held by another connection (another process, a CLI command): the
    attempt on the loop gives way at once, stores nothing and leaves its connection waiting
    for locks as usual; the group is then stored in a worker thread once the lock is free."""
    if not is_sqlite(runtime):
        return
    path = runtime.config.database.url.removeprefix("sqlite:///")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        batch = [pipeline.PendingStore(runtime.factory, runtime.ctx, inbound(clock, 1), None,
                                       None)]  # type: ignore[arg-type]
        began = time.monotonic()
        assert pipeline.store_on_loop(batch) is None
        assert time.monotonic() - began < WAIT / 3   # the busy timeout is 30 s
        assert statuses(runtime) == []
        with runtime.engine.connect() as connection:   # the pool's connection, waiting again
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
    finally:
        other.execute("ROLLBACK")
        other.close()
    acks, _, _, _ = accept_together(runtime, [inbound(clock, 1)])
    assert acks == [True]
    assert statuses(runtime) == ["processed"]


def test_a_group_stored_on_the_loop_is_acknowledged_even_if_the_server_stops_right_after(
        runtime: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The loop is told to stop just as the group's commit is done: its webhooks learn that
    their messages are stored (not that the server stopped before storing them)."""
    if not is_sqlite(runtime):
        return
    real = pipeline.store_on_loop

    def store_then_stop(batch: list[pipeline.PendingStore]) -> object:
        stored = real(batch)
        task = asyncio.current_task()
        assert stored is not None and task is not None
        task.cancel()   # the storing task: takes effect at its next await
        return stored

    monkeypatch.setattr(pipeline, "store_on_loop", store_then_stop)

    async def run() -> list[object]:
        waits = [pipeline.accept_then_route(runtime.factory, runtime.ctx, inbound(clock, n))
                 for n in range(2)]
        return list(await asyncio.wait_for(asyncio.gather(*waits, return_exceptions=True),
                                           WAIT))

    assert asyncio.run(run()) == [True, True]
    assert len(statuses(runtime)) == 2   # stored (routed already, or by the retry job)


def test_webhooks_read_over_a_few_loop_passes_are_stored_in_one_transaction(
        runtime: Runtime, clock: FixedClock) -> None:
    """A flood's requests are read a few at a time, one loop pass after another: the store
    lets the loop read those already there first, so they share one group (one commit)
    instead of the first two or three going alone."""
    groups: list[list[str]] = []
    on_new = [lambda _session, n=n: groups[-1].append(f"SML{n:04d}") for n in range(8)]

    def begin_group(*_: object) -> None:
        groups.append([])

    async def arrive(n: int) -> bool:
        for _ in range(n % 3):   # read on the first, second or third loop pass
            await asyncio.sleep(0)
        return await pipeline.accept_then_route(runtime.factory, runtime.ctx,
                                                inbound(clock, n), on_new=on_new[n])

    async def flood() -> list[bool]:
        acks = await asyncio.gather(*(arrive(n) for n in range(8)))
        await runtime.ctx.work.drain()
        return list(acks)

    event.listen(runtime.engine, "begin", begin_group)
    try:
        assert asyncio.run(flood()) == [True] * 8
    finally:
        event.remove(runtime.engine, "begin", begin_group)
    stored = [group for group in groups if group]
    assert [sorted(group) for group in stored] == [[f"SML{n:04d}" for n in range(8)]]
    assert statuses(runtime) == ["processed"] * 8
