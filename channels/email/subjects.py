"""Subject lines: is this a reply ('Re:', 'AW:', 'RV:' … in any order and number)?"""

from __future__ import annotations

import re

REPLY_SUBJECT = re.compile(r"^\s*(?:(?:re|aw|rv|sv|wg|fw|fwd|tr|r)\s*(?:\[\d+\])?\s*:\s*)+",
                           re.IGNORECASE)


def is_reply_subject(subject: str) -> bool:
    return bool(REPLY_SUBJECT.match(subject))


def without_reply_prefix(subject: str) -> str:
    """'Re: AW: Factura' → 'Factura'."""
    return REPLY_SUBJECT.sub("", subject).strip()
