"""PollerLock: one poller per database on PostgreSQL, robust to a database that drops sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from bot.app import Runtime
from bot.store.poller_lock import PollerLock

KEY = 0x7E57  # this test's own advisory lock key


def advisory_holders(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :k "
            "AND granted"), {"k": KEY}).scalar() or 0)


def backend_pid(lock: PollerLock) -> int:
    assert lock.connection is not None
    return int(lock.connection.execute(text("SELECT pg_backend_pid()")).scalar() or 0)


def test_one_holder_then_a_lost_connection_frees_it_for_the_other(runtime: Runtime) -> None:
    engine = runtime.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one process: the lock is always granted")
    holder, waiter = PollerLock(engine, KEY), PollerLock(engine, KEY)
    assert holder.try_take() and not waiter.try_take()
    doomed = [backend_pid(holder), backend_pid(waiter)]
    with engine.connect() as admin:   # the database drops both sessions (restart, timeout)
        admin.execute(text("SELECT pg_terminate_backend(pid) FROM unnest(:pids) AS pid"),
                      {"pids": doomed})
        admin.commit()
    assert waiter.try_take() is False   # its connection died: no error, ask again later
    assert waiter.try_take() is True    # a fresh connection; the holder's lock went with it
    holder.release()                    # unlocking on a dead connection does not raise
    assert advisory_holders(engine) == 1
    waiter.release()
    assert advisory_holders(engine) == 0
    assert waiter.try_take() is False   # released for good: no new lock after shutdown


def test_sqlite_always_grants_the_lock(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL: covered above")
    lock = PollerLock(runtime.engine, KEY)
    assert lock.try_take() and lock.try_take()
    lock.release()
