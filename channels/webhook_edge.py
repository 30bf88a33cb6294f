"""What every webhook shares at the edge: reasoned rejections, quarantine, body size limits."""

from __future__ import annotations

import logging
import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from channels.base import InboundSink, InvalidWebhook

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1024 * 1024
ASCII_NUMBER = re.compile(r"[0-9]{1,18}")   # no "٣", "²" or "１２"; fits a BIGINT


def rejection(exc: InvalidWebhook) -> PlainTextResponse:
    """403 for a bad signature or secret, 400 for a malformed body: one line, no trace."""
    return PlainTextResponse(f"{exc.reason}\n", status_code=exc.status)


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refusing more than `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise InvalidWebhook(f"body larger than {limit} bytes", status=413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise InvalidWebhook(f"body larger than {limit} bytes", status=413)
    return body


def parse_number(value: str, name: str, maximum: int = 2**63 - 1) -> int:
    """A field that must hold a plain decimal number from 0 to `maximum`; 400 otherwise."""
    if not ASCII_NUMBER.fullmatch(value) or int(value) > maximum:
        raise InvalidWebhook(f"{name} must be a number from 0 to {maximum}, got {value[:40]!r}")
    return int(value)


def is_storable(text: str) -> bool:
    """False for text holding NUL or half of a UTF-16 pair: no database stores those."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def quarantine(sink: InboundSink, source: str, exc: InvalidWebhook,
                     raw: bytes) -> PlainTextResponse:
    """Keep an authentic but unusable request with its reason (`sink.quarantine`), then 400."""
    log.warning("%s webhook quarantined: %s", source, exc.reason)
    await run_in_threadpool(sink.quarantine, source, exc.reason, raw)
    return rejection(exc)


def redact(address: str) -> str:
    """An address for the logs: the channel and the last three characters."""
    channel, _, rest = address.rpartition(":")
    return f"{channel + ':' if channel else ''}…{rest[-3:]}"
