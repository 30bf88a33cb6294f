"""route_message: decide what one stored inbound message means and what the bot does."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import Session, defer
from sqlalchemy.orm.attributes import set_committed_value

from bot.desk import agent_chat, notify, ratings, ticket_flow, tickets, vip_only
from bot.engine import answers
from bot.engine.acknowledgements import is_acknowledgement, says_thanks
from bot.engine.conversations import ConversationKey, current_conversation, current_conversations
from bot.engine.intents import Intent
from bot.engine.mail_turn import CHANNEL as MAIL_CHANNEL
from bot.engine.mail_turn import handle_mail, read_mail
from bot.engine.prepare import Prepared, choose_language
from bot.engine.triage import problem_reports
from bot.engine.turn import EngineContext, Turn
from bot.store.deferred_updates import deferred_updates, set_columns, write_updates
from bot.store.models import OPEN_STATUSES, Contact, Conversation, Message, Ticket
from bot.store.persist import deferred_rows, write_rows

UNROUTED = ("received", "failed")
AGENT_WORKING = ("in_progress", "waiting_customer")
BATCH_IDS = bindparam("message_ids", expanding=True)
# A message's JSON columns that only a mail's turn reads (the agents' pages read them with
# queries of their own): not decoded for every chat message of a batch, read for its mail.
MAIL_COLUMNS = (Message.raw, Message.attachments, Message.in_reply_to,
                Message.thread_references, Message.automated_reasons, Message.thread)
TURN_ROWS = (select(Message, Contact)   # built once: the messages and who sent them
             .join(Contact, Message.contact_id == Contact.id)
             .where(Message.id.in_(BATCH_IDS)).order_by(Message.id)
             .options(*(defer(column) for column in MAIL_COLUMNS)))
MAIL_VALUES = select(Message.id, *MAIL_COLUMNS).where(Message.id.in_(BATCH_IDS))
LOCK_MESSAGES = (select(Message.id).where(Message.id.in_(BATCH_IDS))
                 .order_by(Message.id).with_for_update())


_TICKETS, _CONTACTS = Ticket.__table__, Contact.__table__
_NEWER = _TICKETS.alias("newer")
# Each of these contacts' latest ticket (the order of tickets.find_latest_ticket): one query
# for the batch instead of one per turn, one row per contact along ix_tickets_contact_latest
# (a customer with thousands of tickets costs what one with a single ticket does).
LATEST_TICKETS = select(Ticket).where(Ticket.id.in_(select(
    select(_NEWER.c.id).where(_NEWER.c.contact_id == _CONTACTS.c.id)
    .order_by(_NEWER.c.updated_at.desc(), _NEWER.c.id.desc()).limit(1)
    .correlate(_CONTACTS).scalar_subquery())
    .where(_CONTACTS.c.id.in_(bindparam("contact_ids", expanding=True)))))


# The batch's customers, one row each (not all of their conversations: years of them cost a
# batch what one does): two batches with a customer in common, on any channel, queue.
LOCK_CONTACTS = (select(Contact.id).where(Contact.id.in_(
    select(Message.contact_id).where(Message.id.in_(BATCH_IDS))))
    .order_by(Contact.id).with_for_update())


@dataclass(frozen=True)
class RouteResult:
    replies: int   # outbox rows the turn queued for the sender
    ticket_number: int | None
    ticket_status: str | None
    lang: str
    message_id: int | None = None
    outcome: str = "customer"   # automated | agent_relayed | agent_flagged for some mail


def route_message(session: Session, ctx: EngineContext, message_id: int,
                  prepared: Prepared | None = None) -> RouteResult:
    """Handle one stored inbound message inside the caller's transaction."""
    return route_messages(session, ctx, [message_id], prepared)[0]


