"""One inbound mail (SMTP or IMAP): parse; then quarantine, flag, relay or hand to the engine."""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot.desk import relay, tickets
from bot.desk.relay import AgentMail
from bot.engine.inbox import build_message_row, find_message
from bot.store.db import transaction
from bot.store.models import Message, QuarantineItem
from channels.base import InboundMessage, UnparseableEmail
from channels.email.addresses import (
    SUBJECT_TAG,
    find_reply_claim,
    is_own_address,
    redact,
    subject_ticket,
)
from channels.email.parse import ParsedEmail, parse_email
from channels.email.threading import CHANNEL, customer_thread, thread_tickets

if TYPE_CHECKING:
    from bot.app import Runtime

log = logging.getLogger(__name__)
SHORT_BODY_WORDS = 4  # "Hola, ayuda" alone says little: the subject holds the question
REPLY_SUBJECT = re.compile(r"^\s*(?:(?:re|aw|rv|sv|wg|fw|fwd|tr|r)\s*(?:\[\d+\])?\s*:\s*)+",
                           re.IGNORECASE)


@dataclass(frozen=True)
class Envelope:
    """What SMTP said beside the message: MAIL FROM ('' is the null sender) and RCPT TO."""

    mail_from: str | None = None
    rcpt_tos: tuple[str, ...] = ()

    def to_record(self) -> dict[str, object] | None:
        """As kept in quarantine.envelope (None when there was no envelope: IMAP)."""
        if self.mail_from is None and not self.rcpt_tos:
            return None
        return {"mail_from": self.mail_from, "rcpt_tos": list(self.rcpt_tos)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any] | None) -> Envelope:
        if not record:
            return cls()
        return cls(record.get("mail_from"), tuple(record.get("rcpt_tos") or ()))


@dataclass(frozen=True)
class Outcome:
    """quarantined | duplicate | customer | automated | agent_relayed | agent_flagged."""

    kind: str
    detail: str = ""
    inbound: InboundMessage | None = field(default=None, repr=False)
    record_id: int | None = None


