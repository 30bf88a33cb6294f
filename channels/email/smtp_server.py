"""Inbound SMTP in the serve process's event loop (aiosmtpd): check, store, then acknowledge."""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from collections.abc import Mapping
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from channels.base import ChannelConfigError
from channels.email.addresses import is_own_address, redact
from channels.email.config import SmtpInboundConfig
from channels.email.ingest import Envelope as MailEnvelope
from channels.email.service import MailIntake

log = logging.getLogger(__name__)
PASSWORD_ENV = "SMTP_INBOUND_PASSWORD"


class SupportHandler:
    """aiosmtpd hooks: only our addresses (550 5.1.1); 250 only once the mail is stored."""

    def __init__(self, intake: MailIntake, support_address: str) -> None:
        self.intake = intake
        self.support_address = support_address

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if not is_own_address(address, self.support_address):
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session,
                          envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        mail = MailEnvelope(mail_from=envelope_sender(envelope.mail_from),
                            rcpt_tos=tuple(envelope.rcpt_tos))
        try:
            outcome = await self.intake.receive(raw, mail, "email:smtp")
        except Exception:
            log.exception("could not store mail from %s", redact(envelope.mail_from or ""))
            return "451 4.3.0 Could not store the message; try again later"
        return f"250 2.0.0 Stored ({outcome.kind})"


def envelope_sender(mail_from: str | None) -> str:
    """MAIL FROM as an address; the null sender (`MAIL FROM:<>`, bounces) is ""."""
    if not mail_from or mail_from.strip() == "<>":
        return ""
    return mail_from


class Authenticator:
    """AUTH PLAIN/LOGIN against smtp_inbound.auth_username and SMTP_INBOUND_PASSWORD."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password

    def __call__(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                 auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == self.username
              and auth_data.password.decode() == self.password)
        return AuthResult(success=ok, handled=False)


class LongLineSMTP(SMTP):
    """aiosmtpd with lines up to `line_limit` bytes: real mail has lines over RFC 5321's
    1,000 (and aiosmtpd would bounce it for good with 500); the message size limit still
    bounds the whole."""

    def __init__(self, *args: Any, line_limit: int, **kwargs: Any) -> None:
        self.line_length_limit = line_limit   # read by SMTP.__init__ for its stream reader
        super().__init__(*args, **kwargs)


class SmtpServer:
    """Listens on smtp_inbound.host:port inside the running event loop."""

    def __init__(self, config: SmtpInboundConfig, handler: SupportHandler,
                 environ: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.handler = handler
        self.environ = os.environ if environ is None else environ
        self.server: asyncio.base_events.Server | None = None
        self.tls = tls_context(config)
        if config.auth_username and not self.environ.get(PASSWORD_ENV):
            # an empty password would let anyone in
            raise ChannelConfigError(f"channels.email.smtp_inbound.auth_username is set but the "
                              f"{PASSWORD_ENV} environment variable is not")

    def protocol(self) -> SMTP:
        password = self.environ.get(PASSWORD_ENV, "")
        username = self.config.auth_username
        return LongLineSMTP(self.handler, line_limit=self.config.max_message_bytes,
                            data_size_limit=self.config.max_message_bytes,
                            enable_SMTPUTF8=True, decode_data=False, ident="Atiende ESMTP",
                            tls_context=self.tls, require_starttls=self.config.require_starttls,
                            auth_required=bool(username), auth_require_tls=self.tls is not None,
                            authenticator=Authenticator(username, password) if username
                            else None)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(self.protocol, self.config.host, self.config.port)
        log.info("SMTP server listening on %s:%s", self.config.host, self.port)

    @property
    def port(self) -> int:
        if self.server is None or not self.server.sockets:
            return self.config.port
        return int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None


def tls_context(config: SmtpInboundConfig) -> ssl.SSLContext | None:
    if not (config.tls_cert_file and config.tls_key_file):
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(config.tls_cert_file, config.tls_key_file)
    return context
