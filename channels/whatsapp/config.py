"""The `channels.whatsapp` section of config.yaml (Twilio credentials come from the environment)."""

# Pydantic copies field defaults per instance, so list/dict defaults are safe; ruff only
# knows that for models whose BaseModel base is in the same file (ChannelSection is imported).
# ruff: noqa: RUF012

from __future__ import annotations

from typing import Literal

from pydantic import Field

from channels.base import ChannelSection

TemplatePurpose = Literal["agent_reply", "rating_request", "page"]


class WhatsAppTemplate(ChannelSection):
    """An approved Twilio Content API template, used outside the 24 h window.

    `variables` maps the template's placeholders ("1", "2", …) to text in which {text},
    {ticket_number}, {subject} and {company} are filled in from the message.
    """

    content_sid: str = Field(pattern=r"^HX[0-9a-fA-F]{32}$")
    variables: dict[str, str] = {"1": "{ticket_number}", "2": "{text}"}


class WhatsAppConfig(ChannelSection):
    from_address: str = "whatsapp:+14155238886"
    api_base_url: str = "https://api.twilio.com"
    templates: dict[TemplatePurpose, WhatsAppTemplate] = {}
    status_callbacks: bool = True          # ask Twilio to post delivery statuses back
    media_dir: str = "media"               # downloaded attachments; relative to config.yaml
    media_max_bytes: int = Field(16 * 1024 * 1024, gt=0)
    media_timeout_seconds: float = Field(8.0, gt=0)
    # all attachments of one message together: Twilio gives up on the webhook after 15 s
    media_budget_seconds: float = Field(10.0, gt=0, lt=15)
    # sends per second from this sender (Twilio queues WhatsApp at about 80 MPS per sender)
    messages_per_second: float = Field(80.0, gt=0)
