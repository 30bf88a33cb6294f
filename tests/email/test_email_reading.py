"""The email adapter translates only: what a mail claims, answers and is, as neutral fields."""

from __future__ import annotations

from datetime import UTC, datetime

from channels.email.config import EmailConfig
from channels.email.ingest import Envelope, MailReader
from channels.email.parse import parse_email
from channels.email.reply_address import sign_ticket, signed_reply_address, ticket_claim
from channels.email.web_forms import form_person
from tests.email.mailkit import SUPPORT, mail

KEY = b"k"
AT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def reader(**changes: object) -> MailReader:
    return MailReader(EmailConfig(support_address=SUPPORT).model_copy(update=changes), KEY,
                      lambda: AT)


def test_a_claim_is_verified_only_with_this_keys_signature() -> None:
    good = signed_reply_address(KEY, SUPPORT, 7)
    assert ticket_claim(KEY, [good], SUPPORT) is not None
    assert ticket_claim(KEY, [good], SUPPORT).verified  # type: ignore[union-attr]
    forged = f"soporte+t7.{sign_ticket(b'other', 7)}@example.com"
    assert ticket_claim(KEY, [forged], SUPPORT).verified is False  # type: ignore[union-attr]
    assert ticket_claim(KEY, ["soporte+t7@example.com"], SUPPORT).verified is False  # type: ignore[union-attr]
    assert ticket_claim(KEY, [SUPPORT, "otro@example.org"], SUPPORT) is None


def test_the_reader_says_what_the_mail_claims_and_answers() -> None:
    message = mail("ana@example.com", "Re: [#7] Cobro", "Listo, ya quedó.",
                   to=signed_reply_address(KEY, SUPPORT, 7), in_reply_to="<n1@example.com>")
    inbound = reader().read(bytes(message), Envelope())
    assert (inbound.ticket_number, inbound.claim_verified) == (7, True)
    assert inbound.in_reply_to == ("n1@example.com",) and inbound.references == (
        "n1@example.com",)
    assert (inbound.sender, inbound.subject, inbound.text) == (
        "ana@example.com", "Re: [#7] Cobro", "Listo, ya quedó.")
    assert not inbound.is_automated and inbound.automated_reasons == ()


def test_a_bounce_is_automated_with_its_reasons() -> None:
    bounce = mail("mailer-daemon@cliente.co", "Undelivered Mail Returned to Sender", "x")
    inbound = reader().read(bytes(bounce), Envelope(mail_from=""))
    assert inbound.is_automated
    assert {"bounce sender mailer-daemon", "null sender"} <= set(inbound.automated_reasons)


def test_form_mail_speaks_for_its_reply_to_person() -> None:
    def parsed(sender: str, reply_to: str, **headers: str) -> object:
        return parse_email(bytes(mail(sender, "Formulario", "Hola", headers={
            "Reply-To": reply_to, **headers})))

    person = form_person(parsed("no-reply@web.co", "Marta <marta@c.co>"), ())  # type: ignore[arg-type]
    assert person is not None and (person.address, person.name) == ("marta@c.co", "Marta")
    assert form_person(parsed("no-reply@web.co", "noreply@c.co"), ()) is None  # type: ignore[arg-type]
    marked = parsed("no-reply@web.co", "marta@c.co", **{"Precedence": "bulk"})
    assert form_person(marked, ()) is None  # type: ignore[arg-type]
    assert form_person(marked, ("NO-REPLY@web.co",)) is not None  # type: ignore[arg-type]
    assert form_person(parsed("luis@c.co", "marta@c.co"), ()) is None  # type: ignore[arg-type]
