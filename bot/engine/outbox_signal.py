"""An outbox row committed wakes the dispatcher at once: in this process, and (PostgreSQL) in
every other worker through LISTEN/NOTIFY. The dispatcher's periodic poll stays as a safety net.

Code that queues rows marks its session (`mark_queued`); when that session commits, the
signal calls `wake` on the dispatcher's event loop, from whatever thread committed. On
PostgreSQL the commit also carries a `NOTIFY`, which `listen` turns into wakes in the other
workers (notifications are delivered only once the transaction commits, never for a rollback).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
QUEUED = "atiende_outbox_queued"
CHANNEL = "atiende_outbox"
RECONNECT_SECONDS = 1.0


def mark_queued(session: Session) -> None:
    """This transaction queued (or re-queued) outbox rows: wake the dispatcher on commit."""
    session.info[QUEUED] = True


class OutboxSignal:
    """Session events on one session factory that call `wake` on `loop` after a commit."""

    def __init__(self, factory: sessionmaker[Session], wake: Callable[[], None],
                 loop: asyncio.AbstractEventLoop, notify: bool = False) -> None:
        self.factory = factory
        self.wake = wake
        self.loop = loop
        self.notify = notify
        self.hooks = (("before_commit", self.before_commit), ("after_commit", self.after_commit),
                      ("after_rollback", self.after_rollback))
        for name, hook in self.hooks:
            event.listen(factory, name, hook)

    def close(self) -> None:
        for name, hook in self.hooks:
            event.remove(self.factory, name, hook)

    def before_commit(self, session: Session) -> None:
        if self.notify and session.info.get(QUEUED):
            session.execute(text(f"NOTIFY {CHANNEL}"))

    def after_commit(self, session: Session) -> None:
        if session.info.pop(QUEUED, False):
            # a closed loop: shutting down, and the poll is gone too
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.wake)

    def after_rollback(self, session: Session) -> None:
        session.info.pop(QUEUED, None)


def libpq_url(engine: Engine) -> str:
    """The engine's URL as psycopg's own `connect` takes it."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def listen(engine: Engine, wake: Callable[[], None],
                 ready: asyncio.Event | None = None) -> None:
    """LISTEN for other workers' commits and wake on each, until cancelled; reconnects after
    a database error (meanwhile the poll delivers). `ready` is set once listening."""
    import psycopg

    while True:
        try:
            async with await psycopg.AsyncConnection.connect(libpq_url(engine),
                                                             autocommit=True) as connection:
                await connection.execute(f"LISTEN {CHANNEL}")
                if ready is not None:
                    ready.set()
                async for _notice in connection.notifies():
                    wake()
        except psycopg.Error as exc:
            log.warning("outbox: LISTEN connection lost (%s); polling until it is back", exc)
            await asyncio.sleep(RECONNECT_SECONDS)
