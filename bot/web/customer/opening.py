"""A confirmed web request becomes a normal ticket on the customer's contact (by email address):
same SLA, agent mail, on-call paging and notices as a ticket opened on any channel.

The ticket's conversation is on the email channel, so agents' replies, notices and the
rating request reach the customer by mail (and show on /my/).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.config.root import AtiendeConfig
from bot.desk import notify, oncall, tickets
from bot.desk.deadlines import Desk
from bot.engine.contacts import find_or_create_contact
from bot.engine.conversations import new_conversation
from bot.store.models import Contact, Conversation, Message, Ticket, WebTicketRequest, WebUpload
from bot.store.persist import insert_now
from bot.web.customer.acknowledge import acknowledge
from bot.web.customer.ticket_form import TicketForm

CHANNEL = "webform"     # the channel web messages are stored under (tickets, messages)
REPLY_CHANNEL = "email"  # where the customer is answered


def attachment_records(uploads: list[WebUpload]) -> list[dict[str, Any]]:
    return [{"filename": u.filename, "content_type": u.content_type, "size": u.size,
             "url": f"/my/attachments/{u.id}"} for u in uploads]


def open_ticket(session: Session, desk: Desk, config: AtiendeConfig, request: WebTicketRequest,
                uploads: list[WebUpload], now: datetime) -> Ticket:
    """Contact, a new email conversation, the customer's message and the ticket, at once."""
    form = TicketForm(**request.form)
    text = form.ticket_text(request.language)
    contact = find_or_create_contact(session, config, REPLY_CHANNEL, form.email,
                                     form.name or None, now)
    conversation = new_conversation((contact.id, REPLY_CHANNEL, form.email), now)
    conversation.last_inbound_at = now
    insert_now(session, conversation)
    message = add_message(session, contact, conversation, form.email, text,
                          uploads, now, f"request-{request.id}", subject=form.title)
    ticket = tickets.create_ticket(
        session, desk, contact=contact, channel=CHANNEL, conversation_id=conversation.id,
        text=text, category=allowed_category(config, contact, form),
        priority=form.priority, language=request.language, actor=f"customer:{form.email}",
        now=now, subject=form.title)
    message.ticket_id = ticket.id
    for upload in uploads:
        upload.ticket_id = ticket.id
    notify.new_ticket(session, config, ticket, message, now, first_message=True)
    if oncall.is_vip_emergency(ticket, text, config):
        oncall.start_paging(session, desk, ticket, now)
    acknowledge(session, config, ticket, now)
    request.confirmed_at, request.pending_email, request.ticket_id = now, None, ticket.id
    return ticket


def allowed_category(config: AtiendeConfig, contact: Contact, form: TicketForm) -> str | None:
    """A VIP-only category (`vip.only_categories`) is left for an agent to set for others."""
    if form.category in config.vip.only_categories and not (
            contact.vip or config.is_vip_address(form.email)):
        return None
    return form.category


def add_message(session: Session, contact: Contact, conversation: Conversation | None,
                email: str, text: str, uploads: list[WebUpload], now: datetime,
                provider_id: str, subject: str | None = None) -> Message:
    """The customer's words as an inbound message of the `webform` channel."""
    message = Message(direction="in", channel=CHANNEL, provider_message_id=provider_id,
                      contact_id=contact.id,
                      conversation_id=conversation.id if conversation else None,
                      sender=email, text=text, attachments=attachment_records(uploads),
                      raw={"source": "web"}, status="processed", created_at=now,
                      subject=subject, is_automated=False, route_failures=0,
                      claim_verified=False)
    insert_now(session, message)
    return message
