"""Recognise the bot's own conversational intents (greetings, yes/no, agent, status, escalate)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.engine.triage.answers import is_unsure
from kb.normalize import normalize_text
from kb.stopwords import is_function_word

GREETINGS = {
    "hola", "holi", "hello", "hi", "hey", "buenas", "buenos dias", "buenas tardes",
    "buenas noches", "good morning", "good afternoon", "good evening", "que tal", "saludos",
    "buen dia", "hola buenas", "hola buenos dias", "hola buenas tardes", "hi there", "alo",
    "start", "hola que tal",
}
GREETING_COMPANIONS = {
    "there", "everyone", "all", "team", "equipo", "a", "todos", "buenas", "buenos", "dias",
    "tardes", "noches", "good", "morning", "afternoon", "evening", "que", "tal", "como", "estan",
    "estas", "how", "are", "you", "soporte", "support", "folks", "amigos",
}
THANKS = {
    "gracias", "muchas gracias", "mil gracias", "ok gracias", "listo gracias", "thanks",
    "thank you", "thx", "ty", "thanks a lot", "perfecto gracias", "dale gracias", "genial gracias",
}
YES = {"si", "sí", "s", "yes", "y", "yep", "yeah", "claro", "si gracias", "yes thanks",
       "si me ayudo", "me ayudo", "it helped", "helped", "sirvio", "si sirvio", "ok", "listo",
       "perfecto", "correcto"}
NO = {"no", "n", "nope", "no gracias", "no me ayudo", "no sirvio", "no funciono",
      "it didnt help", "didnt help", "no it didnt", "not really", "no mucho", "para nada"}
HUMAN_PHRASES = (
    "hablar con un agente", "hablar con una persona", "hablar con un humano", "hablar con alguien",
    "con un asesor", "un agente", "una persona real", "agente humano", "asesor humano",
    "talk to a human", "talk to an agent", "speak to a human", "speak to an agent",
    "speak with someone", "talk to someone", "real person", "human agent", "live agent",
    "quiero un agente", "necesito un agente", "comunicarme con soporte", "contact support",
)
HUMAN_WORDS = {"agente", "humano", "asesor", "human", "agent", "operador", "operator"}
ESCALATE_PHRASES = (
    "solicito escalamiento", "escalamiento", "escalar", "escalen", "escala mi", "escalate",
    "escalation", "supervisor", "hablar con el jefe", "speak to a manager", "your manager",
)
STATUS_PHRASES = (
    "como va mi ticket", "como va mi caso", "estado de mi ticket", "estado del ticket",
    "estado de mi caso", "mi ticket", "ticket status", "status of my ticket",
    "my ticket", "any update on my", "novedades de mi", "que paso con mi ticket",
)
STATUS_WORDS = {"estado", "status", "update", "novedades", "estado ticket", "ticket"}
TICKET_REF = re.compile(r"(?:^|\s)#\s?(\d{1,9})\b|\bticket\s+(?:#|n[°o.]?\s*)?(\d{1,9})\b", re.I)
CHOICE = re.compile(r"^\s*(?:opcion|option|la|el|numero|number)?\s*(\d{1,2})\s*$")


@dataclass(frozen=True)
class Intent:
    name: str  # greeting | thanks | yes | no | human | escalate | status | choice | none
    number: int | None = None  # the ticket number for status, the option for choice


def read_intent(text: str) -> Intent:
    """What the customer asks the bot itself to do; `none` means a question or a problem."""
    norm = normalize_text(text)
    words = norm.split()
    for check in (_greeting_or_thanks, _escalate, _status, _human, _yes_no, _choice):
        intent = check(text, norm, words)
        if intent is not None:
            return intent
    return Intent("none")


def is_greeting_only(norm: str) -> bool:
    return norm in GREETINGS


def _greeting_or_thanks(text: str, norm: str, words: list[str]) -> Intent | None:
    if norm in GREETINGS or (words and words[0] in GREETINGS and (
            " ".join(words[1:]) in THANKS or set(words[1:]) <= GREETING_COMPANIONS)):
        return Intent("greeting")
    if norm in THANKS:
        return Intent("thanks")
    return None


def _escalate(text: str, norm: str, words: list[str]) -> Intent | None:
    if len(words) <= 12 and any(_contains(norm, phrase) for phrase in ESCALATE_PHRASES):
        return Intent("escalate", find_ticket_ref(text))
    return None


def _status(text: str, norm: str, words: list[str]) -> Intent | None:
    ref = find_ticket_ref(text)
    if ref is not None and len(words) <= 8:
        return Intent("status", ref)
    if norm in STATUS_WORDS:
        return Intent("status")
    if len(words) <= 8 and any(_contains(norm, phrase) for phrase in STATUS_PHRASES):
        return Intent("status", ref)
    return None


def _human(text: str, norm: str, words: list[str]) -> Intent | None:
    if any(_contains(norm, phrase) for phrase in HUMAN_PHRASES):
        return Intent("human")
    if len(words) <= 4 and HUMAN_WORDS.intersection(words):
        return Intent("human")
    return None


def _yes_no(text: str, norm: str, words: list[str]) -> Intent | None:
    if is_unsure(text):
        return None   # "no lo sé", "not sure": neither a yes nor a no
    if norm in YES:
        return Intent("yes")
    if norm in NO or (words and words[0] == "no" and len(words) <= 4):
        return Intent("no")
    return None


def _choice(text: str, norm: str, words: list[str]) -> Intent | None:
    found = CHOICE.match(norm)
    return Intent("choice", int(found.group(1))) if found else None


def find_ticket_ref(text: str) -> int | None:
    found = TICKET_REF.search(text)
    if not found:
        return None
    return int(found.group(1) or found.group(2))


def has_substance(norm: str, min_words: int = 2) -> bool:
    """Whether a message says enough to describe a problem: content words, not grammar."""
    content = [word for word in norm.split() if not is_function_word(word)]
    return len(content) >= min_words


def _contains(norm: str, phrase: str) -> bool:
    return f" {phrase} " in f" {norm} "
