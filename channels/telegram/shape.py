"""The fields of a Telegram update we read, checked before anything is parsed or stored."""

from __future__ import annotations

from collections.abc import Mapping

from channels.base import InvalidWebhook
from channels.webhook_edge import is_storable

INT64 = 2**63
# (field, expected kind, required) for the objects we read; other fields are kept, unread.
CHAT = (("id", "int", True), ("type", "str", True))
USER = (("id", "int", True), ("first_name", "str", False), ("last_name", "str", False),
        ("language_code", "str", False), ("username", "str", False))
MESSAGE = (("message_id", "int", True), ("date", "int", True), ("chat", "chat", True),
           ("from", "user", False), ("text", "str", False), ("caption", "str", False),
           ("reply_to_message", "message", False))
CALLBACK = (("id", "str", True), ("from", "user", True), ("data", "str", False),
            ("message", "message", False))
SHAPES: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "chat": CHAT, "user": USER, "message": MESSAGE, "callback": CALLBACK}


def check_update_shape(data: Mapping[str, object]) -> None:
    """400 with the field's path when a field we read has the wrong type or is missing."""
    for name, kind in (("message", "message"), ("callback_query", "callback")):
        value = data.get(name)
        if value is not None:
            check_object(value, kind, name, depth=0)


def check_object(value: object, kind: str, path: str, depth: int) -> None:
    if not isinstance(value, dict):
        raise InvalidWebhook(f"{path} must be an object")
    if depth > 2:   # a reply to a reply to a reply: nothing of it is read
        return
    for field, field_kind, required in SHAPES[kind]:
        found = value.get(field)
        where = f"{path}.{field}"
        if found is None:
            if required:
                raise InvalidWebhook(f"missing {where}")
            continue
        check_field(found, field_kind, where, depth)


def check_field(value: object, kind: str, path: str, depth: int) -> None:
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool) or not -INT64 < value < INT64:
            raise InvalidWebhook(f"{path} must be a 64-bit integer")
    elif kind == "str":
        if not isinstance(value, str):
            raise InvalidWebhook(f"{path} must be a string")
    else:
        check_object(value, kind, path, depth + 1)


def find_unstorable_text(value: object, path: str = "update") -> str | None:
    """The path of a string holding NUL or half of a UTF-16 pair (no database stores them)."""
    if isinstance(value, str):
        return None if is_storable(value) else path
    if isinstance(value, dict):
        items = [(f"{path}.{key}", key, item) for key, item in value.items()]
        for where, key, item in items:
            bad = find_unstorable_text(key, where) or find_unstorable_text(item, where)
            if bad:
                return bad
    if isinstance(value, list):
        for index, item in enumerate(value):
            bad = find_unstorable_text(item, f"{path}[{index}]")
            if bad:
                return bad
    return None

