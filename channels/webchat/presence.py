"""Which visitors have a live stream open on any worker (`context.queries["web_presence"]`),
so a reply is not also mailed to a visitor watching it on another worker. Each open stream is
recorded with an expiry its worker's heartbeat keeps pushing forward; a crashed worker's
records expire, and then the copy by email goes again (see bot/engine/web_presence.py)."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from channels.tasks import stop_task

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 20.0   # a worker refreshes its streams' expiry this often


class Presence(Protocol):
    shared: bool   # records streams where other workers see them (False: nothing to beat)

    async def opened(self, address: str) -> str | None:
        """Record a stream of `address` on this worker; its id (None: not recorded)."""
        ...

    def closed(self, stream_id: str) -> None:
        """Forget that stream (scheduled, not awaited: its task may be cancelled already)."""
        ...

    async def anywhere(self, address: str) -> bool:
        """True when some worker holds a live (unexpired) stream of `address`."""
        ...

    async def heartbeat(self) -> None:
        """Keep this worker's streams alive; forget expired ones (crashed workers')."""
        ...

    async def leave(self) -> None:
        """This worker stops: its streams are gone."""
        ...


class LocalPresence:
    """One process: its own hub knows every stream there is."""

    shared = False

    async def opened(self, address: str) -> str | None:
        return None

    def closed(self, stream_id: str) -> None:
        return None

    async def anywhere(self, address: str) -> bool:
        return False

    async def heartbeat(self) -> None:
        return None

    async def leave(self) -> None:
        return None


class Heartbeat:
    """The task that keeps this worker's stream records alive while it serves."""

    def __init__(self, presence: Presence, seconds: float = HEARTBEAT_SECONDS) -> None:
        self.presence = presence
        self.seconds = seconds
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.presence.shared:
            self.task = asyncio.create_task(self.beat())

    async def beat(self) -> None:
        while True:
            await asyncio.sleep(self.seconds)
            await self.presence.heartbeat()

    async def stop(self) -> None:
        if self.task is not None:
            await stop_task(self.task)
            self.task = None
            await self.presence.leave()
