"""route_message: decide what one stored inbound message means and what the bot does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot import agent_chat, answers, ratings, ticket_flow, tickets
from bot.conversations import current_conversation
from bot.intents import Intent, read_intent
from bot.models import OPEN_STATUSES, Contact, Conversation, Message
from bot.persist import deferred_rows, write_rows
from bot.triage import infer_category
from bot.turn import EngineContext, Turn
from kb.language import detect_language
from kb.normalize import normalize_text

SHORT_MESSAGE_WORDS = 3
TURN_ROWS = (select(Message, Contact)   # built once: the message (locked) and who sent it
             .join(Contact, Message.contact_id == Contact.id)
             .where(Message.id == bindparam("message_id")).with_for_update(of=Message))


@dataclass(frozen=True)
class RouteResult:
    outbox_ids: tuple[int, ...]
    ticket_number: int | None
    ticket_status: str | None
    lang: str


def route_message(session: Session, ctx: EngineContext, message_id: int) -> RouteResult:
    """Handle one stored inbound message inside the caller's transaction."""
    return route_messages(session, ctx, [message_id])[0]


def route_messages(session: Session, ctx: EngineContext,
                   message_ids: Sequence[int]) -> list[RouteResult]:
    """Handle stored inbound messages of different contacts, in order, in one transaction.

    The turns' writes go out in one flush at the end (one statement per table and kind, not
    per message). A turn reads only its own contact's rows, so it need not see an earlier
    turn's unflushed changes; when a turn changed another contact's rows (an agent's command
    on a customer's ticket), they are flushed before the next turn reads. Audit and KB
    feedback rows are written together at the end too.
    """
    if len(message_ids) > 1:
        lock_in_order(session, message_ids)
    with deferred_rows(session):
        turns = run_turns(session, ctx, message_ids)
        write_rows(session)
    session.flush()   # the replies get their ids here, all in one go
    return [RouteResult(tuple(item.id for item in turn.replies),
                        turn.ticket.number if turn.ticket else None,
                        turn.ticket.status if turn.ticket else None, turn.lang)
            for turn in turns]


BATCH_IDS = bindparam("message_ids", expanding=True)
LOCK_MESSAGES = (select(Message.id).where(Message.id.in_(BATCH_IDS))
                 .order_by(Message.id).with_for_update())
LOCK_CONVERSATIONS = (select(Conversation.id).where(Conversation.contact_id.in_(
    select(Message.contact_id).where(Message.id.in_(BATCH_IDS))))
    .order_by(Conversation.id).with_for_update())


def lock_in_order(session: Session, message_ids: Sequence[int]) -> None:
    """Take a batch's row locks up front, in id order (messages, then conversations, as a
    single turn does). Two workers' batches sharing customers then queue instead of each
    holding one customer's conversation while waiting for the other's (a deadlock).
    SQLite has one writer and no row locks: nothing to do there."""
    if session.get_bind().dialect.name == "sqlite":
        return
    ids = {"message_ids": list(message_ids)}
    session.execute(LOCK_MESSAGES, ids).all()
    session.execute(LOCK_CONVERSATIONS, ids).all()


def run_turns(session: Session, ctx: EngineContext, message_ids: Sequence[int]) -> list[Turn]:
    turns: list[Turn] = []
    contacts: set[int] = set()
    for message_id in message_ids:
        with session.no_autoflush if turns else nullcontext():   # the caller's own: flushed
            turn = start_turn(session, ctx, message_id)
        if turn.message.status != "processed":
            dispatch(turn, read_intent(turn.text))
            turn.message.status = "processed"
        turns.append(turn)
        contacts.add(turn.contact.id)
        if len(turns) < len(message_ids) and changed_for_others(session, contacts):
            session.flush()
    return turns


def changed_for_others(session: Session, contacts: set[int]) -> bool:
    """Whether unflushed changes touch a contact other than `contacts` (those whose turns ran:
    a later turn in the batch is another contact's, and reads only that contact's rows)."""
    for obj in session.dirty:
        owner = obj.id if isinstance(obj, Contact) else getattr(obj, "contact_id", None)
        if owner is not None and owner not in contacts:
            return True
    return False