class EmailIngest:
    """Everything but the engine: the engine gets only customers' mail (see `Outcome.inbound`)."""

    def __init__(self, runtime: Runtime, key: bytes) -> None:
        self.runtime = runtime
        self.key = key
        self.email = runtime.config.channels.email
        assert self.email is not None, "the email channel needs its config section"
        # Handles customers' mail stored but not yet routed (the IMAP poller routes a fetched
        # chunk at its end); called before a mail whose handling depends on earlier mail.
        self.settle: Callable[[], object] = lambda: None

    def prepare(self, raw: bytes, envelope: Envelope, source: str,
                keep_failures: bool = True) -> Outcome:
        """Store what is not a customer's mail; return customers' mail for the pipeline."""
        try:
            parsed = self.parse(raw, envelope)
        except UnparseableEmail as exc:
            if not keep_failures:
                raise
            return self.quarantine(raw, source, str(exc), envelope)
        return self.classify(parsed, raw, envelope)

    def parse(self, raw: bytes, envelope: Envelope) -> ParsedEmail:
        support = self.email.support_address
        return parse_email(raw, lambda address: is_own_address(address, support),
                           envelope_sender=envelope.mail_from,
                           max_bytes=self.email.smtp_inbound.max_message_bytes,
                           max_text_chars=self.email.max_text_chars)

    def classify(self, parsed: ParsedEmail, raw: bytes, envelope: Envelope) -> Outcome:
        claim = find_reply_claim((*envelope.rcpt_tos, *parsed.recipients),
                                 self.email.support_address)
        is_agent = self.runtime.config.find_agent(parsed.sender) is not None
        if (parsed.automated or is_agent or claim is not None or parsed.in_reply_to
                or parsed.references or subject_ticket(parsed.subject) is not None):
            self.settle()   # it reads what earlier mail did: let that be handled first
        if parsed.automated:
            return self.store_automated(parsed, raw)
        with self.runtime.factory() as session:
            from_customer = claim is not None and not is_agent and is_ticket_customer(
                session, claim.ticket_number, parsed.sender)
            to_agent_path = is_agent or (claim is not None and not from_customer)
            thread = {} if to_agent_path else customer_thread(session, parsed)
        if to_agent_path:
            mail = AgentMail(sender=parsed.sender, text=parsed.reply_text,
                             claimed_ticket=claim.ticket_number if claim else None,
                             signature=claim.signature if claim else "", thread_tickets=())
            return self.store_agent_mail(parsed, raw, mail)
        if from_customer and claim is not None and "ticket" not in thread:
            thread = {**thread, "ticket": claim.ticket_number}  # their ticket's address says
        return Outcome("customer", inbound=self.to_inbound(parsed, raw, thread))

    def store_automated(self, parsed: ParsedEmail, raw: bytes) -> Outcome:
        """Kept and linked to its ticket when it continues one; never routed, never answered."""
        now = self.runtime.clock.now()
        with transaction(self.runtime.factory) as session:
            row = self.new_row(session, self.to_inbound(parsed, raw, {}), "automated")
            if row is None:
                return Outcome("duplicate", parsed.dedupe_key)
            thread = customer_thread(session, parsed)
            ticket = relay.find_by_number(session, int(thread.get("ticket") or 0))
            if ticket is not None:
                row.ticket_id = ticket.id
                tickets.record_event(session, ticket=ticket, actor=f"email:{parsed.sender}",
                                     action="automated_mail", at=now,
                                     detail=f"message {row.id}: {'; '.join(parsed.automated)}")
            log.info("automated mail from %s kept, not answered: %s", redact(parsed.sender),
                     ", ".join(parsed.automated))
            return Outcome("automated", "; ".join(parsed.automated), record_id=row.id)

    def store_agent_mail(self, parsed: ParsedEmail, raw: bytes, mail: AgentMail) -> Outcome:
        """Stored and judged in one transaction: relayed to the customer, or flagged."""
        now = self.runtime.clock.now()
        with transaction(self.runtime.factory) as session:
            row = self.new_row(session, self.to_inbound(parsed, raw, {}), "received")
            if row is None:
                return Outcome("duplicate", parsed.dedupe_key)
            mail = AgentMail(mail.sender, mail.text, mail.claimed_ticket, mail.signature,
                             thread_tickets(session, parsed))
            verdict = relay.handle_agent_mail(session, self.runtime.ctx.desk, self.key, row,
                                              mail, now)
            kind = "agent_relayed" if verdict.relay else "agent_flagged"
            return Outcome(kind, verdict.reason, record_id=row.id)

    def new_row(self, session: Session, inbound: InboundMessage, status: str) -> Message | None:
        if find_message(session, CHANNEL, inbound.provider_message_id) is not None:
            return None
        row = build_message_row(session, self.runtime.config, inbound)
        row.status = status
        session.add(row)
        session.flush()
        return row

    def quarantine(self, raw: bytes, source: str, reason: str,
                   envelope: Envelope | None = None) -> Outcome:
        """Keep the bytes, the reason and the SMTP envelope, for `atiende quarantine replay`."""
        with transaction(self.runtime.factory) as session:
            item = QuarantineItem(source=source, reason=reason[:2000], raw=raw,
                                  envelope=envelope.to_record() if envelope else None,
                                  at=self.runtime.clock.now())
            session.add(item)
            session.flush()
            log.warning("quarantined mail %s from %s: %s", item.id, source, reason)
            return Outcome("quarantined", reason, record_id=item.id)

    def to_inbound(self, parsed: ParsedEmail, raw: bytes,
                   thread: dict[str, object]) -> InboundMessage:
        return InboundMessage(
            channel=CHANNEL, provider_message_id=parsed.dedupe_key, sender=parsed.sender,
            text=customer_text(parsed), received_at=self.runtime.clock.now(),
            sender_name=parsed.sender_name, attachments=parsed.attachments,
            reply_to=parsed.reply_to, is_automated=bool(parsed.automated),
            subject=parsed.subject or None, ticket_number=thread_ticket(thread),
            raw=raw_payload(parsed, raw, thread))


def thread_ticket(thread: dict[str, object]) -> int | None:
    number = thread.get("ticket")
    return number if isinstance(number, int) else None


def customer_text(parsed: ParsedEmail) -> str:
    """The new part of the mail; a near-empty fresh mail is read with its subject."""
    body = parsed.reply_text.strip()
    subject = SUBJECT_TAG.sub("", parsed.subject).strip()
    if (len(body.split()) >= SHORT_BODY_WORDS or not subject or REPLY_SUBJECT.match(subject)
            or subject.lower() in body.lower()):
        return body or subject
    return f"{subject}\n\n{body}".strip()


def raw_payload(parsed: ParsedEmail, raw: bytes, thread: dict[str, object]) -> dict[str, object]:
    """What is kept beside the message: headers that matter, the whole text, the exact bytes."""
    return {
        "message_id": parsed.message_id, "from": parsed.sender, "to": list(parsed.recipients),
        "subject": parsed.subject, "in_reply_to": list(parsed.in_reply_to),
        "references": list(parsed.references), "reply_to": parsed.reply_to,
        "automated": list(parsed.automated), "html_only": parsed.html_only,
        "full_text": parsed.text, "thread": thread, "size": parsed.size,
        "rfc822_base64": base64.b64encode(raw).decode("ascii"),
    }


def is_ticket_customer(session: Session, number: int, sender: str) -> bool:
    """The ticket's own customer (not an agent) wrote to its reply address: say, after an agent
    copied them on an answer. Their mail continues the ticket like any customer mail."""
    ticket = relay.find_by_number(session, number)
    return ticket is not None and relay.belongs_to(session, ticket, CHANNEL, sender)
