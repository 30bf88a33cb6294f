"""A bare acknowledgement ("👍", "ok", "listo", "gracias", "thanks", "got it"): it closes a
turn of the conversation and asks nothing, so it is not added to a ticket, not mailed to the
agents and not an unanswered question."""

from __future__ import annotations

import unicodedata

from kb.normalize import normalize_text

ACK_PHRASES = (   # longest first: removed from the message before its words are checked
    "thank you very much", "thanks a lot", "thank you", "muchas gracias", "mil gracias",
    "sounds good", "de acuerdo", "got it", "all right", "muy bien", "va bien",
)
ACK_WORDS = {
    "ok", "okay", "okey", "oki", "okis", "k", "listo", "lista", "vale", "dale", "perfecto",
    "perfecta", "entendido", "entendida", "genial", "excelente", "super", "bueno", "buenisimo",
    "gracias", "graciass", "thanks", "thx", "ty", "great", "cool", "noted", "perfect",
    "alright", "fine", "nice", "awesome", "ah", "oh", "bien",
}
THANKS_WORDS = {"gracias", "graciass", "thanks", "thx", "ty", "thank"}
ACK_EMOJI = {"👍", "👌", "🙏", "✅", "🙂", "😊", "😀", "😃", "👏", "🤝", "🙌", "💯", "❤", "♥",
             "✌", "☺"}
EMOJI_MODIFIERS = {"\ufe0f", "\u200d", *(chr(code) for code in range(0x1F3FB, 0x1F400))}
MAX_WORDS = 6


def is_acknowledgement(text: str) -> bool:
    """Only acknowledgement words, phrases and emoji (and punctuation): nothing to act on."""
    norm = normalize_text(text)
    if not norm:
        return only_ack_emoji(text)
    rest = f" {norm} "
    for phrase in ACK_PHRASES:
        rest = rest.replace(f" {phrase} ", " ")
    words = rest.split()
    return len(norm.split()) <= MAX_WORDS and all(word in ACK_WORDS for word in words)


def only_ack_emoji(text: str) -> bool:
    marks = [char for char in text if not char.isspace() and char not in EMOJI_MODIFIERS
             and not unicodedata.category(char).startswith("P")]
    return bool(marks) and all(mark in ACK_EMOJI for mark in marks)


def says_thanks(text: str) -> bool:
    return bool(THANKS_WORDS.intersection(normalize_text(text).split()))
