"""A database that accepts connections but never answers: 503 within seconds, then recovery."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from bot.config.root import AtiendeConfig
from tests.channels.conftest import PUBLIC_URL, Live
from tests.fakes.clients import telegram_message, telegram_post, twilio_params, twilio_post
from tests.servers.flaky_db import postgres_behind_proxy
from tests.servers.tcp_proxy import TcpProxy

TIMEOUTS = {"connect_timeout_seconds": 2.0, "statement_timeout_seconds": 2.0,
            "pool_timeout_seconds": 2.0}
WITHIN = 8.0   # seconds: well inside Twilio's 15


@pytest.fixture
def flaky_pg() -> Iterator[tuple[str, TcpProxy]]:
    with postgres_behind_proxy() as found:
        yield found


@pytest.fixture
def db_url(flaky_pg: tuple[str, TcpProxy]) -> str:
    return flaky_pg[0]


@pytest.fixture
def config(config: AtiendeConfig) -> AtiendeConfig:
    return config.model_copy(update={"database": config.database.model_copy(update=TIMEOUTS)})


def timed(call: object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()  # type: ignore[operator]
    return response, time.monotonic() - started


def test_a_hung_database_gives_503_within_seconds_and_recovery_needs_no_restart(
        live: Live, flaky_pg: tuple[str, TcpProxy]) -> None:
    _, proxy = flaky_pg
    live.whatsapp_in("hola")   # connections are pooled before the database hangs
    proxy.set_mode("hang")
    health, health_took = timed(lambda: httpx.get(f"{live.url}/healthz", timeout=30))
    params = twilio_params("¿Cuál es el horario de atención?")
    hook, hook_took = timed(lambda: twilio_post(live.url, PUBLIC_URL, "/webhooks/whatsapp",
                                                params))
    update = telegram_message("hola")
    telegram, telegram_took = timed(lambda: telegram_post(live.url, update))
    assert (health.status_code, health.json()["database"]) == (503, "unreachable")
    assert hook.status_code == 503 and telegram.status_code == 503, (hook.text, telegram.text)
    assert max(health_took, hook_took, telegram_took) < WITHIN
    proxy.set_mode("forward")
    assert twilio_post(live.url, PUBLIC_URL, "/webhooks/whatsapp", params).status_code == 200
    assert telegram_post(live.url, update).status_code == 200
    assert httpx.get(f"{live.url}/healthz", timeout=30).status_code == 200
    live.drain()
    assert [m.provider_message_id for m in live.messages("whatsapp")][1:] == [
        params["MessageSid"]]
    assert len(live.messages("telegram")) == 1
