"""`atiende telegram set-webhook | delete-webhook | webhook-info`: talk to the Bot API."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

import click

from bot.cli.base import config_option, read_config, user_errors
from bot.config.root import AtiendeConfig
from bot.errors import ConfigError
from channels.telegram.config import TelegramConfig


@click.group()
def telegram() -> None:
    """Register or inspect the Telegram webhook."""


def telegram_settings(config: AtiendeConfig) -> tuple[TelegramConfig, str]:
    section = config.channels.telegram
    if section is None:
        raise ConfigError(f"{config.source}: no channels.telegram section")
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "")
    if not token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set in the environment")
    return section, token


def run_with_bot(config_path: str | None, action: Callable[[Any, AtiendeConfig], Awaitable[Any]],
                 ) -> Any:
    """Build the Bot from config + environment and run `action(bot, config)` once."""
    from telegram.error import TelegramError

    from channels.telegram.client import make_bot, redact_token

    config = read_config(config_path)
    section, token = telegram_settings(config)

    async def main() -> Any:
        async with make_bot(section, token) as bot:
            return await action(bot, config)

    try:
        return asyncio.run(main())
    except TelegramError as exc:
        raise ConfigError(f"Telegram said: {redact_token(str(exc), token)}") from None


@telegram.command("set-webhook")
@click.option("--drop-pending-updates", is_flag=True, help="discard updates queued at Telegram")
@config_option
@user_errors
def set_webhook(drop_pending_updates: bool, config_path: str | None) -> None:
    """Point Telegram at http.public_url + /webhooks/telegram, with the secret token."""
    from channels.telegram.updates import ALLOWED_UPDATES
    from channels.telegram.webhook import WEBHOOK_PATH, check_secret_value

    secret = os.environ.get("TELEGRAM_WEBHOOK_SECRET", "")
    if problem := check_secret_value(secret):
        raise ConfigError(problem)

    async def action(bot: Any, config: AtiendeConfig) -> str:
        url = config.http.public_url.rstrip("/") + WEBHOOK_PATH
        await bot.set_webhook(url=url, secret_token=secret,
                              allowed_updates=list(ALLOWED_UPDATES),
                              drop_pending_updates=drop_pending_updates)
        return url

    url = run_with_bot(config_path, action)
    click.echo(f"Telegram webhook set to {url} (updates: message, callback_query)")


@telegram.command("delete-webhook")
@config_option
@user_errors
def delete_webhook(config_path: str | None) -> None:
    """Remove the webhook (polling mode also removes it when it starts)."""

    async def action(bot: Any, _config: AtiendeConfig) -> None:
        await bot.delete_webhook()

    run_with_bot(config_path, action)
    click.echo("Telegram webhook deleted")


@telegram.command("webhook-info")
@config_option
@user_errors
def webhook_info(config_path: str | None) -> None:
    """Show what Telegram knows about our webhook: URL, pending updates, last error."""

    async def action(bot: Any, _config: AtiendeConfig) -> Any:
        return await bot.get_webhook_info()

    info = run_with_bot(config_path, action)
    click.echo(f"url: {info.url or '(none)'}")
    click.echo(f"pending updates: {info.pending_update_count}")
    if info.last_error_message:
        click.echo(f"last error: {info.last_error_message}")
