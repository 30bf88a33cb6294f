"""A customer's own problem (a double charge, an order that never arrived, a user locked out
since yesterday) needs a person with their account, not a help article about the topic."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.engine.triage.words import count_hits
from kb.normalize import normalize_text

if TYPE_CHECKING:
    from bot.engine.turn import Turn

# Something happened to this customer's account or order (es/en), as opposed to a question.
PROBLEM_WORDS = (
    "me cobraron", "nos cobraron", "me cobran", "nos cobran", "me siguen cobrando",
    "nos siguen cobrando", "cobraron doble", "cobraron dos veces", "cobro doble", "doble cobro",
    "cobro duplicado", "doble debito", "doble cargo", "cargo que no reconozco",
    "cargo q no reconozco", "no reconozco", "me debitaron", "nos debitaron", "charged twice",
    "charged me", "charged us", "double charge*", "double billed",
    "still charging", "still being charged", "don t recognize", "don t recognise",
    "unrecognized charge", "unrecognised charge",
    "no me llego", "no nos llego", "nunca llego", "no ha llegado", "no han llegado",
    "todavia no llega", "aun no llega", "never arrived", "hasn t arrived", "didn t arrive",
    "not arrived", "never received", "still waiting for my", "still haven t received",
    "bloqueado desde", "bloqueada desde", "me bloquearon", "nos bloquearon", "bloquearon mi",
    "me suspendieron", "nos suspendieron", "suspendieron la cuenta", "locked out",
    "i m locked", "we re locked", "been locked", "suspended our", "suspended my",
    "no puedo entrar desde", "no puedo ingresar desde", "can t log in since",
    "cannot log in since", "can t sign in since", "reembolso no", "refund hasn t",
    "refund never", "no me devolvieron", "sin respuesta desde",
)


def is_problem_report(text: str) -> bool:
    """Whether the message reports a problem of the customer's own account or order."""
    return count_hits(normalize_text(text), PROBLEM_WORDS) > 0


def offer_article(turn: Turn) -> bool:
    """Beside the ticket confirmation of a problem report, the article about its topic (when
    the KB has one): offered to read meanwhile, no "did this help?", the ticket stays open.
    Not when the bot waits for an answer (its yes/no question, a description)."""
    if turn.ticket is None or turn.conversation.state != "idle":
        return False
    match = turn.prepared.match(turn.ctx.kb_index, turn.text, turn.lang)
    article_id = match.article_id if match.answered else next(
        (c.article_id for c in match.choices), None)
    article = turn.ctx.articles.get(article_id) if article_id else None
    if article is None:
        return False
    turn.say("kb_beside_ticket", title=article.title, body=article.body.strip())
    turn.decide("kb_offered_beside_ticket", detail=article_id, ticket=turn.ticket)
    return True
