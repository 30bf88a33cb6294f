"""Encoded display names are decoration: the sender is the raw header's address."""

from __future__ import annotations

import pytest

from bot.store.models import Message
from channels.email.addresses import is_impersonating
from channels.email.auth_results import is_dmarc_pass
from channels.email.parse import parse_email
from tests.email.mailkit import MailDesk, rows, run

AGENT = "ana@example.com"
FORGED_FROMS = [
    "=?utf-8?q?ana=40example.com?= <mallory@elsewhere.org>",
    "=?UTF-8?B?YW5hQGV4YW1wbGUuY29t?= <mallory@elsewhere.org>",
    '"=?utf-8?q?ana=40example.com?=" <mallory@elsewhere.org>',
    "=?utf-8?q?Ana_P=C3=A9rez_=3Cana=40example.com=3E?= <mallory@elsewhere.org>",
    "=?iso-8859-1?q?ana=40example=2Ecom?= <mallory@elsewhere.org>",
]


def raw_mail(from_header: str, to: str = "soporte@example.com") -> bytes:
    return (f"From: {from_header}\r\nTo: {to}\r\nSubject: hola\r\n"
            f"Message-ID: <f1@elsewhere.org>\r\n\r\n¿Cuál es el horario?\r\n").encode()


@pytest.mark.parametrize("from_header", FORGED_FROMS)
def test_an_encoded_address_in_the_display_name_is_not_the_sender(from_header: str) -> None:
    parsed = parse_email(raw_mail(from_header))
    assert parsed.sender == "mallory@elsewhere.org"
    assert AGENT in (parsed.sender_name or "")
    assert is_impersonating(parsed.sender_name, parsed.sender)


@pytest.mark.parametrize(("name", "address", "suspicious"), [
    ("Ana Pérez", "ana@example.com", False),
    ("ana@example.com", "ana@example.com", False),
    ("ANA@Example.com.", "ana@example.com", False),
    (None, "ana@example.com", False),
    ("ana@example.com", "mallory@elsewhere.org", True),
    ("Soporte (soporte@example.com)", "mallory@elsewhere.org", True),
])
def test_a_display_name_naming_another_address_is_suspicious(
        name: str | None, address: str, suspicious: bool) -> None:
    assert is_impersonating(name, address) is suspicious


def test_a_plain_from_still_parses() -> None:
    parsed = parse_email(raw_mail("=?utf-8?q?Ana_P=C3=A9rez?= <Ana@Example.com>"))
    assert (parsed.sender, parsed.sender_name) == ("ana@example.com", "Ana Pérez")


def test_an_encoded_from_over_smtp_is_stored_as_the_real_sender(desk: MailDesk) -> None:
    async def scenario() -> str:
        async with desk.running():
            return await desk.send(raw_mail(FORGED_FROMS[0]), sender="mallory@elsewhere.org")

    assert run(scenario()).startswith("2.0.0")
    assert [m.sender for m in rows(desk.runtime, Message)] == ["mallory@elsewhere.org"]


TRUSTED = ["mx.example.com"]


@pytest.mark.parametrize(("headers", "passed"), [
    (["mx.example.com; dmarc=pass (p=reject) header.from=example.com"], True),
    (["mx.example.com; spf=pass smtp.mailfrom=example.com; dmarc=pass header.from=example.com"],
     True),
    (["MX.Example.com (comment); DMARC=pass header.from=Example.COM"], True),
    (["mx.example.com; dmarc=fail header.from=example.com"], False),
    (["mx.example.com; dmarc=pass header.from=elsewhere.org"], False),
    (["mx.example.com; dmarc=pass"], False),
    (["evil.example.org; dmarc=pass header.from=example.com"], False),   # not our server
    (["mx.example.com; spf=pass smtp.mailfrom=example.com"], False),
    ([], False),
])
def test_dmarc_pass_counts_only_from_a_trusted_authserv_id(headers: list[str],
                                                           passed: bool) -> None:
    assert is_dmarc_pass(headers, TRUSTED, AGENT) is passed
