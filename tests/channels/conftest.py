"""Channel fixtures: the fake cloud APIs, config pointing at them, and Atiende on a real socket."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from bot.app import Runtime
from bot.channel_context import build_channel_context
from bot.config.root import AtiendeConfig
from bot.engine.outbox import Dispatcher
from bot.store.models import Message, OutboxItem
from bot.web.app import create_web_app
from channels.registry import ChannelPlugin
from channels.telegram.plugin import build_plugin as build_telegram
from channels.whatsapp.plugin import build_plugin as build_whatsapp
from tests.channels.webchat_site import Widget, open_widget
from tests.fakes.clients import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BOT_TOKEN,
    CUSTOMER,
    WEBHOOK_SECRET,
    status_params,
    telegram_post,
    twilio_params,
    twilio_post,
)
from tests.fakes.loopback import LoopbackServer
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

PUBLIC_URL = "https://soporte.example.test"   # what Twilio calls; the socket is 127.0.0.1
ENV = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
       "TELEGRAM_BOT_TOKEN": BOT_TOKEN, "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET}


@pytest.fixture(scope="session")
def twilio_server() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    with LoopbackServer(fake.app()) as server:
        fake.url = server.url
        yield fake


@pytest.fixture(scope="session")
def telegram_server() -> Iterator[FakeTelegram]:
    fake = FakeTelegram(BOT_TOKEN)
    with LoopbackServer(fake.app()) as server:
        fake.url = server.url
        yield fake


def whatsapp_plugin(runtime: Runtime, environ: dict[str, str] = ENV) -> ChannelPlugin:
    """The WhatsApp plugin as `serve` builds it: its config section and a ChannelContext."""
    return build_whatsapp(runtime.config.channels.whatsapp, build_channel_context(runtime, environ))


def telegram_plugin(runtime: Runtime, environ: dict[str, str] = ENV) -> ChannelPlugin:
    """The Telegram plugin as `serve` builds it: its config section and a ChannelContext."""
    return build_telegram(runtime.config.channels.telegram, build_channel_context(runtime, environ))


@pytest.fixture
def twilio_api(twilio_server: FakeTwilio) -> FakeTwilio:
    """The local Twilio, with nothing recorded yet."""
    twilio_server.reset()
    return twilio_server


@pytest.fixture
def telegram_api(telegram_server: FakeTelegram) -> FakeTelegram:
    """The local Telegram Bot API, with nothing recorded yet."""
    telegram_server.reset()
    return telegram_server


def with_channels(base: AtiendeConfig, twilio_url: str, telegram_url: str, media: Path,
                  **telegram_extra: object) -> AtiendeConfig:
    data = base.model_dump(by_alias=True)
    data["http"]["public_url"] = PUBLIC_URL
    data["channels"]["whatsapp"] = {"from_address": "whatsapp:+14155238886",
                                    "api_base_url": twilio_url, "media_dir": str(media),
                                    "media_max_bytes": 64 * 1024}
    data["channels"]["telegram"] = {"mode": "webhook", "api_base_url": telegram_url,
                                    "media_dir": str(media), "media_max_bytes": 64 * 1024,
                                    **telegram_extra}
    return AtiendeConfig.model_validate({**data, "source": base.source})


@pytest.fixture
def config(config: AtiendeConfig, twilio_api: FakeTwilio, telegram_api: FakeTelegram,
           tmp_path: Path) -> AtiendeConfig:
    """The repository's config.yaml with both chat channels pointed at the local fakes.

    Telegram's send-rate limits are raised so tests never wait (test_rate_limit.py and
    test_telegram_send.py check the limiter with injected time).
    """
    return with_channels(config, twilio_api.url, telegram_api.url, tmp_path / "media",
                         per_chat_per_second=1000.0, overall_per_second=100_000.0)


def plugin_lifespan(runtime: Runtime, plugins: list[ChannelPlugin]):  # type: ignore[no-untyped-def]
    """The channels' startup/shutdown hooks only: tests drive the dispatcher themselves."""

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        for plugin in plugins:
            for hook in plugin.startup:
                await hook()
        yield
        await runtime.ctx.work.drain()
        for plugin in reversed(plugins):
            for hook in reversed(plugin.shutdown):
                await hook()

    return lifespan


@dataclass
class Live:
    """Atiende's web app with both chat channels, served on 127.0.0.1."""

    runtime: Runtime
    server: LoopbackServer
    whatsapp: ChannelPlugin
    telegram: ChannelPlugin

    @property
    def url(self) -> str:
        return self.server.url

    def whatsapp_in(self, text: str, sender: str = CUSTOMER, **extra: str) -> httpx.Response:
        """The customer writes on WhatsApp: Twilio posts the signed webhook."""
        response = twilio_post(self.url, PUBLIC_URL, "/webhooks/whatsapp",
                               twilio_params(text, sender=sender, **extra))
        assert response.status_code == 200, response.text
        return response

    def whatsapp_status(self, sid: str, status: str, error_code: str | None = None,
                        outbox_id: int | None = None) -> httpx.Response:
        """Twilio reports a delivery status to the StatusCallback URL we gave it."""
        path = "/webhooks/whatsapp/status" + (f"?outbox={outbox_id}" if outbox_id else "")
        return twilio_post(self.url, PUBLIC_URL, path, status_params(sid, status, error_code))

    def telegram_in(self, update: dict[str, Any]) -> httpx.Response:
        """Telegram posts an update to our webhook with the secret token."""
        response = telegram_post(self.url, update)
        assert response.status_code == 200, response.text
        return response

    def drain(self) -> None:
        """Wait for the routing the webhooks started in the background."""
        self.server.run(self.runtime.ctx.work.drain())

    def dispatch(self, now: datetime | None = None) -> int:
        """One outbox pass (`Dispatcher.deliver_due`) on the server's event loop."""
        self.drain()
        channels = {p.name: p.channel for p in (self.whatsapp, self.telegram) if p.channel}
        dispatcher = Dispatcher(self.runtime.factory, channels,  # type: ignore[arg-type]
                                jitter=lambda: 0.0)  # exact retry times in transcripts
        return self.server.run(dispatcher.deliver_due(now or self.runtime.clock.now()))

    def outbox(self, channel: str | None = None) -> list[OutboxItem]:
        with self.runtime.factory() as session:
            stmt = select(OutboxItem).order_by(OutboxItem.id)
            if channel:
                stmt = stmt.where(OutboxItem.channel == channel)
            return list(session.scalars(stmt))

    def messages(self, channel: str) -> list[Message]:
        with self.runtime.factory() as session:
            stmt = select(Message).where(Message.channel == channel,
                                         Message.direction == "in").order_by(Message.id)
            return list(session.scalars(stmt))


@pytest.fixture
def live(runtime: Runtime) -> Iterator[Live]:
    plugins = [whatsapp_plugin(runtime), telegram_plugin(runtime)]
    assert all(plugin.is_on for plugin in plugins), [p.status for p in plugins]
    routes = [route for plugin in plugins for route in plugin.routes]
    app = create_web_app(runtime, routes, plugin_lifespan(runtime, plugins))
    with LoopbackServer(app) as server:
        yield Live(runtime, server, *plugins)


@pytest.fixture
def widget(runtime: Runtime) -> Iterator[Widget]:
    """A widget visitor with a session, for the web channel's tests (their config turns it on)."""
    with open_widget(runtime) as client:
        yield client
