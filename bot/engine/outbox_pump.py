"""The serving dispatcher's pump: rows are claimed as soon as they are queued, and each
recipient's line is delivered concurrently, without waiting for a whole batch to finish.

A pass of `Dispatcher.deliver_batch` claims a batch and returns when its slowest recipient is
done, so a reply routed meanwhile waits for the whole batch. The pump instead keeps a bounded
number of claimed rows in flight (`limit`): when woken (`Dispatcher.poke`, on every commit that
queued rows), when a line finishes, or when outcomes are written, it claims what is due and
starts those lines at once. Order per recipient holds as in `Dispatcher.due`: a recipient with
a row being sent (claimed, its lease running) gets no new claim until that row's outcome is
written, and a claim takes only each recipient's oldest due row (so a row being claimed by
another worker at that moment is never overtaken). Outcomes are written by one writer,
together as they come (one transaction for what finished meanwhile), off the event loop;
claims are too. While a claim leaves replies waiting for their recipients' next messages
(`Dispatcher.waits_for_more`), the pump looks again every RECHECK_S even if nothing wakes it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from bot.engine.outbox import Dispatcher, record_outcome, ticket_numbers
from bot.store.models import OutboxItem
from channels.tasks import stop_task

log = logging.getLogger(__name__)
Claimed = tuple[list[OutboxItem], dict[int, datetime], dict[int | None, int], int]
RECHECK_S = 0.1   # while replies wait for their recipients' next messages


class OutcomeWriter:
    """Writes finished rows' outcomes in the background, whatever finished meanwhile in one
    transaction; calls `written` after each."""

    def __init__(self, dispatcher: Dispatcher, written: Callable[[], None]) -> None:
        self.dispatcher = dispatcher
        self.written = written
        self.waiting: list[OutboxItem] = []
        self.task: asyncio.Task[None] | None = None

    def add(self, item: OutboxItem) -> None:
        self.waiting.append(item)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.write_waiting())

    async def write_waiting(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting, []
            try:
                await asyncio.to_thread(self.write, batch)
            except Exception:   # the rows stay claimed: their leases run out (unknown outcome)
                log.exception("outbox: could not record the outcome of %d sends", len(batch))
            self.written()

    def write(self, batch: list[OutboxItem]) -> None:
        dispatcher = self.dispatcher
        with dispatcher.writer_turn(), dispatcher.factory() as session:
            for item in batch:
                record_outcome(session, item)
            session.commit()

    def idle(self) -> bool:
        return not self.waiting and (self.task is None or self.task.done())

    async def close(self) -> None:
        """Until every outcome handed in is written."""
        while self.task is not None and not self.task.done():
            await asyncio.shield(self.task)


class OutboxPump:
    """Runs until nothing is due and nothing is in flight; see the module's doc."""

    def __init__(self, dispatcher: Dispatcher, now: Callable[[], datetime], limit: int) -> None:
        self.dispatcher = dispatcher
        self.now = now
        self.limit = limit

    async def run(self) -> int:
        """Deliver what is due, and what is queued while delivering; returns how many sent."""
        dispatcher = self.dispatcher
        poked = dispatcher.poked = asyncio.Event()
        writer = OutcomeWriter(dispatcher, poked.set)
        turns = asyncio.Semaphore(dispatcher.concurrency)
        lines: dict[asyncio.Task[int], int] = {}   # line -> its rows
        sent = waiting = 0
        try:
            while True:
                poked.clear()
                room = self.limit - sum(lines.values())
                if room > 0:
                    items, unknown, numbers, waiting = await asyncio.to_thread(self.claim, room)
                    for line in await self.lines_of(items):
                        task = asyncio.create_task(
                            self.deliver_line(line, unknown, numbers, turns, writer))
                        lines[task] = len(line)
                if not lines:
                    if not writer.idle():   # its rows' recipients may have more due
                        await writer.close()
                        continue
                    if poked.is_set():   # queued, or outcomes written, since this claim
                        continue
                    if not waiting:
                        return sent
                timeout = RECHECK_S if waiting else None
                sent += await self.wait_for_change(lines, poked, timeout)
        finally:
            if lines:   # cancelled: let the sends under way finish and be recorded
                await asyncio.gather(*lines, return_exceptions=True)
            await writer.close()
            if dispatcher.poked is poked:
                dispatcher.poked = None

    def claim(self, room: int) -> Claimed:
        """Claim up to `room` due rows (committed before any send), detached, with their
        tickets' numbers. Whether any is due is read first, without a write transaction (a
        wake finds nothing new more often than not)."""
        dispatcher = self.dispatcher
        now = self.now()
        with dispatcher.factory() as session:
            if session.execute(dispatcher.due_ids(), {"now": now}).first() is None:
                return [], {}, {}, 0
        with dispatcher.writer_turn(), dispatcher.factory() as session:
            items, unknown, waiting = dispatcher.claim_due(session, now, room, first_only=True)
            numbers = ticket_numbers(session, items)
            session.expunge_all()
        return items, unknown, numbers, waiting

    async def lines_of(self, items: list[OutboxItem]) -> list[list[OutboxItem]]:
        lines: dict[tuple[str, str], list[OutboxItem]] = {}
        for item in items:
            lines.setdefault((item.channel, item.recipient), []).append(item)
        if lines:
            await self.dispatcher.prepare_channels(lines)
        return list(lines.values())

    async def deliver_line(self, line: list[OutboxItem], unknown: dict[int, datetime],
                           numbers: dict[int | None, int], turns: asyncio.Semaphore,
                           writer: OutcomeWriter) -> int:
        """One recipient's rows, in order; each outcome handed to the writer once known."""
        sent = 0
        for item in line:
            async with turns:
                sent += await self.dispatcher.deliver_one(
                    item, self.now(), numbers.get(item.ticket_id), unknown.get(item.id))
            writer.add(item)
        return sent

    @staticmethod
    async def wait_for_change(lines: dict[asyncio.Task[int], int], poked: asyncio.Event,
                              timeout: float | None = None) -> int:
        """Until a line finishes or the pump is poked (or `timeout` passed); returns what
        finished lines sent."""
        waker = asyncio.create_task(poked.wait())
        try:
            await asyncio.wait({*lines, waker}, timeout=timeout,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            await stop_task(waker)
        sent = 0
        for task in [task for task in lines if task.done()]:
            del lines[task]
            if task.exception() is not None:   # a bug: its rows' leases run out
                log.error("outbox: a delivery line failed", exc_info=task.exception())
            else:
                sent += task.result()
        return sent
