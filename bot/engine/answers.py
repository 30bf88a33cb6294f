"""The knowledge-base side of a turn: answer, offer choices, and take "did this help?"."""

from __future__ import annotations

from bot.engine.acknowledgements import is_acknowledgement
from bot.engine.conversations import reset_state, set_state
from bot.engine.intents import Intent, has_substance
from bot.engine.replies import YES_NO_BUTTONS, numbered
from bot.engine.triage.answers import is_unsure
from bot.engine.turn import Turn
from bot.store.models import KbFeedback
from bot.store.persist import add_row
from kb.matcher import Match
from kb.normalize import normalize_text

MAX_CHOICES = 3


def try_knowledge_base(turn: Turn, has_open_ticket: bool) -> bool:
    """Answer from the KB or offer choices; False when the KB has nothing to say.

    With a ticket open, only a confident answer interrupts: an unclear follow-up belongs to
    the ticket, not to a menu of articles.
    """
    match: Match = turn.prepared.match(turn.ctx.kb_index, turn.text, turn.lang)
    if match.answered and match.article_id in turn.ctx.articles:
        answer_article(turn, match.article_id, question=turn.text)
        return True
    if len(match.choices) >= 2 and not has_open_ticket:
        offer_choices(turn, [c.article_id for c in match.choices[:MAX_CHOICES]])
        return True
    return False


def answer_article(turn: Turn, article_id: str, question: str) -> None:
    article = turn.ctx.articles[article_id]
    turn.say("kb_answer", buttons=YES_NO_BUTTONS[turn.lang], body=article.body.strip())
    set_state(turn.conversation, "awaiting_feedback", turn.now, article_id=article_id,
              question=question)
    turn.decide("kb_answered", detail=article_id)


def offer_choices(turn: Turn, article_ids: list[str]) -> None:
    titles = [turn.ctx.articles[article_id].title for article_id in article_ids]
    buttons = tuple(str(n) for n in range(1, len(titles) + 1))
    turn.say("kb_choices", buttons=(*buttons, "0"), options=numbered(titles))
    set_state(turn.conversation, "awaiting_choice", turn.now, choices=article_ids,
              question=turn.text)
    turn.decide("kb_choices_offered", detail=",".join(article_ids))


def take_feedback(turn: Turn, intent: Intent) -> str | None:
    """Handle the reply to "did this help?": 'helpful', 'not_helpful', 'unconfirmed' (no yes,
    and a person should look: "no sé", "please check", "an agent") or None (not an answer)."""
    context = turn.conversation.context
    if intent.name not in ("yes", "no"):
        reset_state(turn.conversation, turn.now)
        if is_unconfirmed(turn, intent):
            turn.decide("kb_unconfirmed", detail=context.get("article_id"))
            return "unconfirmed"
        return None
    helpful = intent.name == "yes"
    add_row(turn.session, KbFeedback, {
        "article_id": context.get("article_id"), "lang": turn.lang, "helpful": helpful,
        "question": context.get("question", ""), "conversation_id": turn.conversation.id,
        "at": turn.now})
    reset_state(turn.conversation, turn.now)
    if helpful:
        turn.conversation.resolved_by_bot = True
        turn.say("kb_helpful")
        turn.decide("deflected", detail=context.get("article_id"))
        return "helpful"
    turn.decide("kb_not_helpful", detail=context.get("article_id"))
    return "not_helpful"


def is_unconfirmed(turn: Turn, intent: Intent) -> bool:
    """Neither a yes nor a no, and nothing new to ask: the customer cannot tell, asks for a
    person, or says too little to be a question of its own ("revisen", "?")."""
    if intent.name == "human" or is_unsure(turn.text):
        return True
    if intent.name != "none" or is_acknowledgement(turn.text):
        return False
    return not has_substance(normalize_text(turn.text))


def take_choice(turn: Turn, intent: Intent) -> str | None:
    """Handle the pick among offered articles: 'answered', 'none_fits' or None (not a pick)."""
    choices: list[str] = turn.conversation.context.get("choices", [])
    question = turn.conversation.context.get("question", turn.text)
    if intent.name == "no" or (intent.name == "choice" and intent.number == 0):
        reset_state(turn.conversation, turn.now)
        turn.decide("kb_choice_none", detail=question)
        return "none_fits"
    if intent.name == "choice" and intent.number and intent.number <= len(choices):
        answer_article(turn, choices[intent.number - 1], question=question)
        return "answered"
    reset_state(turn.conversation, turn.now)
    return None


def record_unanswered(turn: Turn) -> None:
    """Remember a question the KB could not answer, for `kb stats`."""
    add_row(turn.session, KbFeedback, {
        "article_id": None, "lang": turn.lang, "helpful": None, "question": turn.text,
        "conversation_id": turn.conversation.id, "at": turn.now})
