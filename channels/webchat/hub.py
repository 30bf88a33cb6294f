"""The open event streams of this process, by visitor: push, catch-up wake-ups and the caps."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

QUEUE_SIZE = 100
Event = Mapping[str, Any]
# Control events a stream's queue may carry besides messages (never sent as they are).
CATCH_UP: Event = {"control": "catch_up"}   # read the history: something may have been missed
REPLACED: Event = {"control": "replaced"}   # the visitor opened too many: this one closes


class Hub:
    """Visitor address → the queues of their open streams (tabs), oldest first. Never blocks
    a sender. At most `per_visitor` streams per visitor (opening one more closes their
    oldest) and `total` in all (`has_room`)."""

    def __init__(self, per_visitor: int = 5, total: int = 2000) -> None:
        self.per_visitor = per_visitor
        self.total = total
        self.count = 0
        self.streams: dict[str, dict[asyncio.Queue[Event], None]] = {}

    def has_room(self) -> bool:
        return self.count < self.total

    def subscribe(self, address: str) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_SIZE)
        queues = self.streams.setdefault(address, {})
        queues[queue] = None
        self.count += 1
        while len(queues) > self.per_visitor:
            oldest = next(iter(queues))
            self.unsubscribe(address, oldest)
            force(oldest, REPLACED)
        return queue

    def unsubscribe(self, address: str, queue: asyncio.Queue[Event]) -> None:
        queues = self.streams.get(address)
        if queues is None or queue not in queues:
            return
        del queues[queue]
        self.count -= 1
        if not queues:
            del self.streams[address]

    def is_online(self, address: str) -> bool:
        return bool(self.streams.get(address))

    def publish(self, address: str, event: Event) -> int:
        """Push to every open stream of `address`; returns how many got it. A stream too far
        behind misses it live and is told to catch up from the history instead."""
        delivered = 0
        for queue in list(self.streams.get(address, ())):
            try:
                queue.put_nowait(event)
                delivered += 1
            except asyncio.QueueFull:
                force(queue, CATCH_UP)
        return delivered

    def catch_up(self, address: str) -> None:
        """Tell the streams of `address` to read the history (a reply was sent elsewhere)."""
        for queue in list(self.streams.get(address, ())):
            force(queue, CATCH_UP)

    def catch_up_all(self) -> None:
        """Every stream reads its history again (news from other workers may have been lost)."""
        for address in list(self.streams):
            self.catch_up(address)


def force(queue: asyncio.Queue[Event], event: Event) -> None:
    """Queue a control event even into a full queue: what it drops, the history has."""
    if queue.full():
        while not queue.empty():
            queue.get_nowait()
    queue.put_nowait(event)
