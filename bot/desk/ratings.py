"""Satisfaction ratings: ask once per resolution, take the score and comment, act on low scores."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.desk import notify, tickets
from bot.desk.deadlines import Desk
from bot.desk.rating_words import is_explicit, parse_score, stars_label
from bot.engine import outbox
from bot.engine.conversations import reset_state, set_state
from bot.engine.intents import Intent
from bot.engine.replies import render
from bot.engine.turn import Turn
from bot.store.models import OPEN_STATUSES, Conversation, Rating, Ticket
from kb.normalize import normalize_text

RATING_BUTTONS = tuple(stars_label(score) for score in range(1, 6))
RATED_STATUSES = ("resolved", "closed")
MAX_COMMENT_CHARS = 2000
SKIP_WORDS = frozenset({
    "no", "n", "nada", "nada mas", "ninguno", "ninguna", "no gracias", "no nada", "omitir",
    "sin comentarios", "eso es todo", "nothing", "none", "no thanks", "nope", "skip",
    "no comment", "no comments", "thats all", "nothing else",
})
INTERRUPTIONS = ("greeting", "status", "escalate", "human")


def request_rating(session: Session, desk: Desk, ticket: Ticket, now: datetime) -> Rating | None:
    """Ask the customer to rate this resolution, once, on their channel and in their language."""
    if not desk.config.ratings.enabled:
        return None
    existing = find_rating(session, ticket.id, ticket.reopen_count)
    if existing is not None:
        return existing
    conversation = session.get(Conversation, ticket.conversation_id) if (
        ticket.conversation_id) else None
    ticket.rating, ticket.rating_comment, ticket.rated_at = None, None, None
    rating = Rating(ticket_id=ticket.id, contact_id=ticket.contact_id,
                    resolution=ticket.reopen_count, language=ticket.language,
                    channel=conversation.channel if conversation else ticket.channel,
                    agent=ticket.assignee, requested_at=now, request_status="queued",
                    change_count=0)
    session.add(rating)
    if conversation is None:
        rating.request_status = "not_sent"
        rating.not_sent_reason = "the ticket has no conversation to answer on"
    else:
        send_request(session, ticket, conversation, now)
    session.flush()
    tickets.record_event(session, ticket=ticket, actor="bot", action="rating_requested", at=now,
                         detail=rating.not_sent_reason or rating.channel)
    return rating


def send_request(session: Session, ticket: Ticket, conversation: Conversation,
                 now: datetime) -> None:
    outbox.enqueue_row(session, channel=conversation.channel, recipient=conversation.address,
                       text=render("rating_request", ticket.language, number=ticket.number,
                                   subject=ticket.subject),
                       buttons=RATING_BUTTONS, kind="rating_request", now=now,
                       conversation_id=conversation.id, ticket_id=ticket.id)
    set_state(conversation, "awaiting_rating", now, ticket_id=ticket.id)


def find_rating(session: Session, ticket_id: int, resolution: int) -> Rating | None:
    stmt = select(Rating).where(Rating.ticket_id == ticket_id, Rating.resolution == resolution)
    return session.scalars(stmt).first()


def is_open_for_rating(rating: Rating, ticket: Ticket, now: datetime, days: int) -> bool:
    """The current resolution, still resolved or closed, inside the window to rate or change."""
    window = timedelta(days=days)
    started = rating.rated_at or rating.requested_at
    return (ticket.status in RATED_STATUSES and rating.resolution == ticket.reopen_count
            and now <= started + window)


def current_rating(turn: Turn, ticket_id: int | None) -> Rating | None:
    ticket = tickets.find_ticket(turn.session, ticket_id)
    rating = find_rating(turn.session, ticket.id, ticket.reopen_count) if ticket else None
    if rating is None or ticket is None:
        return None
    days = turn.ctx.config.ratings.change_days
    return rating if is_open_for_rating(rating, ticket, turn.now, days) else None


def latest_rating(turn: Turn) -> Rating | None:
    """The contact's most recent rating that may still be given or changed."""
    since = turn.now - timedelta(days=turn.ctx.config.ratings.change_days)
    stmt = (select(Rating).where(Rating.contact_id == turn.contact.id,
                                 or_(Rating.requested_at >= since, Rating.rated_at >= since))
            .order_by(Rating.id.desc()).limit(1))
    rating = turn.session.scalars(stmt).first()
    return current_rating(turn, rating.ticket_id) if rating else None


def on_rating(turn: Turn, intent: Intent) -> bool:
    """State `awaiting_rating`: a score is taken; anything else goes on to the ticket as usual."""
    score = parse_score(turn.text)
    rating = current_rating(turn, turn.conversation.context.get("ticket_id")) if (
        score is not None) else None
    if score is None or rating is None:
        reset_state(turn.conversation, turn.now)
        return False
    take_score(turn, rating, score)
    return True


