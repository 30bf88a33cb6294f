"""Live delivery inside one process: each open event stream of a visitor is a queue."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

QUEUE_SIZE = 100
Event = Mapping[str, Any]


class Hub:
    """Visitor address → the queues of their open streams (tabs). Never blocks a sender."""

    def __init__(self) -> None:
        self.streams: dict[str, set[asyncio.Queue[Event]]] = {}

    def subscribe(self, address: str) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_SIZE)
        self.streams.setdefault(address, set()).add(queue)
        return queue

    def unsubscribe(self, address: str, queue: asyncio.Queue[Event]) -> None:
        queues = self.streams.get(address)
        if queues is None:
            return
        queues.discard(queue)
        if not queues:
            del self.streams[address]

    def is_online(self, address: str) -> bool:
        return bool(self.streams.get(address))

    def publish(self, address: str, event: Event) -> int:
        """Push to every open stream of `address`; returns how many got it. A stream too far
        behind misses it live and finds it in the history when it reconnects."""
        delivered = 0
        for queue in list(self.streams.get(address, ())):
            try:
                queue.put_nowait(event)
                delivered += 1
            except asyncio.QueueFull:
                continue
        return delivered
