"""Parsing real-world shapes: charsets, encoded words, HTML only, RFC 2231 names, quotes, loops."""

from __future__ import annotations

import pytest

from channels.base import UnparseableEmail
from channels.email.addresses import find_reply_claim, is_own_address, reply_address
from channels.email.parse import parse_email
from channels.email.quotes import latest_reply
from channels.email.reply_address import is_valid_signature, sign_ticket

SUPPORT = "soporte@example.com"


def own(address: str) -> bool:
    return is_own_address(address, SUPPORT)


def raw(headers: str, body: str | bytes = "hola\n") -> bytes:
    data = body if isinstance(body, bytes) else body.encode()
    return headers.replace("\n", "\r\n").encode() + b"\r\n" + data


def test_encoded_words_and_latin1_body() -> None:
    parsed = parse_email(raw(
        "From: =?ISO-8859-1?Q?Jos=E9_P=E9rez?= <Jose@Cliente.co>\n"
        "Subject: =?utf-8?B?wr9Qb3IgcXXDqSBubyBmYWN0dXJhPw==?=\n"
        "Content-Type: text/plain; charset=iso-8859-1\n", "Facturaci\xf3n ca\xedda\n".encode(
            "latin-1")))
    assert (parsed.sender, parsed.sender_name) == ("jose@cliente.co", "José Pérez")
    assert parsed.subject == "¿Por qué no factura?"
    assert parsed.text == "Facturación caída"
    assert parsed.automated == ()


def test_html_only_mail_becomes_text() -> None:
    parsed = parse_email(raw(
        "From: a@cliente.co\nSubject: x\nContent-Type: text/html; charset=utf-8\n",
        "<html><head><style>p{}</style></head><body><p>Hola,</p><p>no&nbsp;puedo "
        "<b>entrar</b></p><ul><li>uno</li></ul><script>x()</script></body></html>"))
    assert parsed.html_only
    assert parsed.text == "Hola,\n\nno puedo entrar\n\n- uno"


def test_rfc2231_attachment_names() -> None:
    parsed = parse_email(raw(
        "From: a@cliente.co\nSubject: x\nMIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=b\n",
        "--b\r\nContent-Type: text/plain\r\n\r\nadjunto\r\n--b\r\n"
        "Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n"
        " filename*=UTF-8''factura%20n%C2%BA%207.pdf\r\nContent-Transfer-Encoding: base64\r\n"
        "\r\nJVBERi0=\r\n--b--\r\n"))
    [attachment] = parsed.attachments
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "factura nº 7.pdf", "application/pdf", 5)


@pytest.mark.parametrize(("text", "expected"), [
    ("Gracias, ya funciona.\n\nEl mar, 24 nov 2026 a las 10:00, Soporte <soporte@example.com> "
     "escribió:\n> ¿Te ayudó?\n", "Gracias, ya funciona."),
    ("Listo.\n\nEl mar., 24 nov. 2026 a las 10:00, Atiende (<soporte@example.com>)\nescribió:\n"
     "> viejo\n", "Listo."),
    ("Thanks!\n\nOn Tue, Nov 24, 2026 at 10:00 AM Atiende <soporte@example.com> wrote:\n> old\n",
     "Thanks!"),
    ("Ya quedó, gracias.\n\nDe: Atiende <soporte@example.com>\nEnviado el: martes, 24 de "
     "noviembre de 2026 10:00\nPara: carla@cliente.co\nAsunto: RE: [#3] Factura\n\nviejo\n",
     "Ya quedó, gracias."),
    ("Sigue igual.\n\n-----Mensaje original-----\nDe: Atiende <soporte@example.com>\n"
     "Asunto: [#3] Factura\n\nviejo\n", "Sigue igual."),
    ("Hola,\n\nGracias, el error sigue:\n- paso 1\n- paso 2\n\n-- \nCarla\n", "Hola,\n\nGracias,"
     " el error sigue:\n- paso 1\n- paso 2"),
])
def test_quoted_text_and_marked_signatures_are_stripped(text: str, expected: str) -> None:
    assert latest_reply(text) == expected


@pytest.mark.parametrize(("headers", "reason"), [
    ("Auto-Submitted: auto-replied\n", "Auto-Submitted: auto-replied"),
    ("Precedence: bulk\n", "Precedence: bulk"),
    ("List-Id: <ventas.lists.example>\n", "has List-Id"),
    ("List-Unsubscribe: <mailto:u@x.co>\n", "has List-Unsubscribe"),
    ("X-Auto-Response-Suppress: OOF\n", "has X-Auto-Response-Suppress"),
    ("Return-Path: <>\n", "null sender"),
])
def test_loop_brakes(headers: str, reason: str) -> None:
    parsed = parse_email(raw(f"From: a@cliente.co\nSubject: x\n{headers}"), own)
    assert reason in parsed.automated


def test_bounces_and_our_own_mail_are_automatic() -> None:
    bounce = parse_email(raw("From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail\n"))
    assert "bounce sender mailer-daemon" in bounce.automated
    ours = parse_email(raw("From: Atiende <soporte+t3.x@example.com>\nSubject: hola\n"), own)
    assert "from our own address" in ours.automated
    null = parse_email(raw("From: a@cliente.co\nSubject: hola\n"), own, envelope_sender="")
    assert "null sender" in null.automated


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty message"),
    (b"\x00\x01\x02 garbage\r\n\r\n", "no header section"),
    (b"From: a@b.co\r\n\r\n" + b"x" * 100, "over the 50-byte limit"),
])
def test_unreadable_input_raises_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(UnparseableEmail, match=reason):
        parse_email(data, max_bytes=50)


def test_signed_reply_addresses() -> None:
    key = b"k"
    address = reply_address(SUPPORT, 123, sign_ticket(key, 123))
    claim = find_reply_claim(["otro@x.co", address.upper()], SUPPORT)
    assert claim is not None and claim.ticket_number == 123
    assert is_valid_signature(key, 123, claim.signature)
    assert not is_valid_signature(key, 124, claim.signature)
    assert not is_valid_signature(b"other", 123, claim.signature)
    assert find_reply_claim(["soporte+t5@example.com"], SUPPORT).signature == ""  # type: ignore
    assert find_reply_claim(["soporte@example.com"], SUPPORT) is None