def route_messages(session: Session, ctx: EngineContext, message_ids: Sequence[int],
                   prepared: Prepared | None = None) -> list[RouteResult]:
    """Handle stored inbound messages of different contacts, in order, in one transaction.

    The rows every turn starts from (message, contact, conversation) are read for all of them
    at once, and the turns' writes go out in one flush at the end (one statement per table
    and kind, not per message). A turn reads only its own contact's rows, so it need not see
    an earlier turn's unflushed changes; when a turn changed another contact's rows (an
    agent's command on a customer's ticket), they are flushed before the next turn reads.
    Audit and KB feedback rows are written together at the end too. `prepared` holds CPU
    work computed ahead, outside the write transaction (see bot.engine.prepare).
    """
    with (deferred_rows(session), deferred_updates(session),
          notify.batch_transcripts(session)):
        prepared = prepared or Prepared(words=ctx.kb_index.words)
        batch = load_batch(session, ctx, message_ids, prepared)
        turns = run_turns(session, ctx, message_ids, batch)
        write_rows(session)
        write_updates(session)
    session.flush()   # the turns' updates, all in one go
    return [RouteResult(len(turn.replies), turn.ticket.number if turn.ticket else None,
                        turn.ticket.status if turn.ticket else None, turn.lang,
                        turn.message.id, turn.outcome)
            for turn in turns]


@dataclass
class BatchRows:
    """What the turns of a batch start from, read for all of them at once."""

    senders: dict[int, tuple[Message, Contact]]
    conversations: dict[ConversationKey, Conversation]
    started: set[int]   # conversations begun by this batch's messages
    latest: dict[int, Ticket | None]   # contact → latest ticket (None: it has none), as read
    prepared: Prepared   # language, intent and KB match computed ahead


def load_batch(session: Session, ctx: EngineContext, message_ids: Sequence[int],
               prepared: Prepared) -> BatchRows:
    """The messages and their contacts, then each sender's current conversation (a new one
    where the last went quiet).

    On PostgreSQL the rows are locked first, in id order, messages then their contacts: two
    workers' batches sharing customers then queue instead of each holding one customer's rows
    while waiting for the other's. They are read after the locks, so a
    batch that waited reads what the other one committed (READ COMMITTED). SQLite has one
    writer and no row locks.
    """
    ids = {"message_ids": list(message_ids)}
    if session.get_bind().dialect.name != "sqlite":
        session.execute(LOCK_MESSAGES, ids).all()
        session.execute(LOCK_CONTACTS, ids).all()
    senders = {message.id: (message, contact)
               for message, contact in session.execute(TURN_ROWS, ids)}
    read_mail_columns(session, [message for message, _ in senders.values()
                                if message.channel == MAIL_CHANNEL])
    wanted: dict[ConversationKey, datetime] = {}
    for message, contact in senders.values():
        wanted.setdefault(conversation_key(message, contact), message.created_at)
    conversations, started = current_conversations(session, list(senders), wanted,
                                                   conversation_timeout(ctx))
    contact_ids = sorted({contact.id for _, contact in senders.values()})
    latest: dict[int, Ticket | None] = dict.fromkeys(contact_ids)
    latest.update((ticket.contact_id, ticket) for ticket in
                  session.scalars(LATEST_TICKETS, {"contact_ids": contact_ids}))
    notify.read_transcripts(session, (t for t in latest.values() if t is not None))
    return BatchRows(senders, conversations, started, latest, prepared)


def read_mail_columns(session: Session, mails: Sequence[Message]) -> None:
    """The MAIL_COLUMNS of the batch's mail, in one query, set as if loaded."""
    if not mails:
        return
    by_id = {message.id: message for message in mails}
    for row in session.execute(MAIL_VALUES, {"message_ids": list(by_id)}):
        for column, value in zip(MAIL_COLUMNS, row[1:], strict=True):
            set_committed_value(by_id[row.id], column.key, value)


def conversation_key(message: Message, contact: Contact) -> ConversationKey:
    return contact.id, message.channel, message.sender


def conversation_timeout(ctx: EngineContext) -> timedelta:
    return timedelta(hours=ctx.config.bot.conversation_timeout_hours)


