"""Bytes to text when the declared charset is missing, wrong or an alias senders misuse."""

from __future__ import annotations

import codecs
import unicodedata

# Labels senders use for a charset whose real repertoire is a superset.
SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "iso-8859-1": "cp1252",
             "latin1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252",
             "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "shift_jis": "cp932",
             "x-sjis": "cp932", "iso-2022-jp": "iso2022_jp_ext", "windows-874": "cp874",
             "unicode-1-1-utf-7": "utf-7", "x-unknown": "", "unknown-8bit": "", "8bit": ""}
GUESSES = ("cp932", "gb18030", "cp1252")
# Latin-1 symbols that fill CJK text read as cp1252; ¿ ¡ « » ° stay (Spanish uses them).
MOJIBAKE_SYMBOLS = frozenset("¢£¤¥¦§¨©ª¬®¯±²³´µ¶·¸¹º¼½¾")


def known(charset: str | None) -> str | None:
    """The codec to use for a declared label, or None when Python does not know it."""
    if not charset:
        return None
    name = SUPERSETS.get(charset.strip().lower(), charset.strip().lower())
    if not name:
        return None
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def decode_text(payload: bytes, charset: str | None) -> str:
    """Decode with the declared charset (its superset); unknown labels are guessed."""
    name = known(charset)
    if name is None:
        return guess_decode(payload)
    try:
        return payload.decode(name)
    except UnicodeDecodeError:
        pass
    if name in ("utf-8", "cp1252"):  # mislabelled: another charset may fit exactly
        return guess_decode(payload, name)
    return payload.decode(name, errors="replace")


def guess_decode(data: bytes, preferred: str | None = None) -> str:
    """The strict decoding that looks most like text; ties go to the preferred charset.

    Valid UTF-8 with non-ASCII bytes is almost never an accident, so it wins at once.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best: tuple[float, str] | None = None
    for charset in dict.fromkeys(c for c in (preferred, *GUESSES) if c):
        try:
            text = data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
        score = oddness(text)
        if best is None or score < best[0]:
            best = (score, text)
        if score == 0:
            break
    return best[1] if best else data.decode("latin-1")


def oddness(text: str) -> float:
    """Share of characters typical of a wrong guess: Latin-1 symbols, half-width kana, controls."""
    odd = sum(1 for ch in text if is_odd(ch))
    return odd / max(len(text), 1)


def is_odd(ch: str) -> bool:
    code = ord(ch)
    if code < 0x80:
        return False
    if code <= 0x9F or ch in MOJIBAKE_SYMBOLS or 0xFF61 <= code <= 0xFF9F or code == 0xFFFD:
        return True
    return unicodedata.category(ch) in ("Cc", "Co", "Cn")
