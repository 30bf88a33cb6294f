"""Mend header sections real mail gets wrong before parsing: preambles and unfolded lines."""

from __future__ import annotations

import re

HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}:")
MBOX_FROM = re.compile(rb"^From \S")
MAX_PREAMBLE_LINES = 3


def repair_header_block(raw: bytes) -> bytes:
    """Drop a short non-header preamble and fold stray lines into the header above them.

    'From ' mbox lines stay (the parser reads them as the envelope line). The body is untouched.
    """
    head, sep, body = split_head(raw)
    lines = head.split(b"\n")
    lines = drop_preamble(lines)
    fixed = [fold(line) if index and not is_header_start(line) else line
             for index, line in enumerate(lines)]
    return b"\n".join(fixed) + sep + body


def split_head(raw: bytes) -> tuple[bytes, bytes, bytes]:
    match = re.search(rb"\r?\n\r?\n", raw)
    if match is None:
        return raw, b"", b""
    return raw[:match.start()], match.group(), raw[match.end():]


def drop_preamble(lines: list[bytes]) -> list[bytes]:
    for index, line in enumerate(lines[:MAX_PREAMBLE_LINES + 1]):
        if is_header_start(line) or MBOX_FROM.match(line):
            return lines[index:]
    return lines


def is_header_start(line: bytes) -> bool:
    return bool(HEADER_LINE.match(line)) or line[:1] in (b" ", b"\t") or bool(
        MBOX_FROM.match(line))


def fold(line: bytes) -> bytes:
    return b" " + line if line.strip() else line