def start_turn(session: Session, ctx: EngineContext, message_id: int) -> Turn:
    found = session.execute(TURN_ROWS, {"message_id": message_id}).first()
    if found is None:
        raise LookupError(f"message {message_id} is not stored")
    message, contact = found
    now = ctx.clock.now()
    timeout = timedelta(hours=ctx.config.bot.conversation_timeout_hours)
    conversation = current_conversation(session, contact.id, message.channel, message.sender,
                                        message.created_at, timeout)
    conversation.last_inbound_at = message.created_at
    message.conversation_id = conversation.id
    lang = choose_language(message, contact, ctx.config.bot.default_language)
    contact.language = lang
    return Turn(session, ctx, message, contact, conversation, lang, now)


def choose_language(message: Message, contact: Contact, default: str) -> str:
    """Detect per message; short replies ("sí", "2") keep the language we already know."""
    hint = (message.raw or {}).get("_atiende", {}).get("language_hint")
    known = contact.language or (hint if hint in ("es", "en") else None)
    words = normalize_text(message.text or "").split()
    if len(words) < SHORT_MESSAGE_WORDS and known:
        return known
    return detect_language(message.text or "", default=known or default)


def dispatch(turn: Turn, intent: Intent) -> None:
    if agent_chat.handle_agent_command(turn):
        return
    handler = STATE_HANDLERS.get(turn.conversation.state)
    if handler is not None and handler(turn, intent):
        return
    if handle_intent(turn, intent):
        return
    # Nothing pending can change this answer (handlers that returned False only reset the
    # conversation's state), so it need not flush: the turn's updates then go out together.
    with turn.session.no_autoflush:
        latest = tickets.find_latest_ticket(turn.session, turn.contact.id, turn.thread_ticket)
    if latest is not None and latest.status == "resolved":
        ticket_flow.reopen_with_message(turn, latest)   # closed tickets stay closed
        return
    open_ticket = (latest if latest is None or latest.status in OPEN_STATUSES else
                   tickets.find_open_ticket(turn.session, turn.contact.id, turn.thread_ticket))
    if is_emergency(turn.text):
        turn.decide("emergency_detected")
        ticket_flow.append_or_open(turn, turn.text, open_ticket)
        return
    if answers.try_knowledge_base(turn, has_open_ticket=open_ticket is not None):
        return
    answers.record_unanswered(turn)
    turn.decide("kb_no_answer")
    ticket_flow.append_or_open(turn, turn.text, open_ticket)


def is_emergency(text: str) -> bool:
    """Outages and "we cannot sell" go straight to a person, never to an article."""
    return infer_category(text) == "emergency"


def handle_intent(turn: Turn, intent: Intent) -> bool:
    if intent.name == "greeting":
        name = f" {turn.contact.name.split()[0]}" if turn.contact.name else ""
        turn.say("greeting", name=name, company=turn.ctx.config.bot.company_name)
        turn.decide("greeted")
    elif intent.name == "thanks":
        turn.say("thanks")
        turn.decide("thanked")
    elif intent.name == "status":
        ticket_flow.report_status(turn, intent.number)
    elif intent.name == "escalate":
        ticket_flow.escalate_by_customer(turn, intent.number)
    elif intent.name == "human":
        turn.decide("agent_requested")
        ticket_flow.open_or_append(turn, turn.text)
    else:
        return False
    return True


def on_feedback(turn: Turn, intent: Intent) -> bool:
    question = turn.conversation.context.get("question") or turn.text
    outcome = answers.take_feedback(turn, intent)
    if outcome == "not_helpful":
        ticket_flow.open_or_append(turn, question)
    return outcome is not None


def on_choice(turn: Turn, intent: Intent) -> bool:
    question = turn.conversation.context.get("question") or turn.text
    outcome = answers.take_choice(turn, intent)
    if outcome == "none_fits":
        ticket_flow.open_or_append(turn, question)
    return outcome is not None


STATE_HANDLERS: dict[str, Callable[[Turn, Intent], bool]] = {
    "awaiting_feedback": on_feedback,
    "awaiting_choice": on_choice,
    "awaiting_description": ticket_flow.take_description,
    "awaiting_category": ticket_flow.take_category,
    "awaiting_rating": ratings.on_rating,
    "awaiting_rating_comment": ratings.on_comment,
    "idle": ratings.on_idle,  # a late rating, or a change within ratings.change_days
}
