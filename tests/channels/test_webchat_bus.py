"""The widget's cross-worker announcements on a real PostgreSQL (bot/engine/web_bus.py): another
worker's reply arrives, a worker's own is skipped, a reply too long for a notification comes as
"read the history", and a dropped LISTEN connection is reopened with a catch-up."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

import bot.engine.web_bus as web_bus
from bot.engine.web_bus import PgWebBus
from tests.conftest import PG_SERVER, need_service, postgres_available


@pytest.fixture
def engine() -> Iterator[Engine]:
    if not postgres_available():
        need_service("PostgreSQL on 127.0.0.1:5432 (user postgres, database test)")
    engine = create_engine(PG_SERVER)
    yield engine
    engine.dispose()


async def until(check: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    """Wait for the listener's connection (bounded; not a deadline of the code under test)."""
    loop = asyncio.get_running_loop()
    limit = loop.time() + seconds
    while not check():
        assert loop.time() < limit, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


def test_announcements_reach_the_other_workers_only(engine: Engine) -> None:
    here, there = PgWebBus(engine), PgWebBus(engine)
    address = f"web:{uuid.uuid4().hex}"
    heard: list[tuple[str, Any]] = []
    catch_ups: list[int] = []

    async def scenario() -> None:
        listening = asyncio.create_task(here.listen(lambda a, e: heard.append((a, e)),
                                                    lambda: catch_ups.append(1)))
        try:
            await until(lambda: bool(catch_ups), "LISTEN")
            await here.announce(address, {"id": "out-1", "text": "own"})       # skipped
            await there.announce(address, {"id": "out-2", "text": "hola"})
            await there.announce(address, {"id": "out-3", "text": "x" * 9000})  # too long
            await until(lambda: len(mine(heard, address)) >= 2, "the announcements")
        finally:
            listening.cancel()

    asyncio.run(scenario())
    assert mine(heard, address) == [{"id": "out-2", "text": "hola"}, None]


def test_a_dropped_listen_connection_comes_back_with_a_catch_up(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_bus, "RECONNECT_SECONDS", 0.05)
    bus, other = PgWebBus(engine), PgWebBus(engine)
    address = f"web:{uuid.uuid4().hex}"
    heard: list[tuple[str, Any]] = []
    catch_ups: list[int] = []

    async def scenario() -> None:
        others = await asyncio.to_thread(listeners, engine)   # other tests' workers: spared
        listening = asyncio.create_task(bus.listen(lambda a, e: heard.append((a, e)),
                                                   lambda: catch_ups.append(1)))
        try:
            await until(lambda: bool(catch_ups), "LISTEN")
            ours = await asyncio.to_thread(listeners, engine) - others
            await asyncio.to_thread(terminate, engine, ours)
            await until(lambda: len(catch_ups) == 2, "the LISTEN connection again")
            await other.announce(address, {"id": "out-9", "text": "después"})
            await until(lambda: bool(mine(heard, address)), "the announcement")
        finally:
            listening.cancel()

    asyncio.run(scenario())
    assert mine(heard, address) == [{"id": "out-9", "text": "después"}]


def mine(heard: list[tuple[str, Any]], address: str) -> list[Any]:
    """What was heard for this test's visitor (other tests may share the database)."""
    return [event for heard_address, event in heard if heard_address == address]


def listeners(engine: Engine) -> set[int]:
    """The backends LISTENing for the widget's announcements."""
    with engine.connect() as connection:
        return set(connection.scalars(text(
            f"SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN {web_bus.CHANNEL}'")))


def terminate(engine: Engine, pids: set[int]) -> None:
    assert pids, "no LISTEN connection of this test found"
    with engine.connect() as connection:
        for pid in pids:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
