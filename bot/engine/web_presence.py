"""The widget's Presence (channels/webchat/presence.py) in the database: one `web_streams` row
per open stream, with an expiry its worker's heartbeat pushes forward. A stream that closes
deletes its row; a crashed worker's rows expire after TTL and are then swept. Every call is one
short statement; a database error is logged and read as "no stream" (the email copy goes:
a copy too many, never one missing). On PostgreSQL these writes skip the WAL flush, like the
rate-limit counts (bot/store/rate_limits.py): what a server crash could lose is advisory."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, exists, select, update

from bot.store.models import WebStream
from bot.store.rate_limits import NO_FLUSH
from channels.log_text import first_line
from channels.webchat.presence import HEARTBEAT_SECONDS

log = logging.getLogger(__name__)
TTL = timedelta(seconds=3 * HEARTBEAT_SECONDS)   # two missed heartbeats and it is gone


class StoredPresence:
    """Streams recorded in the database, where every worker sees them."""

    shared = True

    def __init__(self, engine: Engine, now: Callable[[], datetime],
                 ttl: timedelta = TTL) -> None:
        self.engine = engine
        self.now = now
        self.ttl = ttl
        self.worker = uuid.uuid4().hex[:12]
        self.no_flush = engine.dialect.name == "postgresql"

    async def opened(self, address: str) -> str | None:
        stream_id = uuid.uuid4().hex
        row = {"id": stream_id, "address": address, "worker": self.worker,
               "expires_at": self.now() + self.ttl}
        ok = await self.run("record a stream", lambda c: c.execute(
            WebStream.__table__.insert(), row))
        return stream_id if ok else None

    def closed(self, stream_id: str) -> None:
        """Scheduled, not awaited: a closing stream's task may already be cancelled."""
        asyncio.get_running_loop().run_in_executor(None, self.in_thread, "forget a stream",
                                                   lambda c: c.execute(delete(WebStream).where(
                                                       WebStream.id == stream_id)))

    async def anywhere(self, address: str) -> bool:
        query = select(exists().where(WebStream.address == address,
                                      WebStream.expires_at > self.now()))
        found: list[bool] = []
        await self.run("look for a stream", lambda c: found.append(bool(c.scalar(query))))
        return bool(found and found[0])

    async def heartbeat(self) -> None:
        now = self.now()
        await self.run("refresh streams", lambda c: (
            c.execute(update(WebStream).where(WebStream.worker == self.worker)
                      .values(expires_at=now + self.ttl)),
            c.execute(delete(WebStream).where(WebStream.expires_at <= now))))

    async def leave(self) -> None:
        await self.run("forget this worker's streams", lambda c: c.execute(
            delete(WebStream).where(WebStream.worker == self.worker)))

    async def run(self, what: str, work: Callable[[Connection], object]) -> bool:
        return await asyncio.to_thread(self.in_thread, what, work)

    def in_thread(self, what: str, work: Callable[[Connection], object]) -> bool:
        try:
            with self.engine.begin() as connection:
                if self.no_flush:
                    connection.execute(NO_FLUSH)
                work(connection)
            return True
        except Exception as exc:   # presence is advisory: never fail the stream or the send
            log.warning("web: could not %s (%s)", what, first_line(exc))
            return False
