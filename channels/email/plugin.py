"""The email channel's plugin for `atiende serve`: SMTP server, IMAP poller, outbound adapter."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from channels.base import ChannelContext, SingletonLock
from channels.email.config import EmailConfig, ImapConfig, SmtpInboundConfig
from channels.email.history import MailHistory
from channels.email.imap_poller import PASSWORD_ENV, ImapPoller, ImapState
from channels.email.ingest import Envelope, MailReader
from channels.email.outbound import EmailChannel
from channels.email.service import Mail, MailIntake
from channels.email.smtp_server import SmtpServer, SupportHandler
from channels.registry import ChannelPlugin

log = logging.getLogger(__name__)
POLLER_LOCK = "imap"


@dataclass
class EmailServices:
    """The running parts, kept so shutdown can stop what startup began."""

    smtp: SmtpServer
    poller: ImapPoller | None = None
    lock: SingletonLock | None = None
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
        """Hold the cross-worker lock while polling: one poller per mailbox."""
        assert self.poller is not None and self.lock is not None
        try:
            while not self.lock.try_take():
                if self.poller.stop.wait(self.poller.config.poll_interval_seconds):
                    return
            self.poller.run()
        finally:
            self.lock.release()


def with_tls_paths(base_dir: Path, inbound: SmtpInboundConfig) -> SmtpInboundConfig:
    """STARTTLS certificate and key: relative paths start at config.yaml's folder."""
    files = {key: str(base_dir / value) for key, value in (
        ("tls_cert_file", inbound.tls_cert_file), ("tls_key_file", inbound.tls_key_file)) if value}
    return inbound.model_copy(update=files)


def build_intake(section: EmailConfig, context: ChannelContext) -> MailIntake:
    return MailIntake(context.sink, MailReader(section, context.secret_key, context.now))


def build_plugin(section: EmailConfig, context: ChannelContext) -> ChannelPlugin:
    """SMTP in and out always; IMAP when `imap.host` is set and IMAP_PASSWORD is given.

    What outbound mail needs from earlier mail (threading headers, recent automatic replies)
    comes from `context.queries["mail_history"]`, which the composition root fills.
    """
    history: MailHistory = context.queries["mail_history"]
    intake = build_intake(section, context)
    channel = EmailChannel(section, context.company_name, context.secret_key, history,
                           context.now)
    smtp = SmtpServer(with_tls_paths(context.data_dir, section.smtp_inbound),
                      SupportHandler(intake, section.support_address), context.environ)
    poller, imap_status = build_poller(section.imap, intake, context)
    services = EmailServices(smtp, poller, context.lock(POLLER_LOCK) if poller else None)
    status = (f"on: SMTP in {section.smtp_inbound.host}:{section.smtp_inbound.port}, out "
              f"{section.smtp_outbound.host}:{section.smtp_outbound.port}; IMAP {imap_status}")
    return ChannelPlugin(name="email", status=status, channel=channel,
                         startup=[services.start], shutdown=[services.stop])


def build_poller(imap: ImapConfig, intake: MailIntake,
                 context: ChannelContext) -> tuple[ImapPoller | None, str]:
    if not imap.host or not imap.username:
        return None, "off (set channels.email.imap.host and username to poll a mailbox)"
    password = context.environ.get(PASSWORD_ENV)
    if not password:
        log.info("IMAP poller off: %s is not set", PASSWORD_ENV)
        return None, f"off ({PASSWORD_ENV} is not set)"
    status = f"on ({imap.username} at {imap.host}:{imap.port}/{imap.mailbox})"
    return imap_poller(intake, imap, password, context), status


def imap_poller(intake: MailIntake, imap: ImapConfig, password: str,
                context: ChannelContext) -> ImapPoller:
    """Each fetched chunk is stored, then handled together, before the poller flags it."""

    def receive(raws: list[bytes]) -> object:
        return intake.receive_all([Mail(raw, Envelope(), "email:imap") for raw in raws])

    return ImapPoller(imap, password, receive, ImapState(context.state, imap))
