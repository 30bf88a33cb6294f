"""Work handed on inside one event loop: a queue per loop, drained by one task at a time."""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")


@dataclass
class LoopState(Generic[Item]):
    waiting: deque[Item] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    last_put: float = float("-inf")   # the loop's clock when an item last came


class LoopQueue(Generic[Item]):
    """Items wait in their event loop's deque; one task at a time runs `drain` over it, which
    takes items from the left until the deque is empty. Items put meanwhile join the same run,
    so whatever piles up while one batch is handled forms the next batch.

    Queues are weakly keyed by their loop, so a finished loop (`asyncio.run`) is let go."""

    def __init__(self, drain: Callable[[deque[Item]], Awaitable[None]],
                 background: set[asyncio.Task[None]]) -> None:
        self.drain = drain
        self.background = background   # the owner's running drain tasks
        self.loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopState[Item]] = (
            weakref.WeakKeyDictionary())

    def put(self, item: Item) -> None:
        loop = asyncio.get_running_loop()
        state = self.loops.get(loop)
        if state is None:
            state = self.loops[loop] = LoopState()
        state.waiting.append(item)
        state.last_put = loop.time()
        if state.task is None or state.task.done():
            state.idle.clear()
            task = state.task = loop.create_task(self.drain(state.waiting))
            self.background.add(task)
            task.add_done_callback(self.background.discard)
            task.add_done_callback(lambda _: forget_task(state, task))


    async def wait_idle(self, limit_s: float, quiet_s: float = 0.0) -> bool:
        """Until nothing waits or runs in this loop's queue and no item came in the last
        `quiet_s` (the next of a flood is not already on its way): True; or until `limit_s`
        has passed: False."""
        loop = asyncio.get_running_loop()
        state = self.loops.get(loop)
        if state is None:
            return True
        deadline = loop.time() + limit_s
        while True:
            remaining = deadline - loop.time()
            quiet_left = state.last_put + quiet_s - loop.time()
            if state.task is None and quiet_left <= 0:
                return True
            if remaining <= 0:
                return False
            if state.task is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(state.idle.wait(), remaining)
                continue
            await asyncio.sleep(min(quiet_left, remaining))


def forget_task(state: LoopState[Item], task: asyncio.Task[None]) -> None:
    """A finished task no longer keeps its event loop (the queue's weak key) alive."""
    if state.task is task:
        state.task = None
        state.idle.set()   # wakes the waiters; they hold what they wait on
        # A fresh, unbound event: one that was waited on is bound to its loop, and the state
        # (the weak dictionary's value) would then keep the finished loop (its key) alive.
        state.idle = asyncio.Event()
        state.idle.set()

