"""Inbound SMTP: long lines are real mail (250); a database flap is 451, never a quarantine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import Runtime, build_runtime
from bot.config.root import AtiendeConfig
from bot.store.models import Message, QuarantineItem
from scheduler.clock import FixedClock
from tests.email.mailkit import MailDesk, mail, rows, run
from tests.email.test_email_smtp import smtp_codes
from tests.servers.flaky_db import postgres_behind_proxy
from tests.servers.smtp_sink import SmtpSink
from tests.servers.tcp_proxy import TcpProxy

SUPPORT = "soporte@example.com"
LONG_LINE_MAILS = ("mail084.box", "mail086.box")   # lines of 1,000+ bytes, as sent


def long_lines(raw: bytes) -> int:
    return max(len(line) for line in raw.split(b"\n"))


@pytest.mark.parametrize("name", LONG_LINE_MAILS)
def test_corpus_mail_with_long_lines_is_accepted(desk: MailDesk, corpus_dir: Path,
                                                 name: str) -> None:
    raw = (corpus_dir / name).read_bytes()
    assert long_lines(raw) > 1000

    async def scenario() -> tuple[int, int]:
        async with desk.running():
            return await smtp_codes(desk, SUPPORT, raw)

    assert run(scenario()) == (250, 250)
    assert len(rows(desk.runtime, Message)) + len(rows(desk.runtime, QuarantineItem)) == 1


def test_a_50_kb_line_is_stored_whole(desk: MailDesk) -> None:
    line = "necesito ayuda " * 3_500
    message = mail("carla@cliente.co", "ayuda", "hola")
    raw = bytes(message).replace(b"hola", line.encode())
    assert long_lines(raw) > 50_000

    async def scenario() -> tuple[int, int]:
        async with desk.running():
            return await smtp_codes(desk, SUPPORT, raw)

    assert run(scenario()) == (250, 250)
    [stored] = rows(desk.runtime, Message)
    assert stored.text.count("necesito ayuda") == 3_500


@pytest.fixture
def flaky_desk(email_config: AtiendeConfig, sink: SmtpSink, clock: FixedClock,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[MailDesk, TcpProxy]]:
    monkeypatch.setenv("ATIENDE_SECRET_KEY", "test-signing-key")
    with postgres_behind_proxy() as (url, proxy):
        config = email_config.model_copy(update={
            "database": email_config.database.model_copy(update={
                "url": url, "connect_timeout_seconds": 2.0, "statement_timeout_seconds": 2.0,
                "pool_timeout_seconds": 2.0})})
        runtime: Runtime = build_runtime(config, clock)
        try:
            yield MailDesk(runtime, sink), proxy
        finally:
            runtime.engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("failure", ["flap", "refuse", "hang"])
def test_a_database_flap_is_451_and_nothing_is_quarantined(
        flaky_desk: tuple[MailDesk, TcpProxy], failure: str) -> None:
    desk, proxy = flaky_desk
    first = bytes(mail("carla@cliente.co", "ayuda", "¿Cuál es el horario de atención?"))

    async def scenario() -> tuple[tuple[int, int], tuple[int, int]]:
        async with desk.running():
            if failure == "flap":   # down for the store, back for anything after it
                proxy.flap()
            else:
                proxy.set_mode(failure)
            during = await smtp_codes(desk, SUPPORT, first)
            proxy.set_mode("forward")
            after = await smtp_codes(desk, SUPPORT, first)   # the sender's retry
            return during, after

    during, after = run(scenario())  # type: ignore[misc]
    assert during == (250, 451)
    assert after == (250, 250)
    assert rows(desk.runtime, QuarantineItem) == []
    assert [m.sender for m in rows(desk.runtime, Message)] == ["carla@cliente.co"]
