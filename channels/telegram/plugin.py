"""Telegram's plugin for `atiende serve`: on with TELEGRAM_BOT_TOKEN (and the webhook secret)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from channels.base import ChannelContext
from channels.media import media_store
from channels.rate_limit import RateLimiter
from channels.registry import ChannelPlugin, off
from channels.telegram.client import make_bot
from channels.telegram.config import TelegramConfig
from channels.telegram.inbox import TelegramInbox
from channels.telegram.sender import TelegramChannel
from channels.telegram.service import TelegramService, build_application
from channels.telegram.updates import CHANNEL
from channels.telegram.webhook import WEBHOOK_PATH, TelegramWebhook, check_secret_value

POLLER_LOCK = "telegram"   # one getUpdates poller per bot, across workers


def build_plugin(section: TelegramConfig | None, context: ChannelContext) -> ChannelPlugin:
    """Telegram is on with TELEGRAM_BOT_TOKEN (and TELEGRAM_WEBHOOK_SECRET in webhook mode)."""
    if section is None:
        return off(CHANNEL, "no channels.telegram section in config.yaml")
    token = context.environ.get("TELEGRAM_BOT_TOKEN", "")
    if not token:
        return off(CHANNEL, "TELEGRAM_BOT_TOKEN is not set")
    secret = context.environ.get("TELEGRAM_WEBHOOK_SECRET", "")
    problem = check_secret_value(secret) if section.mode == "webhook" else None
    if problem:
        return off(CHANNEL, problem)
    return build_on(section, context, token, secret)


def build_on(config: TelegramConfig, context: ChannelContext, token: str,
             secret: str) -> ChannelPlugin:
    media = media_store(context.data_dir, config.media_dir, CHANNEL, config.media_max_bytes)
    inbox = TelegramInbox(context.sink, context.now, media,
                          report_outcomes=config.mode == "webhook")
    application = build_application(config, token, inbox)
    limiter = RateLimiter(config.per_chat_per_second, config.overall_per_second)
    channel = TelegramChannel(lambda: make_bot(config, token), limiter)
    service = TelegramService(application, config, token, context.lock(POLLER_LOCK))
    routes: list[BaseRoute] = []
    status = "on: polling getUpdates (development mode)"
    if config.mode == "webhook":
        webhook = TelegramWebhook(context.sink, application, inbox, secret)
        routes = [Route(WEBHOOK_PATH, webhook.handle, methods=["POST"])]
        status = (f"on: webhook {context.public_url.rstrip('/')}{WEBHOOK_PATH} "
                  f"(register it with `atiende telegram set-webhook`)")
    return ChannelPlugin(name=CHANNEL, status=status, channel=channel, routes=routes,
                         startup=[service.start], shutdown=[service.stop, channel.close])
