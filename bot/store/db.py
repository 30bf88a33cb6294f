"""Database engine and sessions: SQLite in WAL mode with foreign keys, or PostgreSQL."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import ConfigError

SUPPORTED = ("sqlite", "postgresql")
SQLITE_BUSY_TIMEOUT_S = 30   # how long a SQLite statement waits for another writer to finish


@dataclass(frozen=True)
class Timeouts:
    """database.*_timeout_seconds: connecting, one statement, waiting for a pooled connection."""

    connect: float = 5.0
    statement: float = 10.0
    pool: float = 5.0


def make_engine(url: str, timeouts: Timeouts | None = None) -> Engine:
    """Create the engine for `database.url`; SQLite gets WAL, foreign keys and a busy timeout,
    PostgreSQL connect, statement and pool timeouts."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"database.url: {url!r} is not a database URL") from None
    check_supported(parsed)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    limits = timeouts or Timeouts()
    engine = create_engine(parsed, pool_pre_ping=True, pool_timeout=limits.pool,
                           connect_args={"connect_timeout": max(2, math.ceil(limits.connect))})
    event.listen(engine, "connect", partial(_set_statement_timeout, limits.statement))
    return engine


def check_supported(url: URL) -> None:
    """SQLite in a folder that exists, or PostgreSQL through psycopg: one line otherwise."""
    backend = url.get_backend_name()
    shown = url.render_as_string(hide_password=True)
    if backend not in SUPPORTED:
        raise ConfigError(f"database.url: {backend} is not supported ({shown}); use "
                          f"sqlite:///atiende.db or postgresql+psycopg://user@host/db")
    if backend == "postgresql" and url.get_driver_name() != "psycopg":
        raise ConfigError(f"database.url: use the psycopg driver: "
                          f"postgresql+psycopg://… (got {shown})")
    if backend == "sqlite" and url.database and url.database != ":memory:":
        folder = Path(url.database).expanduser().resolve().parent
        if not folder.is_dir():
            raise ConfigError(f"database.url: the folder {folder} does not exist ({shown})")


def _set_statement_timeout(seconds: float, dbapi_connection: Any, _record: Any) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = {int(seconds * 1000)}")
    dbapi_connection.commit()


@contextmanager
def sqlite_without_waiting(session: Session) -> Iterator[None]:
    """Within: this SQLite session's statements fail at once ("database is locked") when
    another connection is writing, instead of waiting up to SQLITE_BUSY_TIMEOUT_S. For work
    done on the event loop, which must never wait for a lock. The connection waits as usual
    again afterwards; one that cannot be set back is dropped from the pool."""
    pooled = session.connection().connection
    driver = pooled.driver_connection
    driver.execute("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        try:
            driver.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        except Exception:
            pooled.invalidate()


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session
