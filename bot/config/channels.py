"""The channels section of config.yaml: WhatsApp (Twilio), Telegram and email settings."""

# Pydantic copies field defaults per instance, so list/dict defaults are safe; ruff only
# knows that for models whose BaseModel base is in the same file (Section is imported).
# ruff: noqa: RUF012

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bot.config.section import Section

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


class HostPort(Section):
    host: str = "127.0.0.1"
    port: int = Field(25, ge=1, le=65535)


class SmtpInboundConfig(HostPort):
    """The SMTP server Atiende runs (MX or relay target); AUTH password: SMTP_INBOUND_PASSWORD."""

    port: int = Field(2525, ge=1, le=65535)   # unprivileged; an MX in front forwards port 25

    max_message_bytes: int = Field(25 * 1024 * 1024, gt=0)   # larger mail: 552
    auth_username: str | None = None      # set to require AUTH PLAIN/LOGIN
    tls_cert_file: str | None = None      # both files set: STARTTLS is offered
    tls_key_file: str | None = None
    require_starttls: bool = False


class SmtpOutboundConfig(HostPort):
    """The relay Atiende sends through; password from SMTP_PASSWORD."""

    username: str | None = None
    starttls: bool = False                # upgrade a plain connection (port 587)
    ssl: bool = False                     # implicit TLS (port 465)
    timeout_seconds: float = Field(30.0, gt=0)


class ImapConfig(Section):
    host: str | None = None
    port: int = Field(993, ge=1, le=65535)
    ssl: bool = True
    username: str | None = None
    mailbox: str = "INBOX"
    idle: bool = True                     # IMAP IDLE when the server has it
    poll_interval_seconds: float = Field(60.0, gt=0)   # re-check even without IDLE news
    processed_mailbox: str | None = None  # move processed mail there; else flag it
    processed_flag: str = "$AtiendeProcessed"
    reconnect_max_seconds: float = Field(300.0, gt=0)
    batch_size: int = Field(200, gt=0)


class AutoReplyLimit(Section):
    """At most `count` automatic replies to one recipient per `hours` (RFC 3834 etiquette)."""

    count: int = Field(10, ge=0)
    hours: float = Field(3.0, gt=0)


class EmailConfig(Section):
    support_address: str = "soporte@example.com"
    smtp_inbound: SmtpInboundConfig = SmtpInboundConfig()
    smtp_outbound: SmtpOutboundConfig = SmtpOutboundConfig(port=25)
    imap: ImapConfig = ImapConfig()
    auto_reply_limit: AutoReplyLimit = AutoReplyLimit()
    max_text_chars: int = Field(100_000, gt=0)   # text for the engine; the raw mail is kept whole


class ChannelsConfig(Section):
    whatsapp: WhatsAppConfig | None = None
    telegram: TelegramConfig | None = None
    email: EmailConfig | None = None
