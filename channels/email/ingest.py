"""One inbound mail (SMTP or IMAP) translated for the engine: parse, then an InboundMessage.

The adapter decides nothing: it says what the mail claims (the ticket of the reply address it
was sent to, and whether the signature proves it), what it answers (In-Reply-To, References),
whether it is automatic and why, and keeps the exact bytes. The engine does the rest.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from channels.base import InboundMessage
from channels.email.addresses import is_own_address
from channels.email.config import EmailConfig
from channels.email.parse import ParsedEmail, parse_email
from channels.email.reply_address import ticket_claim
from channels.email.web_forms import form_person

CHANNEL = "email"


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


class MailReader:
    """Raw bytes → InboundMessage; raises UnparseableEmail with a reason."""

    def __init__(self, config: EmailConfig, key: bytes, now: Callable[[], datetime]) -> None:
        self.config = config
        self.key = key
        self.now = now

    def read(self, raw: bytes, envelope: Envelope) -> InboundMessage:
        return self.to_inbound(self.parse(raw, envelope), raw, envelope)

    def parse(self, raw: bytes, envelope: Envelope) -> ParsedEmail:
        support = self.config.support_address
        parsed = parse_email(raw, lambda address: is_own_address(address, support),
                             envelope_sender=envelope.mail_from,
                             max_bytes=self.config.smtp_inbound.max_message_bytes,
                             max_text_chars=self.config.max_text_chars)
        return parsed

    def to_inbound(self, parsed: ParsedEmail, raw: bytes, envelope: Envelope) -> InboundMessage:
        claim = ticket_claim(self.key, (*envelope.rcpt_tos, *parsed.recipients),
                             self.config.support_address)
        person = form_person(parsed, self.config.form_senders)
        automated = () if person else parsed.automated
        return InboundMessage(
            channel=CHANNEL, provider_message_id=parsed.dedupe_key,
            sender=person.address if person else parsed.sender, text=parsed.reply_text,
            received_at=self.now(), sender_name=person.name if person else parsed.sender_name,
            attachments=parsed.attachments, reply_to=parsed.reply_to,
            is_automated=bool(automated), subject=parsed.subject or None,
            ticket_number=claim.ticket_number if claim else None,
            claim_verified=bool(claim and claim.verified), in_reply_to=parsed.in_reply_to,
            references=parsed.references, automated_reasons=automated,
            dmarc_results=parsed.dmarc_results, raw=raw_payload(parsed, raw))


def raw_payload(parsed: ParsedEmail, raw: bytes) -> dict[str, object]:
    """What is kept beside the message: headers that matter, the whole text, the exact bytes."""
    return {
        "message_id": parsed.message_id, "from": parsed.sender, "to": list(parsed.recipients),
        "subject": parsed.subject, "in_reply_to": list(parsed.in_reply_to),
        "references": list(parsed.references), "reply_to": parsed.reply_to,
        "automated": list(parsed.automated), "html_only": parsed.html_only,
        "full_text": parsed.text, "size": parsed.size,
        "dmarc_results": [item.to_record() for item in parsed.dmarc_results],
        "rfc822_base64": base64.b64encode(raw).decode("ascii"),
    }
