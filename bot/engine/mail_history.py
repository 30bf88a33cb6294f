"""Earlier mail, read for the email adapter's outbound side (its MailHistory protocol)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.store.models import Message, OutboxItem
from channels.email.history import HUMAN_KINDS, MAX_REFERENCES, ThreadHeaders

CHANNEL = "email"


class StoredMailHistory:
    """Reads for the outbound adapter; each call is one short session."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def thread_for(self, in_reply_to: int | None, ticket_id: int | None,
                   recipient: str) -> ThreadHeaders:
        """Answer the customer's mail we reply to; else continue our last mail on the ticket."""
        with self.factory() as session:
            message = session.get(Message, in_reply_to) if in_reply_to else None
            if message is not None and message.channel == CHANNEL:
                return from_message(message)
            if ticket_id is None:
                return ThreadHeaders()
            stmt = (select(OutboxItem.provider_message_id)
                    .where(OutboxItem.ticket_id == ticket_id, OutboxItem.channel == CHANNEL,
                           OutboxItem.recipient == recipient,
                           OutboxItem.provider_message_id.is_not(None))
                    .order_by(OutboxItem.id))
            ids = [i for i in session.scalars(stmt) if i]
        if not ids:
            return ThreadHeaders()
        return ThreadHeaders(in_reply_to=ids[-1], references=tuple(ids[-MAX_REFERENCES:]))

    def auto_replies_since(self, recipient: str, since: datetime) -> set[int]:
        """Outbox ids of automatic mail (not agents' words) sent to `recipient` since `since`."""
        with self.factory() as session:
            stmt = select(OutboxItem.id, OutboxItem.payload).where(
                OutboxItem.channel == CHANNEL, OutboxItem.recipient == recipient,
                OutboxItem.status == "sent", OutboxItem.sent_at >= since)
            return {row_id for row_id, payload in session.execute(stmt)
                    if payload.get("kind") not in HUMAN_KINDS}


def from_message(message: Message) -> ThreadHeaders:
    """Reply to a stored mail: its Message-ID, its references and its subject."""
    raw = message.raw or {}
    own = raw.get("message_id")
    references = [*raw.get("references", []), *([own] if own else [])]
    return ThreadHeaders(in_reply_to=own, references=tuple(references[-MAX_REFERENCES:]),
                         subject=raw.get("subject") or None)
