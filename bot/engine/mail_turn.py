"""The mail side of a turn: automated mail is kept, an agent's answer is relayed or flagged,
and a customer's mail is read with its subject and continues the ticket of its thread."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from bot.config.root import AtiendeConfig
from bot.desk import tickets
from bot.desk.agent_mail import AgentMail, handle_agent_mail
from bot.engine.mail_thread import (
    MailFacts,
    MailRead,
    customer_thread,
    find_by_number,
    is_ticket_customer,
    mail_facts,
    thread_tickets,
)
from bot.engine.turn import Turn
from bot.store.deferred_updates import set_columns
from bot.store.models import Message
from channels.base import DmarcResult
from channels.email.addresses import SUBJECT_TAG, redact
from channels.email.auth_results import has_dmarc_pass
from channels.email.subjects import is_reply_subject

log = logging.getLogger(__name__)
CHANNEL = "email"
SHORT_BODY_WORDS = 4  # "Hola, ayuda" alone says little: the subject holds the question


def read_mail(session: Session, config: AtiendeConfig, message: Message) -> MailRead | None:
    """At the start of a mail's turn (before its language is judged): which kind of mail it
    is; a customer's near-empty fresh mail is read together with its subject."""
    if message.channel != CHANNEL:
        return None
    facts = mail_facts(message)
    if message.is_automated:
        return MailRead("automated", facts)
    if is_agent_mail(session, config, message.sender, facts):
        return MailRead("agent", facts)
    message.text = customer_text(message.text or "", facts.subject)
    return MailRead("customer", facts)


def is_agent_mail(session: Session, config: AtiendeConfig, sender: str,
                  facts: MailFacts) -> bool:
    """From a configured agent, or to a ticket's reply address by someone not its customer."""
    if config.find_agent(sender) is not None:
        return True
    return facts.claimed_ticket is not None and not is_ticket_customer(
        session, facts.claimed_ticket, sender)


def customer_text(body: str, subject: str) -> str:
    """The new part of the mail; a near-empty fresh mail is read with its subject."""
    body = body.strip()
    subject = SUBJECT_TAG.sub("", subject).strip()
    if (len(body.split()) >= SHORT_BODY_WORDS or not subject or is_reply_subject(subject)
            or subject.lower() in body.lower()):
        return body or subject
    return f"{subject}\n\n{body}".strip()


def handle_mail(turn: Turn) -> bool:
    """True when the turn is over (automated or agent mail); a customer's mail goes on with
    the ticket its thread names (`Turn.continues`)."""
    mail = turn.mail
    if mail is None:
        return False
    if mail.kind == "automated":
        keep_automated(turn, mail.facts)
        return True
    if mail.kind == "agent":
        answer_from_agent(turn, mail.facts)
        return True
    thread = customer_thread(turn.session, mail.facts, turn.message.sender)
    if mail.facts.claimed_ticket is not None and "ticket" not in thread:
        thread = {**thread, "ticket": mail.facts.claimed_ticket}   # their ticket's address says
    turn.message.thread = thread or None   # what the engine found, kept beside the mail
    number = thread.get("ticket")
    turn.continues = number if isinstance(number, int) else None
    return False


def keep_automated(turn: Turn, facts: MailFacts) -> None:
    """Kept and linked to its ticket when it continues one; never answered."""
    message, reasons = turn.message, "; ".join(facts.automated_reasons)
    set_columns(message, status="automated")
    turn.outcome = "automated"
    thread = customer_thread(turn.session, facts, message.sender)
    ticket = find_by_number(turn.session, int(thread.get("ticket") or 0))
    if ticket is not None:
        set_columns(message, ticket_id=ticket.id)
        tickets.record_event(turn.session, ticket=ticket, actor=f"email:{message.sender}",
                             action="automated_mail", at=turn.now,
                             detail=f"message {message.id}: {reasons}")
    log.info("automated mail from %s kept, not answered: %s", redact(message.sender), reasons)


def answer_from_agent(turn: Turn, facts: MailFacts) -> None:
    """Relay a verified agent answer to the customer's channel, or flag the mail."""
    mail = AgentMail(sender=turn.message.sender, text=turn.message.text or "",
                     claimed_ticket=facts.claimed_ticket, claim_verified=facts.claim_verified,
                     thread_tickets=thread_tickets(turn.session, facts),
                     sender_authenticated=is_sender_authenticated(turn.desk.config, turn.message))
    verdict = handle_agent_mail(turn.session, turn.desk, turn.message, mail, turn.now)
    turn.outcome = "agent_relayed" if verdict.relay else "agent_flagged"
    turn.ticket = verdict.ticket if verdict.relay else None


def is_sender_authenticated(config: AtiendeConfig, message: Message) -> bool:
    """True unless `channels.email.require_dmarc_for_agents` is on and no trusted receiving
    server wrote dmarc=pass for the From domain (the verdicts the adapter kept in `raw`)."""
    email = config.channels.email
    if email is None or not email.require_dmarc_for_agents:
        return True
    records = (message.raw or {}).get("dmarc_results")
    results = [DmarcResult.from_record(item) for item in records or ()] if isinstance(
        records, list) else []
    return has_dmarc_pass([r for r in results if r is not None], email.trusted_authserv_ids,
                          message.sender)
