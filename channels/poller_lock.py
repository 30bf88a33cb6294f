"""One poller per database: a PostgreSQL advisory lock held on a connection of its own.

Mailboxes and Telegram's getUpdates each want exactly one reader. Several `atiende serve`
workers on PostgreSQL agree on it with a session-level advisory lock; on SQLite there is one
process, so the lock is always granted.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

IMAP_POLLER = 0x41544945       # one IMAP poller per database
TELEGRAM_POLLER = 0x54454C47   # one Telegram getUpdates poller per database


class PollerLock:
    def __init__(self, engine: Engine, key: int) -> None:
        self.engine = engine
        self.key = key
        self.connection: Connection | None = None
        self.held = False

    def try_take(self) -> bool:
        """Take the lock if it is free (never waits); True while this process holds it."""
        if self.held or self.engine.dialect.name != "postgresql":
            self.held = True
            return True
        if self.connection is None:
            self.connection = self.engine.connect()
        self.held = bool(self.connection.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                                 {"k": self.key}).scalar())
        self.connection.commit()  # the lock belongs to the session, not to a transaction
        return self.held

    def release(self) -> None:
        """Let another worker take over (the pooled connection must not keep the lock)."""
        if self.connection is not None:
            if self.held:
                self.connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self.connection.commit()
            self.connection.close()
            self.connection = None
        self.held = False