def on_idle(turn: Turn, intent: Intent) -> bool:
    """A late score (in a new conversation) or a change within the window, e.g. "4 estrellas"."""
    score = parse_score(turn.text)
    if score is None:
        return False
    rating = latest_rating(turn)
    if rating is None or (rating.score is not None and not is_explicit(turn.text)):
        return False
    if not is_explicit(turn.text) and has_open_ticket(turn):
        return False  # a bare "5" belongs to the conversation about the open ticket
    take_score(turn, rating, score)
    return True


def has_open_ticket(turn: Turn) -> bool:
    stmt = select(Ticket.id).where(Ticket.contact_id == turn.contact.id,
                                   Ticket.status.in_(OPEN_STATUSES)).limit(1)
    return turn.session.scalar(stmt) is not None


def take_score(turn: Turn, rating: Rating, score: int) -> None:
    """Store (or change) the score, act on a low one, and ask for a comment if there is none."""
    ticket = turn.session.get(Ticket, rating.ticket_id)
    assert ticket is not None
    turn.ticket = ticket
    before, first = rating.score, rating.score is None
    store_score(rating, ticket, score, turn.now)
    turn.desk.refresh(ticket)  # a good score starts the close timer, a low one holds it
    tickets.record_event(turn.session, ticket=ticket, actor=turn.actor,
                         action="rated" if first else "rating_changed", at=turn.now,
                         before=before, after=score, conversation_id=turn.conversation.id)
    low = score <= turn.ctx.config.ratings.low_score
    if low and rating.escalated_at is None:
        escalate_low(turn.session, turn.desk, ticket, rating, turn.now)
    key = "rating_changed" if not first else "rating_sorry" if low else "rating_thanks"
    text = render(key, turn.lang, number=ticket.number, score=score, stars=stars_label(score))
    if rating.comment is None:
        text = f"{text} {render('rating_ask_comment', turn.lang)}"
        set_state(turn.conversation, "awaiting_rating_comment", turn.now, rating_id=rating.id)
    else:
        reset_state(turn.conversation, turn.now)
    turn.say_text(text)


def store_score(rating: Rating, ticket: Ticket, score: int, now: datetime) -> None:
    if rating.score is None:
        rating.rated_at = now
    else:
        rating.changed_at = now
        rating.change_count += 1
    rating.score = score
    ticket.rating, ticket.rated_at = score, now


def escalate_low(session: Session, desk: Desk, ticket: Ticket, rating: Rating,
                 now: datetime) -> None:
    """A low score: an escalation event, and every supervisor told (once per person)."""
    rating.escalated_at = now
    reason = f"customer rating {rating.score}/5"
    raised = tickets.escalate(session, desk, ticket, "bot", now, reason)
    config = desk.config
    told = notify.agents_at_level(config, ticket.level) if raised else notify.supervisors(config)
    rest = [agent for agent in notify.supervisors(config) if agent not in told]
    notify.notify(session, config, ticket, rest, "agent_low_rating", now, score=rating.score,
                  agent=rating.agent or "—")
    tickets.record_event(session, ticket=ticket, actor="bot", action="supervisors_notified",
                         at=now, detail=reason)


def on_comment(turn: Turn, intent: Intent) -> bool:
    """State `awaiting_rating_comment`: the optional "what could we improve?" answer."""
    rating = turn.session.get(Rating, turn.conversation.context.get("rating_id"))
    if rating is None or intent.name in INTERRUPTIONS:
        reset_state(turn.conversation, turn.now)
        return False
    score = parse_score(turn.text) if is_explicit(turn.text) else None
    if score is not None:
        take_score(turn, rating, score)  # a change of mind, e.g. "mejor 4 estrellas"
        return True
    reset_state(turn.conversation, turn.now)
    ticket = turn.session.get(Ticket, rating.ticket_id)
    turn.ticket = ticket
    if intent.name == "thanks" or normalize_text(turn.text) in SKIP_WORDS:
        rating.comment = rating.comment or ""  # asked and declined: not asked again on a change
        turn.say("rating_done")
        return True
    store_comment(turn, rating, ticket)
    turn.say("rating_comment_thanks")
    return True


def store_comment(turn: Turn, rating: Rating, ticket: Ticket | None) -> None:
    comment = turn.text.strip()[:MAX_COMMENT_CHARS]
    rating.comment = comment
    if ticket is None:
        return
    ticket.rating_comment = comment
    tickets.record_event(turn.session, ticket=ticket, actor=turn.actor, action="rating_comment",
                         at=turn.now, detail=comment, conversation_id=turn.conversation.id)
    config = turn.ctx.config
    if rating.score is not None and rating.score <= config.ratings.low_score:
        notify.notify(turn.session, config, ticket, notify.supervisors(config),
                      "agent_rating_comment", turn.now, score=rating.score, comment=comment)
