"""The channels section of config.yaml: composed of each channel's own sub-model, which lives
beside its adapter (channels/whatsapp/config.py, channels/telegram/config.py,
channels/email/config.py)."""

from __future__ import annotations

from bot.config.section import Section
from channels.email.config import EmailConfig
from channels.telegram.config import TelegramConfig
from channels.whatsapp.config import WhatsAppConfig


class ChannelsConfig(Section):
    whatsapp: WhatsAppConfig | None = None
    telegram: TelegramConfig | None = None
    email: EmailConfig | None = None
