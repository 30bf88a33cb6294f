"""Read a 1–5 satisfaction score from a customer's reply: "5", "⭐⭐⭐⭐", "excelente", "bad"."""

from __future__ import annotations

import re

from kb.normalize import normalize_text

MAX_WORDS = 7          # longer messages are about something else, not a score
STARS = ("⭐", "★", "🌟")
OUT_OF_FIVE = re.compile(r"(?<!\d)([1-5])\s*(?:/|de|sobre|out\s+of|of)\s*5(?!\d)", re.I)
NUMBERS = {
    "1": 1, "2": 2, "3": 3, "4": 4, "5": 5,
    "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
}
WORDS = {
    5: ("excelente", "excelentes", "muy bueno", "muy buena", "muy bien", "perfecto", "perfecta",
        "genial", "espectacular", "increible", "maravilloso", "super bien", "excellent",
        "very good", "great", "awesome", "amazing", "perfect", "outstanding", "fantastic",
        "very well", "superb"),
    4: ("bueno", "buena", "bien", "good", "nice", "fine", "pretty good", "not bad", "nada mal",
        "no estuvo mal", "no esta mal"),
    3: ("regular", "normal", "mas o menos", "aceptable", "ni bien ni mal", "average", "so so",
        "meh", "fair", "okay not great", "neutral"),
    2: ("malo", "mala", "mal", "bad", "poor", "no muy bueno", "no muy bien", "no tan bueno",
        "not good", "not great", "not so good", "deficiente"),
    1: ("muy malo", "muy mala", "muy mal", "pesimo", "pesima", "terrible", "horrible", "fatal",
        "very bad", "very poor", "awful", "the worst", "worst", "lo peor"),
}
PHRASES = {phrase: score for score, phrases in WORDS.items() for phrase in phrases}
FILLER = frozenset({
    "le", "doy", "damos", "pongo", "un", "mi", "calificacion", "calificaciones", "puntuacion",
    "puntaje", "nota", "estrella", "estrellas", "puntos", "punto", "cambiar", "cambio", "cambia",
    "quiero", "a", "la", "el", "es", "fue", "seria", "por", "favor", "gracias", "ok", "vale",
    "the", "i", "give", "would", "rate", "rating", "my", "change", "to", "it", "was", "is",
    "star", "stars", "please", "thanks", "points", "score", "de", "atencion", "servicio",
    "service", "support", "soporte", "y", "and", "todo", "all", "me", "nos",
    "mejor", "ahora", "perdon", "better", "now", "actually", "sorry", "instead",
})
EXPLICIT = frozenset({"estrella", "estrellas", "star", "stars", "calificacion", "puntuacion",
                      "rating", "rate", "score", "nota", "puntaje"})


def count_stars(text: str) -> int:
    return sum(text.count(star) for star in STARS)


def without_stars(text: str) -> str:
    for star in (*STARS, "\ufe0f"):
        text = text.replace(star, " ")
    return text


def parse_score(text: str) -> int | None:
    """The score 1–5 a short reply gives, or None when the reply is not a rating."""
    stars = count_stars(text)
    rest = normalize_text(without_stars(text)).split()
    if stars:
        return stars if 1 <= stars <= 5 and len(rest) <= 3 else None
    if len(rest) > MAX_WORDS:
        return None
    out_of = OUT_OF_FIVE.search(text)
    if out_of:
        return int(out_of.group(1))
    return score_of_words(rest)


def score_of_words(words: list[str]) -> int | None:
    """A single number, or one phrase from the lexicon, once filler words are dropped."""
    kept = [word for word in words if word not in FILLER]
    if not kept:
        return None
    phrase = " ".join(kept)
    if phrase in PHRASES:
        return PHRASES[phrase]
    if len(kept) == 1 and kept[0] in NUMBERS:
        return NUMBERS[kept[0]]
    numbers = [NUMBERS[word] for word in kept if word in NUMBERS]
    others = " ".join(word for word in kept if word not in NUMBERS)
    if len(numbers) == 1 and PHRASES.get(others) == numbers[0]:
        return numbers[0]  # "5 excelente" — a button label and its word agree
    return None


def is_explicit(text: str) -> bool:
    """Clearly a rating (stars, "4 estrellas", "4/5", "calificación"): safe outside the ask."""
    if count_stars(text) or OUT_OF_FIVE.search(text):
        return True
    return bool(set(normalize_text(text).split()) & EXPLICIT)


def stars_label(score: int) -> str:
    return "⭐" * score
