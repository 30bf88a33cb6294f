"""The `telegram.Bot` we talk through: API URLs from config, one TLS store, token redaction."""

from __future__ import annotations

from telegram import Bot
from telegram.request import HTTPXRequest

from channels.media import tls_context
from channels.telegram.config import TelegramConfig


def api_urls(config: TelegramConfig) -> tuple[str, str]:
    """(base_url, base_file_url) for `telegram.Bot`, from channels.telegram.api_base_url."""
    base = config.api_base_url.rstrip("/")
    return f"{base}/bot", f"{base}/file/bot"


def http_request(pool_size: int) -> HTTPXRequest:
    return HTTPXRequest(connection_pool_size=pool_size, httpx_kwargs={"verify": tls_context()})


def make_bot(config: TelegramConfig, token: str) -> Bot:
    base_url, base_file_url = api_urls(config)
    return Bot(token, base_url=base_url, base_file_url=base_file_url,
               request=http_request(8), get_updates_request=http_request(1))


def redact_token(text: str, token: str) -> str:
    return text.replace(token, "<TELEGRAM_BOT_TOKEN>") if token else text
