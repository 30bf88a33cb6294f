"""SQLAlchemy 2 models for contacts, conversations, messages, tickets, events and the outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TextClause,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

TICKET_STATUSES = ("open", "in_progress", "waiting_customer", "resolved", "closed")
OPEN_STATUSES = ("open", "in_progress", "waiting_customer")
PRIORITIES = ("low", "medium", "high", "critical")
CATEGORIES = ("technical", "functional", "billing", "account", "training", "customization",
              "emergency", "suggestion")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC; SQLite gives them back aware too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware one (use the injected clock)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime, dict[str, Any]: JSON}


class Contact(Base):
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(5))
    vip: Mapped[bool] = mapped_column(Boolean, default=False)
    company: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    identities: Mapped[list[ContactIdentity]] = relationship(back_populates="contact")


class ContactIdentity(Base):
    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_identity_channel_address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"),
                                            index=True)   # 0011: the inbox's contact card
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(320))
    contact: Mapped[Contact] = relationship(back_populates="identities")


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (   # 0018: an address's latest conversation, one row whatever its history
        Index("ix_conversations_address", "contact_id", "channel", "address", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # indexed first in ix_conversations_address (0018 dropped the single-column index)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(320))
    state: Mapped[str] = mapped_column(String(30), default="idle")
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    resolved_by_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    out_of_hours_notice_on: Mapped[str | None] = mapped_column(String(10))
    last_inbound_at: Mapped[datetime | None]
    # The provider said the free-text window was closed (WhatsApp error 63016) at this time.
    template_required_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


# A stored inbound message whose routing has not succeeded yet. Written out, not bound: the
# query planners use the partial index ix_messages_unrouted only for a query that states
# this same condition.
UNROUTED_ROW = text("direction = 'in' AND status IN ('received', 'failed')")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "provider_message_id", name="uq_message_provider_id"),
        Index("ix_messages_conversation_ticket", "conversation_id", "ticket_id"),  # reports
        Index("ix_messages_channel_sender", "channel", "sender", "id"),   # 0014: web history
        # 0018: a ticket's transcript, newest first, without reading the whole ticket; only
        # the rows routing linked (a message is stored without either: storing skips them)
        Index("ix_messages_ticket_transcript", "ticket_id", "direction", "id",
              sqlite_where=text("ticket_id IS NOT NULL"),
              postgresql_where=text("ticket_id IS NOT NULL")),
        Index("ix_messages_conversation_transcript", "conversation_id", "direction", "id",
              sqlite_where=text("conversation_id IS NOT NULL"),
              postgresql_where=text("conversation_id IS NOT NULL")),
        # 0018: the messages not routed yet, and only those (the retry job and, with several
        # workers, a customer's earlier messages): a few rows, however large the table
        Index("ix_messages_unrouted", "id", "contact_id",
              sqlite_where=UNROUTED_ROW, postgresql_where=UNROUTED_ROW),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    channel: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str] = mapped_column(String(255))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    # indexed first in ix_messages_ticket_transcript (0018 dropped the single-column index)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    sender: Mapped[str] = mapped_column(String(320))
    text: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)   # what the provider sent
    status: Mapped[str] = mapped_column(String(20), default="received")
    created_at: Mapped[datetime]
    # What the adapter read from the message, beside the provider's payload:
    subject: Mapped[str | None] = mapped_column(Text)
    reply_to: Mapped[str | None] = mapped_column(String(320))      # the message it answers
    language_hint: Mapped[str | None] = mapped_column(String(8))
    is_automated: Mapped[bool] = mapped_column(default=False)      # bounce, auto-reply
    claimed_ticket: Mapped[int | None]                             # the ticket it says it continues
    claim_verified: Mapped[bool] = mapped_column(default=False)    # a signature proves the claim
    in_reply_to: Mapped[list[str] | None] = mapped_column(JSON)    # provider ids it answers
    thread_references: Mapped[list[str] | None] = mapped_column(JSON)   # its thread, oldest first
    automated_reasons: Mapped[list[str] | None] = mapped_column(JSON)
    # The engine's own bookkeeping:
    route_failures: Mapped[int] = mapped_column(default=0)
    thread: Mapped[dict[str, Any] | None] = mapped_column(JSON)    # the ticket its thread names


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (   # 0018: a contact's latest and open tickets, one row each
        Index("ix_tickets_contact_latest", "contact_id", "updated_at", "id"),
        Index("ix_tickets_contact_status", "contact_id", "status", "updated_at", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int | None] = mapped_column(Integer, unique=True)
    # indexed first in ix_tickets_contact_latest (0018 dropped the single-column index)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10), default="medium")
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    level: Mapped[int] = mapped_column(Integer, default=1)
    vip: Mapped[bool] = mapped_column(Boolean, default=False)
    assignee: Mapped[str | None] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(5), default="es")
    first_response_due_at: Mapped[datetime | None]
    next_deadline_at: Mapped[datetime | None] = mapped_column(index=True)
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]  # the current resolution's score (bot/ratings.py)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # SLA bookkeeping (scheduler): each marker makes its action happen exactly once.
    business_time: Mapped[bool] = mapped_column(Boolean, default=True)
    resolution_due_at: Mapped[datetime | None]
    priority_changed_at: Mapped[datetime | None]
    last_agent_activity_at: Mapped[datetime | None]
    sla_paused_at: Mapped[datetime | None]
    sla_paused_minutes: Mapped[float] = mapped_column(default=0.0)
    first_response_warned_at: Mapped[datetime | None]
    first_response_breached_at: Mapped[datetime | None]
    resolution_warned_at: Mapped[datetime | None]
    resolution_breached_at: Mapped[datetime | None]
    unanswered_escalated_at: Mapped[datetime | None]
    reminder_sent_at: Mapped[datetime | None]
    on_call_agent: Mapped[str | None] = mapped_column(String(320))
    paged_at: Mapped[datetime | None]
    page_count: Mapped[int] = mapped_column(Integer, default=0)
    next_page_at: Mapped[datetime | None]
    page_acked_at: Mapped[datetime | None]
    supervisor_paged_at: Mapped[datetime | None]
    first_response_minutes: Mapped[float | None]
    first_response_business_minutes: Mapped[float | None]
    resolution_minutes: Mapped[float | None]
    resolution_business_minutes: Mapped[float | None]


class TicketEvent(Base):
    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(40))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


def open_outbox_row(alias: str | None = None) -> TextClause:
    """An outbox row not sent yet (the claim's per-recipient checks), of the table or of one
    of its aliases. Written out, not bound: the query planners use the partial index
    ix_outbox_line only for a query that states this same condition."""
    status = f"{alias}.status" if alias else "status"
    return text(f"{status} IN ('pending', 'sending')")


OPEN_OUTBOX_ROW = open_outbox_row()


class OutboxItem(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),
                      Index("ix_outbox_channel_recipient", "channel", "recipient", "id"),  # 0014
                      Index("ix_outbox_channel_due",  # 0015
                            "status", "channel", "next_attempt_at"),
                      Index("ix_outbox_line",  # 0017, 0018: a claim's checks per recipient
                            "recipient", "channel", "status", "next_attempt_at",
                            sqlite_where=OPEN_OUTBOX_ROW, postgresql_where=OPEN_OUTBOX_ROW))
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(320))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    in_reply_to: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class DeliveryStatus(Base):
    """A provider's delivery report for one sent message, kept once per (message, status)."""

    __tablename__ = "delivery_statuses"
    __table_args__ = (
        UniqueConstraint("channel", "provider_message_id", "status",
                         name="uq_delivery_status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[str | None] = mapped_column(String(20))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), index=True)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime]


class QuarantineItem(Base):
    __tablename__ = "quarantine"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    # Mail that came over SMTP: {"mail_from": "" (null sender) or address, "rcpt_tos": [...]}.
    envelope: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime]
    replayed_at: Mapped[datetime | None]


class KbFeedback(Base):
    __tablename__ = "kb_feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[str | None] = mapped_column(String(120), index=True)
    lang: Mapped[str] = mapped_column(String(5))
    helpful: Mapped[bool | None] = mapped_column(Boolean)
    question: Mapped[str] = mapped_column(Text, default="")
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    at: Mapped[datetime]


class KbProposal(Base):
    """A customer question an agent tied to an article (#kb ID): a phrasing to approve."""

    __tablename__ = "kb_proposals"
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[str] = mapped_column(String(120), index=True)
    question: Mapped[str] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    proposed_by: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class TriageExample(Base):
    """A ticket's first message with the category and priority an agent corrected it to:
    a training example for triage once approved (`atiende triage learned`)."""

    __tablename__ = "triage_examples"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(30))
    priority: Mapped[str] = mapped_column(String(20))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"),
                                                  index=True)
    proposed_by: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class Rating(Base):
    """One satisfaction rating per resolution of a ticket: asked, then scored and commented."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("ticket_id", "resolution", name="uq_rating_ticket_resolution"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    resolution: Mapped[int] = mapped_column(Integer)  # the ticket's reopen_count when resolved
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5))
    agent: Mapped[str | None] = mapped_column(String(320))
    requested_at: Mapped[datetime] = mapped_column(index=True)
    request_status: Mapped[str] = mapped_column(String(20), default="queued")  # sent, not_sent
    not_sent_reason: Mapped[str | None] = mapped_column(Text)
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
    changed_at: Mapped[datetime | None]
    change_count: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None]


class Setting(Base):
    """Small key/value store for generated state (e.g. the local signing key)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AgentAccount(Base):
    """An agent's web-inbox sign-in: password hash, one-time invite, lock-out, UI language."""

    __tablename__ = "agent_accounts"
    email: Mapped[str] = mapped_column(String(320), primary_key=True)  # lower case
    password_hash: Mapped[str | None] = mapped_column(Text)            # argon2id
    invite_hash: Mapped[str | None] = mapped_column(String(64))        # sha256 of the token
    invite_expires_at: Mapped[datetime | None]
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)     # bump: sessions end
    language: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


