"""The customer's answer to "is your operation or are your sales stopped?" (es/en).

A plain yes or no is the common case, but customers also answer with what happens ("sí, no
podemos cobrar nada", "no, it is only slow") or say they cannot tell ("no sé", "not sure").
What the answer says about the impact counts: a stated stop is a yes whatever word starts
it, "no lo sé" is no "no", and an answer that says neither is left to the normal routing.
"""

from __future__ import annotations

from bot.engine.triage import impact
from bot.engine.triage.words import count_hits
from kb.normalize import normalize_text

YES_WORDS = frozenset({"si", "yes", "y", "yep", "yeah", "claro", "exacto", "correcto",
                       "totalmente", "absolutely", "definitely", "obvio"})
NO_WORDS = frozenset({"no", "n", "nope", "nah"})
# "no sé" alone, not "no se puede cobrar": an unsure phrase at the start, nothing after it
# but these fillers, or one of the longer phrases anywhere.
UNSURE_START = ("no se", "no lo se", "no sabemos", "no sabria")
UNSURE_ANYWHERE = (
    "no lo sabemos", "no estoy segur*", "no estamos segur*", "ni idea", "quien sabe",
    "not sure", "don t know", "dont know", "no idea", "unsure", "can t tell", "cannot tell",
    "hard to say", "tal vez", "quizas", "quiza", "maybe", "not certain",
)
FILLERS = frozenset({"por", "favor", "revisen", "revisar", "revisenlo", "gracias", "la",
                     "verdad", "please", "check", "thanks", "it", "you", "can", "pls",
                     "porfa", "ustedes", "y"})


def read_impact_answer(text: str) -> bool | None:
    """True: operation or sales stopped; False: not stopped; None: the customer cannot tell
    or the message is no answer (tell them apart with `is_unsure`)."""
    norm = normalize_text(text)
    words = norm.split()
    if not words:
        return None
    if impact.read(text).stopped:
        return True   # "no podemos vender nada" starts with "no" and is a yes
    if is_unsure(text):
        return None
    if words[0] in YES_WORDS:
        return True
    if words[0] in NO_WORDS:
        return False
    return None


def is_unsure(text: str) -> bool:
    """The customer says they cannot tell whether their operation is stopped."""
    norm = normalize_text(text)
    if count_hits(norm, UNSURE_ANYWHERE):
        return True
    for start in UNSURE_START:
        if norm == start or norm.startswith(start + " "):
            rest = norm[len(start):].split()
            return all(word in FILLERS for word in rest)
    return False
