"""One turn of the dialogue: the inbound message, who sent it, and the replies it causes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot.config.root import AtiendeConfig
from bot.desk.deadlines import Desk
from bot.desk.tickets import record_event
from bot.engine import outbox
from bot.engine.prepare import Prepared
from bot.engine.replies import render
from bot.engine.work import EngineWork
from bot.store.models import Contact, Conversation, Message, Ticket
from channels.email.addresses import SUBJECT_TAG
from channels.email.subjects import without_reply_prefix
from kb.loader import Article
from kb.matcher import KbIndex
from scheduler.business_hours import BusinessCalendar
from scheduler.clock import Clock

if TYPE_CHECKING:
    from bot.engine.mail_thread import MailRead

ONE_REPLY_CHANNELS = frozenset({"email"})   # each reply is a mail: one per turn


@dataclass(frozen=True)
class EngineContext:
    """What the engine needs besides the database session: config, KB, the clock, and the
    runtime's own queues and writer turn (`work`)."""

    config: AtiendeConfig
    kb_index: KbIndex
    articles: dict[str, Article]
    clock: Clock
    calendar: BusinessCalendar
    work: EngineWork

    @cached_property
    def desk(self) -> Desk:
        """Built once per context (its SLA rules are plain values made from config)."""
        return Desk(self.calendar, self.config)


@dataclass
class Turn:
    session: Session
    ctx: EngineContext
    message: Message
    contact: Contact
    conversation: Conversation
    lang: str
    now: datetime
    replies: list[dict[str, Any]] = field(default_factory=list)   # rows as queued
    ticket: Ticket | None = None
    # The contact's latest ticket as its routing batch read it (None: it had none), when
    # `latest_known`; else the turn looks it up.
    latest_ticket: Ticket | None = None
    latest_known: bool = False
    began_conversation: bool = False   # its conversation began with this message
    mail: MailRead | None = None   # how the engine reads it, when it is a mail
    continues: int | None = None   # the ticket its mail thread continues (the engine's finding)
    outcome: str = "customer"      # the engine's word on it, for the channel's answer
    prepared: Prepared = field(default_factory=Prepared)   # CPU work computed ahead

    @property
    def desk(self) -> Desk:
        return self.ctx.desk

    @property
    def text(self) -> str:
        return self.message.text or ""

    @property
    def is_automated(self) -> bool:
        """An auto-reply or bulk mail, as the channel adapter judged it: never auto-answered."""
        return bool(self.message.is_automated)

    @property
    def thread_ticket(self) -> int | None:
        """The ticket this message continues: its mail thread as the engine found it, else
        what the channel said."""
        return self.continues if self.continues is not None else self.message.claimed_ticket

    @property
    def actor(self) -> str:
        return f"customer:{self.message.sender}"

    def say(self, key: str, buttons: tuple[str, ...] = (), **values: object) -> None:
        """Queue the reply `key` in the customer's language, in this transaction."""
        self.say_text(render(key, self.lang, **values), buttons)

    def say_text(self, text: str, buttons: tuple[str, ...] = ()) -> None:
        """Queue one reply; on a channel where each reply is a mail, a turn's replies join in
        one message (the hours notice and the ticket confirmation are one mail)."""
        if (self.replies and self.conversation.channel in ONE_REPLY_CHANNELS
                and outbox.still_queued(self.session, self.replies[-1])):
            self.join_reply(self.replies[-1], text, buttons)
            return
        self.replies.append(outbox.enqueue_row(
            self.session, channel=self.conversation.channel, recipient=self.conversation.address,
            text=text, buttons=buttons, now=self.now, kind="reply",
            conversation_id=self.conversation.id,
            ticket_id=self.ticket.id if self.ticket else None, in_reply_to=self.message.id))

    def join_reply(self, row: dict[str, Any], text: str, buttons: tuple[str, ...]) -> None:
        """Add to the turn's reply that is not written yet (its values are the row's)."""
        payload = row["payload"]
        payload["text"] = f"{payload.get('text', '')}\n\n{text}"
        payload["buttons"] = [*payload.get("buttons", []), *buttons]
        if row["ticket_id"] is None and self.ticket is not None:
            row["ticket_id"] = self.ticket.id

    @property
    def subject(self) -> str | None:
        """The subject the customer gave (a mail's), without 'Re:' and ticket tags."""
        given = self.message.subject or ""
        return " ".join(without_reply_prefix(SUBJECT_TAG.sub("", given)).split()) or None

    def decide(self, action: str, detail: str | None = None, ticket: Ticket | None = None) -> None:
        """Write the audit row for a decision the bot made on this turn."""
        record_event(self.session, actor="bot", action=action, at=self.now, ticket=ticket,
                     conversation_id=self.conversation.id, detail=detail)