# The customers' web pages (bot/web/customer/, migration 0012).


class WebTicketRequest(Base):
    """A ticket form sent from the web: it reaches the desk once its link is confirmed."""

    __tablename__ = "web_ticket_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)   # lower case
    # the email while the request waits for confirmation (NULL after): one per address
    pending_email: Mapped[str | None] = mapped_column(String(320), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(5))
    ip: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))


class WebUpload(Base):
    """A file a customer attached on the web, kept in the database beside its message."""

    __tablename__ = "web_uploads"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("web_ticket_requests.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class CustomerSignIn(Base):
    """A one-time "my tickets" link mailed to an address (only its hash is kept)."""

    __tablename__ = "customer_sign_ins"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


# Shared across `serve` workers (migration 0016): rate-limit counts and the widget's streams.


class RateLimitCount(Base):
    """One key's hits in a bucket's current and previous fixed window (bot/store/rate_limits)."""

    __tablename__ = "rate_limits"
    bucket: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger)    # epoch seconds
    previous_hits: Mapped[int] = mapped_column(Integer)
    hits: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer)             # 1: the last hit was booked
    expires: Mapped[int] = mapped_column(BigInteger, index=True)   # epoch s; swept after


class WebStream(Base):
    """A live-chat event stream open on some worker, kept alive by that worker's heartbeat."""

    __tablename__ = "web_streams"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    address: Mapped[str] = mapped_column(String(200), index=True)
    worker: Mapped[str] = mapped_column(String(32), index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
