"""The email channel's section of config.yaml (channels.email), composed by bot/config."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from channels.base import ChannelSection as EmailSection


class HostPort(EmailSection):
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


class ImapConfig(EmailSection):
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


class AutoReplyLimit(EmailSection):
    """At most `count` automatic replies to one recipient per `hours` (RFC 3834 etiquette)."""

    count: int = Field(10, ge=0)
    hours: float = Field(3.0, gt=0)


class EmailConfig(EmailSection):
    support_address: str = "soporte@example.com"
    smtp_inbound: SmtpInboundConfig = SmtpInboundConfig()
    smtp_outbound: SmtpOutboundConfig = SmtpOutboundConfig(port=25)
    # smtp: through smtp_outbound; folder: each mail is a .eml file in outbound_folder (dev)
    outbound_transport: Literal["smtp", "folder"] = "smtp"
    outbound_folder: str = "mail-out"     # relative to the config file's folder
    imap: ImapConfig = ImapConfig()
    auto_reply_limit: AutoReplyLimit = AutoReplyLimit()
    max_text_chars: int = Field(100_000, gt=0)   # text for the engine; the raw mail is kept whole
    # contact forms that mail for a visitor (in Reply-To): their mail is the visitor's message
    form_senders: tuple[str, ...] = ()
    # agent replies count only with dmarc=pass written by one of these receiving servers
    require_dmarc_for_agents: bool = False
    trusted_authserv_ids: tuple[str, ...] = ()

    @model_validator(mode="after")
    def check_dmarc_option(self) -> EmailConfig:
        if self.require_dmarc_for_agents and not any(i.strip() for i in self.trusted_authserv_ids):
            raise ValueError("require_dmarc_for_agents needs trusted_authserv_ids: the "
                             "authserv-id of the mail server that checks DMARC for you")
        return self
