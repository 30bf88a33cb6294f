"""The widget's streams as every worker sees them (bot/engine/web_presence.py), on SQLite and
PostgreSQL: recorded while open, gone when closed, kept alive by the heartbeat, expired when a
worker stops beating (crashed); and the email copy of a reply is left out while one is open."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.engine.web_presence import TTL, StoredPresence
from bot.store.db import make_engine
from channels.base import OutboundMessage
from channels.webchat.bus import LocalBus
from channels.webchat.hub import Hub
from channels.webchat.presence import Heartbeat, LocalPresence
from channels.webchat.sender import WebChatChannel
from scheduler.clock import FixedClock

VISITOR = "web:v-0001"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))


def anywhere(presence: StoredPresence, address: str = VISITOR) -> bool:
    return asyncio.run(presence.anywhere(address))


def test_a_stream_on_one_worker_is_seen_by_another_until_it_closes(
        migrated_engine: Engine, clock: FixedClock) -> None:
    worker_a, worker_b = (StoredPresence(migrated_engine, clock.now) for _ in range(2))
    stream_id = asyncio.run(worker_b.opened(VISITOR))
    assert stream_id is not None
    assert anywhere(worker_a) and not anywhere(worker_a, "web:someone-else")

    async def close() -> None:
        worker_b.closed(stream_id)

    asyncio.run(close())   # the loop's executor finishes the scheduled delete before it ends
    assert not anywhere(worker_a)


def test_the_heartbeat_keeps_streams_alive_and_a_silent_worker_expires(
        migrated_engine: Engine, clock: FixedClock) -> None:
    beating, crashed = (StoredPresence(migrated_engine, clock.now) for _ in range(2))
    asyncio.run(beating.opened(VISITOR))
    asyncio.run(crashed.opened("web:v-0002"))
    for _ in range(3):
        clock.advance(TTL * 2 / 3)
        asyncio.run(beating.heartbeat())
    assert anywhere(beating) and not anywhere(beating, "web:v-0002")
    asyncio.run(beating.leave())   # a worker that stops forgets its streams at once
    assert not anywhere(crashed)


def test_a_failing_database_reads_as_no_stream(clock: FixedClock, tmp_path: Path) -> None:
    broken = make_engine(f"sqlite:///{tmp_path / 'no-tables.db'}")
    presence = StoredPresence(broken, clock.now)
    assert asyncio.run(presence.opened(VISITOR)) is None
    assert not anywhere(presence)
    broken.dispose()


class Seen:
    """A presence that answers `online`, and the copies asked for by email."""

    def __init__(self, online: bool) -> None:
        self.online = online

    async def anywhere(self, address: str) -> bool:
        return self.online


class History:
    def __init__(self) -> None:
        self.forwarded: list[tuple[str, int]] = []

    def forward_by_email(self, address: str, outbox_id: int) -> bool:
        self.forwarded.append((address, outbox_id))
        return True


@pytest.mark.parametrize(("open_elsewhere", "copies"), [(True, 0), (False, 1)])
def test_an_agents_message_is_mailed_only_when_no_worker_holds_a_stream(
        clock: FixedClock, open_elsewhere: bool, copies: int) -> None:
    history = History()
    channel = WebChatChannel(Hub(), history, clock.now, LocalBus(),  # type: ignore[arg-type]
                             Seen(open_elsewhere))                  # type: ignore[arg-type]
    message = OutboundMessage(channel="web", recipient=VISITOR, text="Hola", kind="agent_reply",
                              outbox_id=7)
    asyncio.run(channel.send(message))
    assert len(history.forwarded) == copies


def test_one_process_has_no_other_workers_streams() -> None:
    assert not asyncio.run(LocalPresence().anywhere(VISITOR))


def test_only_a_shared_presence_gets_a_heartbeat_task(migrated_engine: Engine,
                                                   clock: FixedClock) -> None:
    """One process's presence has nothing to keep alive; a stored one beats while the worker
    serves and leaves (its streams gone) when it stops."""
    async def run() -> tuple[bool, bool, bool]:
        local = Heartbeat(LocalPresence())
        stored = Heartbeat(StoredPresence(migrated_engine, clock.now))
        await local.start()
        await stored.start()
        beating = (local.task is None, stored.task is not None)
        record = await stored.presence.opened(VISITOR)
        await stored.stop()
        assert record is not None
        return (*beating, await StoredPresence(migrated_engine, clock.now).anywhere(VISITOR))

    assert asyncio.run(run()) == (True, True, False)
