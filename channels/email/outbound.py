"""Outbound mail: one MIME message per outbox row, sent with aiosmtplib to smtp_outbound."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import aiosmtplib
from starlette.concurrency import run_in_threadpool

from channels.base import DeliveryError, DeliveryReceipt, OutboundMessage
from channels.email.addresses import SUBJECT_TAG, domain_of, redact
from channels.email.config import EmailConfig
from channels.email.history import HUMAN_KINDS, MailHistory, ThreadHeaders
from channels.email.reply_address import signed_reply_address
from channels.email.subjects import is_reply_subject

log = logging.getLogger(__name__)
AGENT_KINDS = frozenset({"agent_notice", "page"})
PASSWORD_ENV = "SMTP_PASSWORD"


class EmailChannel:
    """The email adapter's outbound half (the outbox dispatcher is its only caller)."""

    name = "email"

    def __init__(self, config: EmailConfig, company: str, key: bytes, history: MailHistory,
                 now: Callable[[], datetime]) -> None:
        self.config = config
        self.company = company
        self.key = key
        self.history = history   # earlier mail, as the composition root reads it
        self.now = now
        # Sends of this process whose outbox rows may not be committed yet: id → (to, at).
        self.recent: dict[int, tuple[str, datetime]] = {}

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        if await run_in_threadpool(self.is_over_limit, message):
            log.warning("auto-reply limit reached for %s: outbox %s suppressed",
                        redact(message.recipient), message.outbox_id)
            return DeliveryReceipt(provider_message_id=None, status="suppressed")
        meta = message.metadata
        thread = await run_in_threadpool(self.history.thread_for, meta.get("in_reply_to"),
                                         meta.get("ticket_id"), message.recipient)
        mime = self.compose(message, thread)
        await self.deliver(mime, message.recipient)
        if message.outbox_id is not None and message.kind not in HUMAN_KINDS:
            self.recent[message.outbox_id] = (message.recipient, self.now())
        return DeliveryReceipt(provider_message_id=str(mime["Message-ID"]).strip("<>"))

    def is_for_agent(self, message: OutboundMessage) -> bool:
        """Notices and pages: the only mail the engine writes to agents."""
        return message.kind in AGENT_KINDS

    def is_over_limit(self, message: OutboundMessage) -> bool:
        """RFC 3834: at most N automatic replies per recipient and period; agents' words pass."""
        limit = self.config.auto_reply_limit
        if message.kind in HUMAN_KINDS or self.is_for_agent(message):
            return False
        since = self.now() - timedelta(hours=limit.hours)
        self.recent = {k: v for k, v in self.recent.items() if v[1] >= since}
        ours = {k for k, (to, _at) in self.recent.items() if to == message.recipient}
        return len(self.history.auto_replies_since(message.recipient, since) | ours) >= limit.count

    def compose(self, message: OutboundMessage, thread: ThreadHeaders) -> EmailMessage:
        mime = EmailMessage()
        mime["From"] = formataddr((self.company, self.config.support_address))
        mime["To"] = message.recipient
        mime["Subject"] = self.subject(message, thread)
        mime["Date"] = format_datetime(self.now())
        mime["Message-ID"] = self.new_message_id(message)
        if thread.in_reply_to:
            mime["In-Reply-To"] = f"<{thread.in_reply_to}>"
            mime["References"] = " ".join(f"<{ref}>" for ref in thread.references)
        # RFC 3834: the bot's answers are auto-replied; notices and relays auto-generated.
        mime["Auto-Submitted"] = "auto-replied" if message.kind == "reply" else "auto-generated"
        mime["X-Auto-Response-Suppress"] = "All"
        if self.is_for_agent(message) and message.ticket_number is not None:
            mime["Reply-To"] = signed_reply_address(self.key, self.config.support_address,
                                                    message.ticket_number)
        mime.set_content(body_text(message))
        return mime

    def subject(self, message: OutboundMessage, thread: ThreadHeaders) -> str:
        given = str(message.metadata.get("subject") or "")
        if self.is_for_agent(message) and given:
            return given
        base = thread.subject or given or self.company
        if thread.subject and not is_reply_subject(base):
            base = f"Re: {base}"
        number = message.ticket_number
        if number is not None and not SUBJECT_TAG.search(base):
            base = f"{base} [#{number}]"
        return base

    def new_message_id(self, message: OutboundMessage) -> str:
        ticket = message.ticket_number or 0
        token = secrets.token_hex(6)
        return f"<atiende.t{ticket}.o{message.outbox_id or 0}.{token}@" \
               f"{domain_of(self.config.support_address)}>"

    async def deliver(self, mime: EmailMessage, recipient: str) -> None:
        out = self.config.smtp_outbound
        try:
            await aiosmtplib.send(
                mime, sender=self.config.support_address, recipients=[recipient],
                hostname=out.host, port=out.port, username=out.username,
                password=os.environ.get(PASSWORD_ENV) if out.username else None,
                use_tls=out.ssl, start_tls=out.starttls, timeout=out.timeout_seconds)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            transient = all(refused.code < 500 for refused in exc.recipients)
            raise DeliveryError(f"recipient refused: {exc}", transient=transient) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.code}: {exc.message}",
                                transient=exc.code < 500) from exc
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP relay unreachable: {exc}", transient=True) from exc


def body_text(message: OutboundMessage) -> str:
    """Buttons the text does not already offer become one line of choices."""
    text = message.text.rstrip()
    missing = [b for b in message.buttons if b.lower() not in text.lower()]
    if missing:
        text = f"{text}\n\n[{' | '.join(message.buttons)}]"
    return text + "\n"
