"""Mail that claims to be an agent's answer: relay it to the customer, or keep it flagged.

An agent's reply reaches the customer on the channel the customer used only when it comes from
a configured agent, to the ticket's reply address, with a signature the email adapter verified,
in the same thread, and — with `channels.email.require_dmarc_for_agents` — with `dmarc=pass`
written by a trusted receiving server. Anything else claiming to be an agent is kept and
flagged, never relayed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.desk import tickets
from bot.desk.deadlines import Desk
from bot.desk.relay import relay_reply
from bot.engine.mail_thread import find_by_number
from bot.store.deferred_updates import set_columns
from bot.store.models import Message, Ticket

log = logging.getLogger(__name__)
FLAG_ACTION = "spoofed_agent_mail"


@dataclass(frozen=True)
class AgentMail:
    """What the engine knows about one stored mail that claims to be an agent's."""

    sender: str
    text: str                        # the newest part of the reply, quotes stripped
    claimed_ticket: int | None       # from the per-ticket reply address it was sent to
    claim_verified: bool             # the adapter checked that address's signature
    thread_tickets: tuple[int, ...]  # tickets its References / subject tag point at
    sender_authenticated: bool = True  # dmarc=pass from a trusted server, when that is required


@dataclass(frozen=True)
class Verdict:
    relay: bool
    reason: str
    ticket: Ticket | None = None


def judge(session: Session, desk: Desk, mail: AgentMail) -> Verdict:
    """Relay only a configured agent's signed reply to an existing ticket, in its own thread."""
    if mail.claimed_ticket is None:
        return Verdict(False, "not sent to a ticket's reply address (unsigned)")
    ticket = find_by_number(session, mail.claimed_ticket)
    if ticket is None:
        return Verdict(False, f"no ticket #{mail.claimed_ticket}")
    if not mail.claim_verified:
        return Verdict(False, f"bad or missing signature for ticket #{ticket.number}", ticket)
    if desk.config.find_agent(mail.sender) is None:
        return Verdict(False, "sender is not a configured agent", ticket)
    if not mail.sender_authenticated:
        return Verdict(False, "no dmarc=pass from a trusted authserv-id "
                              "(channels.email.require_dmarc_for_agents)", ticket)
    others = [n for n in mail.thread_tickets if n != ticket.number]
    if others:
        return Verdict(False, f"reply address is ticket #{ticket.number} but the thread is "
                              f"ticket #{others[0]}", ticket)
    return Verdict(True, "signed agent reply", ticket)


def handle_agent_mail(session: Session, desk: Desk, message: Message, mail: AgentMail,
                      now: datetime) -> Verdict:
    """Relay or flag a stored agent mail, in the caller's transaction."""
    verdict = judge(session, desk, mail)
    if not verdict.relay or verdict.ticket is None:
        flag(session, message, verdict, now)
        return verdict
    relay_reply(session, desk, verdict.ticket, mail.sender, mail.text, message, now)
    return verdict


def flag(session: Session, message: Message, verdict: Verdict, now: datetime) -> None:
    set_columns(message, status="flagged")
    if verdict.ticket is not None:
        set_columns(message, ticket_id=verdict.ticket.id)
    tickets.record_event(session, ticket=verdict.ticket, actor=f"email:{message.sender}",
                         action=FLAG_ACTION, at=now,
                         detail=f"message {message.id}: {verdict.reason}")
    log.warning("agent mail %s not relayed: %s", message.id, verdict.reason)
