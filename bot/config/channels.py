"""The channels section of config.yaml: WhatsApp (Twilio) and Telegram settings; email's own
section lives with its channel (channels/email/config.py)."""

# Pydantic copies field defaults per instance, so list/dict defaults are safe; ruff only
# knows that for models whose BaseModel base is in the same file (Section is imported).
# ruff: noqa: RUF012

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bot.config.section import Section
from channels.email.config import EmailConfig

TemplatePurpose = Literal["agent_reply", "rating_request", "page"]


class WhatsAppTemplate(Section):
    """An approved Twilio Content API template, used outside the 24 h window.

    `variables` maps the template's placeholders ("1", "2", …) to text in which {text},
    {ticket_number}, {subject} and {company} are filled in from the message.
    """

    content_sid: str = Field(pattern=r"^HX[0-9a-fA-F]{32}$")
    variables: dict[str, str] = {"1": "{ticket_number}", "2": "{text}"}


class WhatsAppConfig(Section):
    from_address: str = "whatsapp:+14155238886"
    api_base_url: str = "https://api.twilio.com"
    templates: dict[TemplatePurpose, WhatsAppTemplate] = {}
    status_callbacks: bool = True          # ask Twilio to post delivery statuses back
    media_dir: str = "media"               # downloaded attachments; relative to config.yaml
    media_max_bytes: int = Field(16 * 1024 * 1024, gt=0)
    media_timeout_seconds: float = Field(8.0, gt=0)
    # all attachments of one message together: Twilio gives up on the webhook after 15 s
    media_budget_seconds: float = Field(10.0, gt=0, lt=15)


class TelegramConfig(Section):
    mode: Literal["webhook", "polling"] = "webhook"
    api_base_url: str = "https://api.telegram.org"
    poll_interval_seconds: float = Field(0.0, ge=0)
    poll_timeout_seconds: int = Field(10, ge=0)
    per_chat_per_second: float = Field(1.0, gt=0)     # Telegram: about 1 message/s per chat
    overall_per_second: float = Field(30.0, gt=0)     # and 30 messages/s per bot
    media_dir: str = "media"
    media_max_bytes: int = Field(20 * 1024 * 1024, gt=0)  # the Bot API's download limit


class ChannelsConfig(Section):
    whatsapp: WhatsAppConfig | None = None
    telegram: TelegramConfig | None = None
    email: EmailConfig | None = None
