"""Strip quoted replies and signatures (mail-parser-reply) plus the Spanish "El … escribió:"."""

from __future__ import annotations

import re

from mailparser_reply import EmailMessage

LANGUAGES = ["es", "en", "de", "fr", "it", "nl", "pl", "sv", "da", "cs", "ja", "zh", "ko"]
# Gmail/Outlook in Spanish, possibly wrapped: "El mar, 24 nov 2026 a las 10:00, Ana
# <ana@x.co> escribió:" — the library's own Spanish pattern never matches it.
SPANISH_HEADER = re.compile(
    r"^[ \t>]*El\s[^\n]{1,200}?(?:\n[ \t>]*[^\n]{0,200}?)?\sescribi[oó]\s*:[ \t]*$",
    re.MULTILINE | re.IGNORECASE)
# Outlook in Spanish quotes with a header block ("De: … / Enviado el: …") or a separator line.
OUTLOOK_SPANISH = re.compile(
    r"^[ \t>]*(?:-{2,}[ \t]*mensaje original[ \t]*-{2,}[ \t]*$|"
    r"\*?De:\*?[ \t][^\n]*\n[ \t>]*\*?(?:Enviado(?: el)?|Fecha):)",
    re.MULTILINE | re.IGNORECASE)
# Signatures are cut only at an explicit marker: the library's sign-off list ("Gracias,",
# "Saludos,") also matches real sentences and would cut the customer's problem away.
SIGNATURE = re.compile(r"^[ \t]*(?:-- ?|__|sent from my\b.*|enviado desde mi\b.*|"
                       r"get outlook for\b.*|obtener outlook para\b.*)[ \t]*$",
                       re.MULTILINE | re.IGNORECASE)
# mail-parser-reply's patterns backtrack: its time grows faster than the text (4,000 blank
# lines took 3 s, 50,000 spaces a minute). It reads at most this much, with runs of blank
# lines and of spaces shortened first (nothing a reader would miss).
MAX_QUOTE_SCAN = 8_000
BLANK_LINES = re.compile(r"\n(?:[^\S\n]*\n){2,}")
SPACE_RUN = re.compile(r"[^\S\n]{9,}")


def shorten_runs(text: str) -> str:
    """At most one blank line in a row and eight spaces in a row."""
    return SPACE_RUN.sub(" " * 8, BLANK_LINES.sub("\n\n", text))


def strip_spanish_header(text: str) -> str:
    """Cut at the first Spanish quote header (Gmail's "El … escribió:", Outlook's block)."""
    starts = [m.start() for pattern in (SPANISH_HEADER, OUTLOOK_SPANISH)
              if (m := pattern.search(text))]
    return text[:min(starts)] if starts else text


def latest_reply(text: str) -> str:
    """The newest part of a reply: quoted history and a marked signature removed.

    Falls back to the full text when stripping would leave nothing (a reply that is all
    quote, or a message that starts with a header-like line). Quote headers are looked for
    in the first MAX_QUOTE_SCAN characters only: the time per mail is bounded.
    """
    if not text.strip():
        return ""
    trimmed = shorten_runs(strip_spanish_header(text))
    head = trimmed[:MAX_QUOTE_SCAN]
    message = EmailMessage(text=head, languages=list(LANGUAGES), keep_hyphen_lists=True).read()
    if not message.replies:
        return text.strip()
    if len(message.replies) == 1 and len(head) < len(trimmed):
        body = cut_signature(trimmed)   # no quote in the head: all of it is new
    else:
        body = cut_signature(message.replies[0].full_body)
    return body or text.strip()


def cut_signature(text: str) -> str:
    match = SIGNATURE.search(text)
    return (text[:match.start()] if match and match.start() > 0 else text).strip()
