"""The running engine's own moving parts: its storing and routing queues and the writer turn."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from bot.engine.loop_queue import LoopQueue
from bot.engine.routing_backlog import RoutingBacklog
from bot.engine.writer import StoreFirstWriter

Drain = Callable[[deque[Any]], Awaitable[None]]


class EngineWork:
    """Owned by one runtime and handed to what needs it (no module-level state).

    `storing` and `routing` are the inbound queues; `background` holds their drain tasks, so
    shutdown can wait for them; `backlog` counts who has messages waiting in `routing` (a
    reply waits for those, see routing_backlog); `writer_turn` makes the hot path's SQLite
    write transactions take turns in this process.
    """

    def __init__(self, store_drain: Drain, route_drain: Drain, sqlite: bool) -> None:
        self.background: set[asyncio.Task[None]] = set()
        self.storing: LoopQueue[Any] = LoopQueue(store_drain, self.background)
        self.routing: LoopQueue[Any] = LoopQueue(route_drain, self.background)
        self.writer = StoreFirstWriter() if sqlite else None
        self.backlog = RoutingBacklog()

    def writer_turn(self, store: bool = False) -> AbstractContextManager[object]:
        """On SQLite, one write transaction of the inbound path at a time in this process;
        `store=True` for storing, which goes before any routing waiting (see StoreFirstWriter).

        SQLite has one writer; a transaction that finds it busy sleeps in SQLite's busy handler
        (1, 2, 5, 10 … ms) even when the lock is free again a moment later. Waiting on a lock
        here wakes at once. Other databases write concurrently: no turn is taken there.
        """
        return self.writer.turn(store) if self.writer is not None else nullcontext()

    async def drain(self) -> None:
        """Wait until this loop's queues are empty, including work that draining hands on
        (stored messages go on to be routed): graceful shutdown."""
        loop = asyncio.get_running_loop()
        while running := [task for task in self.background if task.get_loop() is loop]:
            await asyncio.wait(running)   # unlike gather, leaves them running if cancelled
