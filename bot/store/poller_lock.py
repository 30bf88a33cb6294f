"""One poller per database: a PostgreSQL advisory lock held on a connection of its own.

Mailboxes and Telegram's getUpdates each want exactly one reader. Several `atiende serve`
workers on PostgreSQL agree on it with a session-level advisory lock; on SQLite there is one
process, so the lock is always granted.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)
IMAP_POLLER = 0x41544945       # one IMAP poller per database
TELEGRAM_POLLER = 0x54454C47   # one Telegram getUpdates poller per database


class PollerLock:
    """Thread-safe: a take in flight and a release never use the connection at once."""

    def __init__(self, engine: Engine, key: int) -> None:
        self.engine = engine
        self.key = key
        self.connection: Connection | None = None
        self.held = False
        self.closed = False
        self.mutex = threading.Lock()

    def try_take(self) -> bool:
        """Take the lock if it is free (never waits, never raises); True while this process
        holds it. A database error counts as "not now": the caller asks again later."""
        with self.mutex:
            if self.closed:
                return False
            if self.held or self.engine.dialect.name != "postgresql":
                self.held = True
                return True
            try:
                if self.connection is None:
                    self.connection = self.engine.connect()
                self.held = bool(self.connection.execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
                self.connection.commit()  # the lock belongs to the session, not a transaction
            except SQLAlchemyError as exc:
                log.warning("poller lock %#x: database error, will ask again: %s", self.key, exc)
                self.drop_connection()
            return self.held

    def release(self) -> None:
        """Let another worker take over; never raises (a dead connection frees the lock)."""
        with self.mutex:
            self.closed = True
            if self.connection is not None and self.held:
                try:
                    self.connection.execute(text("SELECT pg_advisory_unlock(:k)"),
                                            {"k": self.key})
                    self.connection.commit()
                except SQLAlchemyError:
                    self.drop_connection()   # closing the session releases its locks
            if self.connection is not None:
                self.connection.close()
                self.connection = None
            self.held = False

    def drop_connection(self) -> None:
        """Discard the connection (not back to the pool: it may still hold the lock)."""
        if self.connection is not None:
            self.connection.invalidate()
            self.connection.close()
            self.connection = None
        self.held = False
