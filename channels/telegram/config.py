"""The `channels.telegram` section of config.yaml (the bot token comes from the environment)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from channels.base import ChannelSection


class TelegramConfig(ChannelSection):
    mode: Literal["webhook", "polling"] = "webhook"
    api_base_url: str = "https://api.telegram.org"
    poll_interval_seconds: float = Field(0.0, ge=0)
    poll_timeout_seconds: int = Field(10, ge=0)
    per_chat_per_second: float = Field(1.0, gt=0)     # Telegram: about 1 message/s per chat
    overall_per_second: float = Field(30.0, gt=0)     # and 30 messages/s per bot
    media_dir: str = "media"
    media_max_bytes: int = Field(20 * 1024 * 1024, gt=0)  # the Bot API's download limit
