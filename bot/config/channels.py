"""The channels section of config.yaml, composed of each channel's own sub-model."""

# Pydantic copies field defaults per instance, so list/dict defaults are safe; ruff only
# knows that for models whose BaseModel base is in the same file (Section is imported).

from __future__ import annotations

from bot.config.section import Section
from channels.email.config import EmailConfig
from channels.telegram.config import TelegramConfig
from channels.whatsapp.config import WhatsAppConfig


class ChannelsConfig(Section):
    whatsapp: WhatsAppConfig | None = None
    telegram: TelegramConfig | None = None
    email: EmailConfig | None = None
