"""Per-process idempotency for provider calls: one outbox part is sent once, even if retried.

Neither Twilio's Messages API nor Telegram's sendMessage takes an idempotency key, so the
adapters key each call on (outbox id, how it is sent, part number). A call already made — or
still under way — in this process returns the provider's id instead of sending again: an outbox
pass that overlaps another (the final flush at shutdown) or a retry after a lost commit does
not message the customer twice. Failures are not remembered, so real retries do send.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

T = TypeVar("T")
REMEMBER_SECONDS = 15 * 60
MAX_ENTRIES = 20_000


class SendOnce:
    """Remembers recent successful sends by key; joins a send of the same key under way.

    The provider call runs as its own task: if the outbox pass awaiting it is cancelled (as
    APScheduler does at shutdown) the call still completes and is remembered, so the final
    flush gets its result instead of sending again.
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self.done: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self.running: dict[Hashable, asyncio.Future[object]] = {}

    async def run(self, key: Hashable | None, call: Callable[[], Awaitable[T]]) -> T:
        if key is None:
            return await call()
        self.forget_old()
        if key in self.done:
            return self.done[key][1]  # type: ignore[return-value]
        task = self.running.get(key)
        if task is None or task.get_loop() is not asyncio.get_running_loop():
            task = asyncio.ensure_future(call())
            self.running[key] = task  # type: ignore[assignment]
            task.add_done_callback(lambda done, key=key: self.finish(key, done))
        return await asyncio.shield(task)  # type: ignore[return-value]

    def finish(self, key: Hashable, task: asyncio.Future[object]) -> None:
        if self.running.get(key) is task:
            del self.running[key]
        if not task.cancelled() and task.exception() is None:
            self.done[key] = (self.monotonic(), task.result())

    def forget_old(self) -> None:
        cutoff = self.monotonic() - REMEMBER_SECONDS
        while self.done and (len(self.done) > MAX_ENTRIES
                             or next(iter(self.done.values()))[0] < cutoff):
            self.done.popitem(last=False)