def run_turns(session: Session, ctx: EngineContext, message_ids: Sequence[int],
              batch: BatchRows) -> list[Turn]:
    turns: list[Turn] = []
    watch = OthersWatch()
    with read_ahead_until_flush(session, batch, watch):
        for message_id in message_ids:
            with session.no_autoflush:   # the caller's own changes were flushed by load_batch
                turn = start_turn(session, ctx, message_id, batch)
            if turn.message.status in UNROUTED:
                dispatch(turn, batch.prepared.intent(turn.text))
                if turn.message.status in UNROUTED:   # mail may end as automated or flagged
                    set_columns(turn.message, status="processed")
            turns.append(turn)
            watch.contacts.add(turn.contact.id)
            if len(turns) < len(message_ids) and watch.changed_for_others(session):
                session.flush()
    return turns


@contextmanager
def read_ahead_until_flush(session: Session, batch: BatchRows,
                           watch: OthersWatch) -> Iterator[None]:
    """Within: any flush (a turn that touched another customer's rows, an agent's command, a
    relayed answer, a query's autoflush) drops what the batch read ahead, its customers'
    latest tickets and their transcripts: the database has moved on, so later lookups ask it,
    as each turn's own query did before."""
    def forget(*_: object) -> None:
        batch.latest.clear()
        notify.forget_transcripts(session)
        watch.checked.clear()

    event.listen(session, "after_flush", forget)
    try:
        yield
    finally:
        event.remove(session, "after_flush", forget)


@dataclass
class OthersWatch:
    """Whether the batch's unflushed changes touch a contact other than `contacts` (those
    whose turns ran: a later turn is another contact's, and reads only that contact's rows).

    Asked after every turn, so a changed row is looked at once, not after each later turn
    (a batch of n turns looked at some n²/2 rows): `checked` holds the rows found to be these
    contacts' or nobody's. A row's contact never changes, and a changed row stays in the
    session until the flush, which empties `checked` (so no id in it is reused meanwhile).
    """

    contacts: set[int] = field(default_factory=set)
    checked: set[int] = field(default_factory=set)   # id() of changed rows looked at

    def changed_for_others(self, session: Session) -> bool:
        for obj in session.dirty:
            if id(obj) in self.checked:
                continue
            owner = owner_of(obj)
            if owner is not None and owner not in self.contacts:
                return True
            self.checked.add(id(obj))
        return False


def owner_of(obj: object) -> int | None:
    """The contact a changed row belongs to, read from the instance's loaded values (this
    runs for every changed row after every turn; an unloaded key is read the usual way)."""
    key = "id" if isinstance(obj, Contact) else "contact_id"
    values = vars(obj)
    return values[key] if key in values else getattr(obj, key, None)


def start_turn(session: Session, ctx: EngineContext, message_id: int,
               batch: BatchRows) -> Turn:
    found = batch.senders.get(message_id)
    if found is None:
        raise LookupError(f"message {message_id} is not stored")
    message, contact = found
    now = ctx.clock.now()
    # A contact's second message in one batch (route_messages' callers avoid it) looks its
    # conversation up after the first one's turn.
    conversation = batch.conversations.pop(conversation_key(message, contact), None)
    if conversation is None:
        conversation = current_conversation(session, contact.id, message.channel,
                                            message.sender, message.created_at,
                                            conversation_timeout(ctx))
    set_columns(conversation, last_inbound_at=message.created_at)
    set_columns(message, conversation_id=conversation.id)
    mail = read_mail(session, ctx.config, message) if message.status in UNROUTED else None
    lang = choose_language(batch.prepared, message.text or "", message.language_hint,
                           contact.language, ctx.config.bot.default_language)
    if contact.language != lang:   # an unchanged value would still mark the contact changed
        contact.language = lang
    known = contact.id in batch.latest
    latest = batch.latest.pop(contact.id, None)   # this turn may open one
    began = conversation.id in batch.started
    batch.started.discard(conversation.id)   # a second message in it is not the first
    return Turn(session, ctx, message, contact, conversation, lang, now,
                latest_ticket=latest, latest_known=known, began_conversation=began, mail=mail,
                prepared=batch.prepared)


