"""One turn of the dialogue: the inbound message, who sent it, and the replies it causes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.config.root import AtiendeConfig
from bot.desk.deadlines import Desk
from bot.desk.tickets import record_event
from bot.engine import outbox
from bot.engine.replies import render
from bot.engine.work import EngineWork
from bot.store.models import Contact, Conversation, Message, OutboxItem, Ticket
from kb.loader import Article
from kb.matcher import KbIndex
from scheduler.business_hours import BusinessCalendar
from scheduler.clock import Clock


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

    @property
    def desk(self) -> Desk:
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
    replies: list[OutboxItem] = field(default_factory=list)
    ticket: Ticket | None = None
    had_no_tickets: bool = False   # the contact had no ticket at all when the turn began
    began_conversation: bool = False   # its conversation began with this message

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
        """The ticket number the channel says this message continues (an email thread)."""
        return self.message.claimed_ticket

    @property
    def actor(self) -> str:
        return f"customer:{self.message.sender}"

    def say(self, key: str, buttons: tuple[str, ...] = (), **values: object) -> None:
        """Queue the reply `key` in the customer's language, in this transaction."""
        self.say_text(render(key, self.lang, **values), buttons)

    def say_text(self, text: str, buttons: tuple[str, ...] = ()) -> None:
        self.replies.append(outbox.enqueue(
            self.session, channel=self.conversation.channel, recipient=self.conversation.address,
            text=text, buttons=buttons, now=self.now, conversation_id=self.conversation.id,
            ticket_id=self.ticket.id if self.ticket else None, in_reply_to=self.message.id,
            flush=False,
        ))

    def decide(self, action: str, detail: str | None = None, ticket: Ticket | None = None) -> None:
        """Write the audit row for a decision the bot made on this turn."""
        record_event(self.session, actor="bot", action=action, at=self.now, ticket=ticket,
                     conversation_id=self.conversation.id, detail=detail)
