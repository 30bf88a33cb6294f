"""What a customer does on their ticket: add information, confirm the fix, reopen, rate.

Each runs in the caller's transaction through the desk's own functions (bot.desk), so the
agents are told, the SLA clock moves and the audit trail reads `customer:<email>`.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from bot.config.root import AtiendeConfig
from bot.desk import notify, ratings, tickets
from bot.desk.deadlines import Desk
from bot.engine.conversations import reset_state
from bot.store.models import Contact, Conversation, Rating, Ticket, WebUpload
from bot.web.customer.opening import CHANNEL, add_message
from bot.web.customer.uploads import FormRefused, Upload

MAX_COMMENT = 10_000


def add_info(session: Session, desk: Desk, config: AtiendeConfig, ticket: Ticket, email: str,
             text: str, files: list[Upload], now: datetime) -> None:
    """A message on the ticket (a resolved one is reopened, as on any channel)."""
    text = text.strip()
    if not text and not files:
        raise FormRefused("empty_text")
    if len(text) > MAX_COMMENT:
        raise FormRefused("too_long", field="text", n=MAX_COMMENT)
    if ticket.status == "closed":
        raise FormRefused("is_closed", 409)
    actor = f"customer:{email}"
    if ticket.status == "resolved":
        tickets.reopen(session, desk, ticket, actor, now)
    uploads = [WebUpload(ticket_id=ticket.id, filename=f.filename, content_type=f.content_type,
                         size=len(f.data), data=f.data, created_at=now) for f in files]
    session.add_all(uploads)
    session.flush()
    contact = session.get(Contact, ticket.contact_id)
    assert contact is not None
    conversation = session.get(Conversation, ticket.conversation_id or 0)
    message = add_message(session, contact, conversation, email, text, uploads, now,
                          f"web-{uuid.uuid4().hex}")
    tickets.attach_message(session, desk, ticket, message, actor, now)
    notify.customer_follow_up(session, config, ticket, message, text, now)


def confirm_fix(session: Session, desk: Desk, ticket: Ticket, email: str, now: datetime) -> None:
    if ticket.status != "resolved":
        raise FormRefused("not_resolved", 409)
    tickets.set_status(session, desk, ticket, "closed", f"customer:{email}", now,
                       reason="the customer confirmed the fix on the web")


def reopen(session: Session, desk: Desk, ticket: Ticket, email: str, now: datetime) -> None:
    if ticket.status != "resolved":
        raise FormRefused("not_resolved", 409)
    tickets.reopen(session, desk, ticket, f"customer:{email}", now)


def parse_score(value: str) -> int:
    if value not in ("1", "2", "3", "4", "5"):
        raise FormRefused("bad_choice", field="score")
    return int(value)


def rate(session: Session, desk: Desk, ticket: Ticket, email: str, score: int, comment: str,
         now: datetime) -> None:
    """Score this resolution 1–5 (or change it within `ratings.change_days`); a low score
    escalates to the supervisors, as a rating on any channel does."""
    rating = ratings.find_rating(session, ticket.id, ticket.reopen_count)
    if rating is None and ticket.status in ratings.RATED_STATUSES:
        rating = new_rating(session, ticket, now)
    days = desk.config.ratings.change_days
    if rating is None or not ratings.is_open_for_rating(rating, ticket, now, days):
        raise FormRefused("not_ratable", 409)
    before, first = rating.score, rating.score is None
    ratings.store_score(rating, ticket, score, now)
    desk.refresh(ticket)
    tickets.record_event(session, ticket=ticket, actor=f"customer:{email}",
                         action="rated" if first else "rating_changed", at=now, before=before,
                         after=score, detail="web")
    if score <= desk.config.ratings.low_score and rating.escalated_at is None:
        ratings.escalate_low(session, desk, ticket, rating, now)
    if comment.strip():
        rating.comment = ticket.rating_comment = comment.strip()[:ratings.MAX_COMMENT_CHARS]
    stop_asking(session, ticket, now)


def new_rating(session: Session, ticket: Ticket, now: datetime) -> Rating:
    """Rated on the web before (or without) the request on the customer's channel."""
    rating = Rating(ticket_id=ticket.id, contact_id=ticket.contact_id,
                    resolution=ticket.reopen_count, language=ticket.language, channel=CHANNEL,
                    agent=ticket.assignee, requested_at=now, request_status="not_sent",
                    not_sent_reason="rated on the web", change_count=0)
    session.add(rating)
    session.flush()
    return rating


def stop_asking(session: Session, ticket: Ticket, now: datetime) -> None:
    """The conversation no longer waits for a score by chat or mail."""
    conversation = session.get(Conversation, ticket.conversation_id or 0)
    if conversation is not None and conversation.state in ("awaiting_rating",
                                                           "awaiting_rating_comment"):
        reset_state(conversation, now)