def dispatch(turn: Turn, intent: Intent) -> None:
    if handle_mail(turn) or agent_chat.handle_agent_command(turn):
        return
    handler = STATE_HANDLERS.get(turn.conversation.state)
    if handler is not None and handler(turn, intent):
        return
    if handle_intent(turn, intent):
        return
    latest = latest_ticket(turn)
    if latest is not None and latest.status == "resolved":
        ticket_flow.reopen_with_message(turn, latest)   # closed tickets stay closed
        return
    open_ticket = (latest if latest is None or latest.status in OPEN_STATUSES else
                   tickets.find_open_ticket(turn.session, turn.contact.id, turn.thread_ticket))
    if open_ticket is not None and stays_on_ticket(turn, open_ticket):
        turn.decide("thread_continued", ticket=open_ticket)
        ticket_flow.append(turn, open_ticket)
        return
    if is_emergency(turn):
        turn.decide("emergency_detected")
        ticket_flow.append_or_open(turn, turn.text, open_ticket)
        return
    if open_ticket is None and problem_reports.is_problem_report(turn.text):
        turn.decide("problem_report")   # a customer's own problem is no FAQ question
        ticket_flow.append_or_open(turn, turn.text, open_ticket)
        problem_reports.offer_article(turn)   # the topic's article beside the confirmation
        return
    if answers.try_knowledge_base(turn, has_open_ticket=open_ticket is not None):
        return
    answers.record_unanswered(turn)
    turn.decide("kb_no_answer")
    ticket_flow.append_or_open(turn, turn.text, open_ticket)


def latest_ticket(turn: Turn) -> Ticket | None:
    """The contact's latest ticket (its mail thread's when it names one in the contact's).

    Nothing pending can change this answer (handlers that returned False only reset the
    conversation's state), nor has this turn opened a ticket so far: the one the batch read
    serves, and a lookup need not flush (the turn's updates then go out together)."""
    if turn.latest_known and (turn.latest_ticket is None or turn.thread_ticket is None):
        return turn.latest_ticket
    with turn.session.no_autoflush:
        return tickets.find_latest_ticket(turn.session, turn.contact.id, turn.thread_ticket)


def stays_on_ticket(turn: Turn, ticket: Ticket) -> bool:
    """A reply in the ticket's own thread, or while an agent works it, is for that ticket and
    its agent, never for the KB (the screenshot someone asked for is no question)."""
    return ticket.number == turn.thread_ticket or ticket.status in AGENT_WORKING


def is_emergency(turn: Turn) -> bool:
    """Outages, intrusions and "we cannot sell" go straight to a person, never to an article."""
    verdict = turn.prepared.classify(turn.session, turn.ctx.config, turn.text)
    return verdict.category == "emergency"


def handle_intent(turn: Turn, intent: Intent) -> bool:
    if intent.name == "greeting":
        name = f" {turn.contact.name.split()[0]}" if turn.contact.name else ""
        turn.say("greeting", name=name, company=turn.ctx.config.bot.company_name)
        turn.decide("greeted")
    elif intent.name == "thanks" or is_acknowledgement(turn.text):
        acknowledge(turn)
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


def acknowledge(turn: Turn) -> None:
    """Thanks are answered; "ok" and "👍" are not. Neither goes to a ticket or its agents."""
    if says_thanks(turn.text):
        turn.say("thanks")
        turn.decide("thanked")
    else:
        turn.decide("acknowledged")


def on_feedback(turn: Turn, intent: Intent) -> bool:
    question = turn.conversation.context.get("question") or turn.text
    outcome = answers.take_feedback(turn, intent)
    if outcome in ("not_helpful", "unconfirmed"):
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
    "awaiting_impact": ticket_flow.take_impact,
    vip_only.DECLINED_STATE: ticket_flow.take_after_decline,
    "awaiting_rating": ratings.on_rating,
    "awaiting_rating_comment": ratings.on_comment,
    "idle": ratings.on_idle,  # a late rating, or a change within ratings.change_days
}
