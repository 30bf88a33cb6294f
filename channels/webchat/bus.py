"""Live replies across workers: what the widget needs of the composition root
(`context.queries["web_bus"]`) so a reply sent by one `atiende serve` reaches the visitor's
stream open on another (PostgreSQL: LISTEN/NOTIFY, see bot/engine/web_bus.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, Protocol

Event = Mapping[str, Any]
# (address, the event or None) → this worker's streams; None: "read your history".
Deliver = Callable[[str, "Event | None"], None]


class LiveBus(Protocol):
    shared: bool   # True when other workers may hold the visitor's stream

    async def announce(self, address: str, event: Event) -> None:
        """Tell the other workers that `event` was sent to `address` (best effort: a stream
        that misses it finds it in the history on its next catch-up)."""
        ...

    async def listen(self, deliver: Deliver, lost: Callable[[], None]) -> None:
        """Call `deliver` for each other worker's announcement until cancelled; `lost` after
        a gap (a reconnect) during which announcements may have been missed."""
        ...


class LocalBus:
    """One process: its own hub is every stream there is."""

    shared = False

    async def announce(self, address: str, event: Event) -> None:
        return None

    async def listen(self, deliver: Deliver, lost: Callable[[], None]) -> None:
        await asyncio.Event().wait()   # nothing to hear, until cancelled
