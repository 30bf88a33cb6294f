"""The email channel's plugin for `atiende serve`: SMTP server, IMAP poller, outbound adapter."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.desk.relay import signing_key
from bot.store.poller_lock import IMAP_POLLER, PollerLock
from channels.email.history import MailHistory
from channels.email.imap_poller import PASSWORD_ENV, ImapPoller, ImapState
from channels.email.ingest import Envelope
from channels.email.outbound import EmailChannel
from channels.email.service import EmailService
from channels.email.smtp_server import SmtpServer, SupportHandler
from channels.registry import ChannelPlugin

if TYPE_CHECKING:
    from bot.app import Runtime
    from bot.config.root import ImapConfig, SmtpInboundConfig

log = logging.getLogger(__name__)


@dataclass
class EmailServices:
    """The running parts, kept so shutdown can stop what startup began."""

    runtime: Runtime
    service: EmailService
    smtp: SmtpServer
    poller: ImapPoller | None = None
    tasks: list[asyncio.Future[None]] = field(default_factory=list)

    async def start(self) -> None:
        await self.smtp.start()
        if self.poller is not None:
            self.tasks.append(asyncio.ensure_future(asyncio.to_thread(self.run_poller)))

    async def stop(self) -> None:
        if self.poller is not None:
            self.poller.stop.set()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.smtp.stop()

    def run_poller(self) -> None:
        """Hold the singleton lock (PostgreSQL) while polling; SQLite runs one process anyway."""
        assert self.poller is not None
        lock = PollerLock(self.runtime.engine, IMAP_POLLER)
        try:
            while not lock.try_take():
                if self.poller.stop.wait(self.poller.config.poll_interval_seconds):
                    return
            self.poller.run()
        finally:
            lock.release()


def with_tls_paths(runtime: Runtime, inbound: SmtpInboundConfig) -> SmtpInboundConfig:
    """STARTTLS certificate and key: relative paths start at config.yaml's folder."""
    files = {key: str(runtime.config.resolve_path(value)) for key, value in (
        ("tls_cert_file", inbound.tls_cert_file), ("tls_key_file", inbound.tls_key_file)) if value}
    return inbound.model_copy(update=files)


def build_plugin(runtime: Runtime) -> ChannelPlugin:
    """SMTP in and out always; IMAP when `imap.host` is set and IMAP_PASSWORD is given."""
    email = runtime.config.channels.email
    assert email is not None
    key = signing_key(runtime.factory)
    service = EmailService(runtime, key)
    channel = EmailChannel(email, runtime.config.bot.company_name, key,
                           {agent.email for agent in runtime.config.agents},
                           MailHistory(runtime.factory), runtime.clock.now)
    smtp = SmtpServer(with_tls_paths(runtime, email.smtp_inbound),
                      SupportHandler(service, email.support_address))
    poller, imap_status = build_poller(runtime, service)
    services = EmailServices(runtime, service, smtp, poller)
    status = (f"on: SMTP in {email.smtp_inbound.host}:{email.smtp_inbound.port}, out "
              f"{email.smtp_outbound.host}:{email.smtp_outbound.port}; IMAP {imap_status}")
    return ChannelPlugin(name="email", status=status, channel=channel,
                         startup=[services.start], shutdown=[services.stop])


def build_poller(runtime: Runtime, service: EmailService) -> tuple[ImapPoller | None, str]:
    email = runtime.config.channels.email
    assert email is not None
    imap = email.imap
    if not imap.host or not imap.username:
        return None, "off (set channels.email.imap.host and username to poll a mailbox)"
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        log.info("IMAP poller off: %s is not set", PASSWORD_ENV)
        return None, f"off ({PASSWORD_ENV} is not set)"

    status = f"on ({imap.username} at {imap.host}:{imap.port}/{imap.mailbox})"
    return imap_poller(runtime, service, imap, password), status


def imap_poller(runtime: Runtime, service: EmailService, imap: ImapConfig,
                password: str) -> ImapPoller:
    """The poller stores each fetched mail, then routes the chunk's mail together."""

    def receive(raw: bytes) -> object:
        return service.store_sync(raw, Envelope(), "email:imap")

    return ImapPoller(imap, password, receive, ImapState(runtime.factory, imap),
                      after_chunk=service.route_stored)
