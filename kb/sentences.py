"""Cut a customer message down to what it asks: no quotes, greetings, sign-offs or signature."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from kb.normalize import split_sentences, strip_quoted, tokenize
from kb.stopwords import is_function_word

MAX_MESSAGE_CHARS = 4000  # what the matcher reads of a huge message
SPLIT_MEMO = 512   # recent messages' splits kept (at most ~8 MB: texts are cut first)
MAX_PARTS = 6             # sentences scored one by one, besides the whole message
MIN_PART_WORDS = 2        # content words a sentence needs to be scored on its own
SIGN_OFF_WORDS = 3
SIGNATURE_WORDS = 6
COURTESY_WORDS = 5        # an opening or closing sentence this short with a courtesy word
_COURTESY_TEXT = """
hola buenas buenos buen dia dias tardes noches saludos saludo gracias muchas mil atentamente
cordialmente estimado estimada estimados bendiciones feliz hi hello hey dear thanks thank
regards best cheers kind morning afternoon evening greetings sincerely
"""
COURTESY = frozenset(_COURTESY_TEXT.split())
# A closing paragraph with two of these (and no question) is a mail's legal notice ("This
# message is confidential and intended only for the addressee…", "Este mensaje es
# confidencial… su destinatario… prohibido"): it says nothing of what the customer asks.
DISCLAIMER_CUES = 2
_DISCLAIMER_TEXT = """
confidencial confidenciales confidencialidad confidential confidentiality disclaimer
destinatario destinataria destinatarios addressee addressees recipient recipients privileged
privilegiada privilegiado prohibido prohibida prohibited unauthorised unauthorized
"""
DISCLAIMER = frozenset(_DISCLAIMER_TEXT.split())


@dataclass(frozen=True)
class Message:
    """A message's new text (for its language), its asked part as one text (`core`) and the
    sentences worth scoring alone."""

    text: str
    core: str
    parts: tuple[str, ...]
    asked: str = ""   # the question sentences and the one before each, when there are others

    @property
    def texts(self) -> tuple[str, ...]:
        """The core, the asked part, then each sentence: what the meaning signal scores."""
        return tuple(dict.fromkeys(t for t in (self.core, self.asked, *self.parts) if t))

    @property
    def focus(self) -> str:
        """What the words are weighed over: the asked sentences when the message has others."""
        return self.asked or self.core


def content_count(sentence: str) -> int:
    """How many words of `sentence` are not grammar words, greetings or fillers."""
    return sum(1 for word in tokenize(sentence) if not is_function_word(word) and len(word) > 1)


def drop_signature(text: str) -> str:
    """Cut a closing legal notice, then a sign-off line ("Gracias,", "Best regards,") and the
    short lines after it.

    Only after a body with at least one long line: a chat message split over short lines
    ("como hago / para / cambiar la clave") keeps every line.
    """
    all_lines = text.splitlines()
    lines = drop_disclaimers(all_lines)
    short = [_is_short(line) for line in lines]
    body_seen = False
    for number, line in enumerate(lines):
        if body_seen and _is_sign_off(line) and all(short[number:]):
            return "\n".join(lines[:number])
        body_seen = body_seen or not short[number]
    return text if len(lines) == len(all_lines) else "\n".join(lines)


def drop_disclaimers(lines: list[str]) -> list[str]:
    """Without the closing paragraphs that are legal notices (see DISCLAIMER); a paragraph is
    the lines up to a blank one. The first paragraph always stays."""
    end = len(lines)
    while True:
        while end and not lines[end - 1].strip():
            end -= 1
        start = end
        while start and lines[start - 1].strip():
            start -= 1
        if start == 0 or not _is_disclaimer(" ".join(lines[start:end])):
            return lines[:end]
        end = start


def _is_disclaimer(paragraph: str) -> bool:
    return "?" not in paragraph and sum(
        word in DISCLAIMER for word in tokenize(paragraph)) >= DISCLAIMER_CUES


def _is_sign_off(line: str) -> bool:
    """A short line made only of fillers and grammar words, not a question."""
    words = tokenize(line)
    return 0 < len(words) <= SIGN_OFF_WORDS and "?" not in line and all(
        is_function_word(word) for word in words)


def _is_short(line: str) -> bool:
    return len(tokenize(line)) <= SIGNATURE_WORDS and "?" not in line


def split_message(text: str) -> Message:
    """The new text without greetings and sign-offs, and its sentences worth scoring alone.

    Only the first MAX_MESSAGE_CHARS are read. Remembered for the latest texts (at most
    SPLIT_MEMO of them, each cut to that length): a routing batch splits each message where
    it encodes it, where the KB matcher reads it and where triage reads it."""
    return _split(text[:MAX_MESSAGE_CHARS])


@lru_cache(maxsize=SPLIT_MEMO)
def _split(text: str) -> Message:
    new_text = drop_signature(strip_quoted(text))
    sentences = _trim_courtesy(split_sentences(new_text))
    core = " ".join(sentences) or new_text
    if len(sentences) < 2:
        return Message(new_text, core, ())
    parts = [s for s in sentences if content_count(s) >= MIN_PART_WORDS]
    return Message(new_text, core, tuple(_keep_asked(parts)), _asked(sentences))


def _asked(sentences: list[str]) -> str:
    """The question sentences and the sentence leading into each ("...just sends a link. How
    does that work?"); empty when every sentence or none is a question."""
    asked = [i for i, sentence in enumerate(sentences) if "?" in sentence]
    if not asked or len(asked) == len(sentences):
        return ""
    chosen = sorted({j for i in asked for j in (i - 1, i) if j >= 0})
    return " ".join(sentences[j] for j in chosen)


def is_courtesy(sentence: str) -> bool:
    """A greeting or thanks: short, no question, with a courtesy word ("Buenos días,")."""
    words = tokenize(sentence)
    return ("?" not in sentence and 0 < len(words) <= COURTESY_WORDS
            and any(word in COURTESY for word in words))


def _trim_courtesy(sentences: list[str]) -> list[str]:
    """Without the opening greetings and the closing thanks; a sentence in between stays."""
    kept = [not is_courtesy(s) for s in sentences]
    if not any(kept):
        return []
    first = kept.index(True)
    last = len(sentences) - kept[::-1].index(True)
    return sentences[first:last]


def _keep_asked(parts: list[str]) -> list[str]:
    """At most MAX_PARTS sentences: questions first, then the later ones (they lead to it)."""
    if len(parts) <= MAX_PARTS:
        return parts
    order = sorted(range(len(parts)), key=lambda i: ("?" not in parts[i], -i))
    return [parts[i] for i in sorted(order[:MAX_PARTS])]
