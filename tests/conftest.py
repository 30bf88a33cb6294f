"""Shared fixtures: databases (SQLite and PostgreSQL), runtime, clock, loopback-only sockets."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, create_engine, text

from bot.app import Runtime, build_runtime
from bot.cli.chat import ChatSession
from bot.config.root import AtiendeConfig, load_config
from scheduler.clock import FixedClock

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() == "true"
BOGOTA = ZoneInfo("America/Bogota")
LOOPBACK_PREFIXES = ("127.", "::1", "localhost")


def need_service(reason: str) -> None:
    """Outside CI a missing service skips the test; in CI it fails it."""
    if IN_CI:
        pytest.fail(f"CI needs {reason}")
    pytest.skip(f"{reason} not available here")


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests talk to 127.0.0.1 only: any other destination is refused loudly."""
    real_connect = socket.socket.connect

    def guarded(sock: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else str(address)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not str(host).startswith(
                LOOPBACK_PREFIXES):
            raise ConnectionRefusedError(f"test tried to reach non-loopback host {host}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def postgres_available() -> bool:
    try:
        engine = create_engine(PG_SERVER)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a throwaway PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'atiende.db'}"
        return
    yield from postgres_schema()


def postgres_schema() -> Iterator[str]:
    """The URL of a throwaway schema on the shared PostgreSQL, dropped when resumed."""
    if not postgres_available():
        need_service("PostgreSQL on 127.0.0.1:5432 (user postgres, database test)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def migrated_engine(db_url: str) -> Iterator[Engine]:
    """An engine on `db_url` with the schema brought up to date."""
    from bot.store.db import make_engine
    from bot.store.migrate import upgrade

    built = make_engine(db_url)
    upgrade(built)
    yield built
    built.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """Tuesday 2026-11-24 10:00 in Bogotá, inside office hours."""
    return FixedClock(datetime(2026, 11, 24, 10, 0, tzinfo=BOGOTA))


@pytest.fixture
def config(db_url: str) -> AtiendeConfig:
    base = load_config(REPO / "config.yaml", environ={})
    return base.model_copy(update={"database": base.database.model_copy(update={"url": db_url})})


@pytest.fixture
def runtime(config: AtiendeConfig, clock: FixedClock) -> Iterator[Runtime]:
    built = build_runtime(config, clock)
    yield built
    built.engine.dispose()


@pytest.fixture
def chat(runtime: Runtime) -> ChatSession:
    return ChatSession(runtime, "console:ana", "Ana Pérez")


@pytest.fixture
def shared_dir() -> Path:
    """../shared (data sets); absent outside CI → skip, absent in CI → fail."""
    if not SHARED.is_dir():
        need_service(f"the shared data folder {SHARED}")
    return SHARED
