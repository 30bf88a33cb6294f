"""Polling mode (development): getUpdates against the local Bot API feeds the same pipeline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.app import Runtime
from bot.config.root import AtiendeConfig
from bot.store.models import Message
from bot.web.app import create_web_app
from channels.registry import ChannelPlugin
from channels.telegram import service as service_module
from tests.channels.conftest import PUBLIC_URL, plugin_lifespan, telegram_plugin
from tests.fakes.clients import BOT_TOKEN, telegram_message
from tests.fakes.loopback import LoopbackServer
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
def config(config: AtiendeConfig) -> AtiendeConfig:
    data = config.model_dump(by_alias=True)
    data["channels"]["telegram"].update(mode="polling", poll_timeout_seconds=1)
    return AtiendeConfig.model_validate({**data, "source": config.source})


@pytest.fixture
def polling(runtime: Runtime) -> Iterator[ChannelPlugin]:
    plugin = telegram_plugin(runtime, {"TELEGRAM_BOT_TOKEN": BOT_TOKEN})
    app = create_web_app(runtime, plugin.routes, plugin_lifespan(runtime, [plugin]))
    with LoopbackServer(app):
        yield plugin


def stored_texts(runtime: Runtime, expected: int, timeout: float = 20) -> list[str]:
    """Wait for the poller (a background task by design) to store `expected` messages."""
    give_up = time.monotonic() + timeout
    while True:
        with runtime.factory() as session:
            texts = list(session.scalars(select(Message.text).where(
                Message.channel == "telegram").order_by(Message.id)))
        if len(texts) >= expected or time.monotonic() > give_up:
            return texts
        time.sleep(0.05)


def test_polling_needs_no_webhook_secret_and_adds_no_route(polling: ChannelPlugin) -> None:
    assert polling.is_on and polling.routes == []
    assert polling.status == "on: polling getUpdates (development mode)"


def test_polled_updates_are_stored_once(polling: ChannelPlugin, runtime: Runtime,
                                        telegram_api: FakeTelegram) -> None:
    update = telegram_message("¿Cuál es el horario de atención?")
    telegram_api.queue_update(update)
    telegram_api.queue_update(telegram_message("gracias"))
    assert stored_texts(runtime, 2) == ["¿Cuál es el horario de atención?", "gracias"]
    assert telegram_api.sent("deleteWebhook"), "polling starts by removing any webhook"
    polls = telegram_api.sent("getUpdates")
    assert polls[0]["allowed_updates"] == ["message", "callback_query"]
    assert PUBLIC_URL not in str(polls)


def test_on_postgresql_one_worker_polls_and_another_takes_over(
        runtime: Runtime, telegram_api: FakeTelegram) -> None:
    """Telegram serves one getUpdates poller per bot: two workers agree through the database."""
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one process: its worker always polls")
    first, second = (telegram_plugin(runtime, {"TELEGRAM_BOT_TOKEN": BOT_TOKEN})
                     for _ in range(2))

    def is_polling(plugin: ChannelPlugin) -> bool:
        updater = plugin.startup[0].__self__.application.updater  # type: ignore[attr-defined]
        return bool(updater.running)

    async def scenario() -> tuple[list[bool], bool, bool]:
        for plugin in (first, second):
            await plugin.startup[0]()
        polling = [is_polling(first), is_polling(second)]
        for hook in first.shutdown:   # the polling worker stops
            await hook()
        took_over = await second.startup[0].__self__.take_over()  # type: ignore[attr-defined]
        still = is_polling(second)
        for hook in second.shutdown:
            await hook()
        return polling, took_over, still

    assert asyncio.run(scenario()) == ([True, False], True, True)


class BusyThenFreeLock:
    """Another worker holds the poller lock; then the database hiccups; then the lock is free."""

    def __init__(self) -> None:
        self.asked = 0

    def try_take(self) -> bool:
        self.asked += 1
        if self.asked == 2:
            raise OperationalError("SELECT pg_try_advisory_lock", {}, Exception("db restarting"))
        return self.asked >= 3

    def release(self) -> None:
        pass


def test_a_waiting_worker_keeps_asking_for_the_poller_lock_through_errors(
        runtime: Runtime, telegram_api: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_module, "LOCK_RETRY_SECONDS", 0)
    plugin = telegram_plugin(runtime, {"TELEGRAM_BOT_TOKEN": BOT_TOKEN})
    service = plugin.startup[0].__self__  # type: ignore[attr-defined]
    service.lock = lock = BusyThenFreeLock()

    async def scenario() -> tuple[bool, bool]:
        await service.start()
        at_start = bool(service.application.updater.running)
        await service.waiting
        later = bool(service.application.updater.running)
        for hook in plugin.shutdown:
            await hook()
        return at_start, later

    assert asyncio.run(scenario()) == (False, True)
    assert lock.asked == 3
