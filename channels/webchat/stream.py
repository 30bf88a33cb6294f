"""One visitor's event stream (SSE): the history first, then each reply as it is sent, from
this worker's dispatcher or (through the LiveBus) another's; nothing lost across a reconnect."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool

from channels.webchat.history import WebHistory
from channels.webchat.hub import CATCH_UP, REPLACED, Event, Hub
from channels.webchat.presence import LocalPresence, Presence

RECHECK_SECONDS = 30.0   # a safety net: without news, read the history again this often
Sse = dict[str, str]


class LiveStream:
    """Subscribe first, then read the history: nothing falls between the two. A reconnect
    (`last_id`, the browser's Last-Event-ID) gets only what came after that entry."""

    def __init__(self, hub: Hub, history: WebHistory, address: str,
                 last_id: str | None = None, presence: Presence | None = None) -> None:
        self.hub = hub
        self.presence = presence or LocalPresence()
        self.history = history
        self.address = address
        self.last_id = last_id
        self.shown: set[str] = set()

    async def events(self) -> AsyncIterator[Sse]:
        queue = self.hub.subscribe(self.address)
        stream_id: str | None = None
        try:
            stream_id = await self.presence.opened(self.address)   # seen by every worker
            entries = await self.read()
            self.shown = {str(entry["id"]) for entry in entries}
            yield {"event": "history", "data": json.dumps(after(entries, self.last_id))}
            while True:
                event = await next_event(queue)
                if event is REPLACED:
                    yield {"event": "closed", "data": json.dumps(
                        {"reason": "this chat was opened in too many windows; this one "
                                   "closed (reload it to continue here)"})}
                    return
                for entry in await self.news(event):
                    self.shown.add(str(entry["id"]))
                    yield {"event": "message", "id": str(entry["id"]),
                           "data": json.dumps(entry)}
        finally:
            self.hub.unsubscribe(self.address, queue)
            if stream_id is not None:
                self.presence.closed(stream_id)

    async def read(self) -> list[dict[str, Any]]:
        return await run_in_threadpool(self.history.history, self.address)

    async def news(self, event: Event | None) -> list[Any]:
        """The entries to send for what the queue gave: a pushed reply not shown yet, or
        (catch-up, or nothing for a while) the replies in the history not shown yet."""
        if event is not None and event is not CATCH_UP:
            return [] if str(event["id"]) in self.shown else [event]
        return [entry for entry in await self.read()
                if entry["direction"] == "out" and str(entry["id"]) not in self.shown]


async def next_event(queue: asyncio.Queue[Event]) -> Event | None:
    """The next queued event; None after RECHECK_SECONDS without one."""
    if not queue.empty():   # no timer for what is already there
        return queue.get_nowait()
    try:
        async with asyncio.timeout(RECHECK_SECONDS):   # no task per wait (wait_for's)
            return await queue.get()
    except TimeoutError:
        return None


def after(entries: list[dict[str, Any]], last_id: str | None) -> list[dict[str, Any]]:
    """The entries after the one with `last_id` (all of them when it is not there)."""
    if last_id:
        for index, entry in enumerate(entries):
            if str(entry["id"]) == last_id:
                return entries[index + 1:]
    return entries
