"""A KB that learns from the desk: `#kb ARTICLE-ID` proposals, approved or rejected later."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.desk import tickets
from bot.errors import AtiendeError
from bot.store.models import KbProposal, Ticket
from kb.loader import KbInvalid
from kb.phrasings import add_question, find_article
from kb.sentences import split_message

MAX_QUESTION_CHARS = 300


class ProposalError(AtiendeError):
    """A proposal that cannot be made or decided (unknown article, already decided)."""


def customer_question(ticket: Ticket) -> str:
    """The asked part of the message that opened the ticket (no greeting or signature)."""
    first = ticket.description.split("\n\n(")[0]
    return split_message(first).core[:MAX_QUESTION_CHARS].strip()


def propose(session: Session, kb_folder: str, ticket: Ticket, agent: str, article_id: str,
            now: datetime) -> KbProposal:
    """Record the ticket's question as a new phrasing proposed for `article_id`."""
    if find_article(kb_folder, article_id) is None:
        raise ProposalError(f"#kb: no article with id '{article_id}' in {kb_folder}")
    question = customer_question(ticket)
    if not question:
        raise ProposalError(f"#kb: ticket #{ticket.number} has no customer question")
    proposal = KbProposal(article_id=article_id, question=question, ticket_id=ticket.id,
                          proposed_by=agent, status="pending", at=now)
    session.add(proposal)
    tickets.record_event(session, ticket=ticket, actor=f"agent:{agent}", action="kb_proposed",
                         at=now, detail=article_id)
    return proposal


def pending(session: Session, status: str = "pending") -> list[KbProposal]:
    stmt = select(KbProposal).where(KbProposal.status == status).order_by(KbProposal.id)
    return list(session.scalars(stmt))


def decide(session: Session, kb_folder: str, proposal_id: int, approve: bool,
           now: datetime) -> KbProposal:
    """Approve (the question is written into the article file) or reject one proposal."""
    proposal = session.get(KbProposal, proposal_id)
    if proposal is None:
        raise ProposalError(f"no proposal {proposal_id}")
    if proposal.status != "pending":
        raise ProposalError(f"proposal {proposal_id} is already {proposal.status}")
    if approve:
        try:
            add_question(kb_folder, proposal.article_id, proposal.question)
        except KbInvalid as exc:
            raise ProposalError(f"proposal {proposal_id}: {exc.problems[0]}") from None
    proposal.status = "approved" if approve else "rejected"
    proposal.decided_at = now
    return proposal
