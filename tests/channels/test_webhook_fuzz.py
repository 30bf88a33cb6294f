"""Property-based fuzz of the three webhooks with well-signed odd values: never a 5xx."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.channels.conftest import PUBLIC_URL, Live
from tests.fakes.clients import (
    WEBHOOK_SECRET,
    status_params,
    telegram_message,
    twilio_params,
    twilio_signature,
)

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
ODD_NUMBERS = ["٣", "²", "１２", "9" * 40, "-1", "1e3", " 7", "0x10", "߀", "⑦", "", "NaN"]
ODD_TEXT = ["\ud800", "a\udfffb", "\x00", "\u202e", "😀" * 50, "\r\n", "%", "&=", "é" * 3]
TEXTS = st.one_of(st.sampled_from(ODD_TEXT), st.sampled_from(ODD_NUMBERS),
                  st.text(max_size=40))
NUMBERS = st.one_of(st.integers(), st.integers(min_value=2**63 - 5, max_value=2**80),
                    st.integers(max_value=-(2**63) + 5, min_value=-(2**80)))
JSON_VALUES = st.one_of(st.none(), st.booleans(), NUMBERS, st.floats(allow_nan=False),
                        TEXTS, st.lists(st.integers(), max_size=2),
                        st.dictionaries(st.sampled_from(["id", "type", "x"]), NUMBERS,
                                        max_size=2))


def encoded(params: dict[str, str]) -> bytes:
    """A form body; lone surrogates go out as the UTF-8 bytes a broken client would send."""
    return "&".join(f"{quote(k.encode('utf-8', 'surrogatepass'))}="
                    f"{quote(v.encode('utf-8', 'surrogatepass'))}"
                    for k, v in params.items()).encode()


def twilio_raw_post(live: Live, path: str, body: bytes) -> httpx.Response:
    """Signed the way Twilio signs: over the parameters as a server decodes them."""
    decoded = dict(parse_qsl(body.decode(), keep_blank_values=True))
    signature = twilio_signature(PUBLIC_URL, path, decoded)
    return httpx.post(live.url + path, content=body, timeout=30, headers={
        "X-Twilio-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded"})


WHATSAPP_FIELDS = ["Body", "From", "To", "MessageSid", "NumMedia", "ProfileName", "Latitude",
                   "Longitude", "MediaUrl0", "MediaContentType0", "ButtonPayload",
                   "OriginalRepliedMessageSid", "ReferralNumMedia", "WaId"]


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(WHATSAPP_FIELDS), TEXTS, max_size=4))
def test_whatsapp_messages_never_get_a_5xx(live: Live, changes: dict[str, str]) -> None:
    params = {**twilio_params("hola"), **changes}
    response = twilio_raw_post(live, "/webhooks/whatsapp", encoded(params))
    assert response.status_code < 500, (changes, response.text)
    assert response.status_code in (200, 400), (changes, response.text)


STATUS_FIELDS = ["MessageSid", "MessageStatus", "ErrorCode", "To", "From"]


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(STATUS_FIELDS), TEXTS, max_size=3),
       outbox=st.one_of(st.none(), st.sampled_from(ODD_NUMBERS), st.integers().map(str)))
def test_whatsapp_status_callbacks_never_get_a_5xx(live: Live, changes: dict[str, str],
                                                   outbox: str | None) -> None:
    params = {**status_params("SM" + "1" * 32, "delivered"), **changes}
    path = "/webhooks/whatsapp/status" + (f"?outbox={quote(outbox)}" if outbox is not None
                                          else "")
    response = twilio_raw_post(live, path, encoded(params))
    assert response.status_code < 500, (changes, outbox, response.text)


MESSAGE_PATHS = [("update_id",), ("message", "chat"), ("message", "from"),
                 ("message", "chat", "id"), ("message", "from", "id"), ("message", "text"),
                 ("message", "date"), ("message", "message_id"), ("message", "chat", "type"),
                 ("message", "from", "language_code"), ("message", "caption"),
                 ("message", "reply_to_message")]


def changed(update: dict[str, Any], path: tuple[str, ...], value: object) -> None:
    """Set (or, for the sentinel "<drop>", remove) one field deep inside the update."""
    target = update
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            return
        target = target[key]
    if value == "<drop>":
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value


@FUZZ
@given(changes=st.lists(st.tuples(st.sampled_from(MESSAGE_PATHS),
                                  st.one_of(st.just("<drop>"), JSON_VALUES)), max_size=3))
def test_telegram_updates_never_get_a_5xx(live: Live,
                                          changes: list[tuple[tuple[str, ...], object]]) -> None:
    update = telegram_message("hola")
    for path, value in changes:
        changed(update, path, value)
    body = json.dumps(update).encode()   # lone surrogates travel as \\udxxx escapes
    response = httpx.post(f"{live.url}/webhooks/telegram", content=body, timeout=30,
                          headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
                                   "Content-Type": "application/json"})
    assert response.status_code < 500, (changes, response.text)
    assert response.status_code in (200, 400), (changes, response.text)
