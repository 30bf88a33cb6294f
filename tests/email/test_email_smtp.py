"""The SMTP edges: exact codes in, store-before-250, dedupe, quarantine, AUTH; errors out."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import aiosmtplib
import pytest

from bot.app import Runtime
from bot.config.root import AtiendeConfig, load_config
from bot.engine.outbox import enqueue
from bot.store.models import Message, OutboxItem, QuarantineItem
from tests.conftest import need_service
from tests.email.conftest import with_email
from tests.email.mailkit import MailDesk, mail, messages, outbox, rows, run
from tests.servers.smtp_sink import SmtpSink

CUSTOMER = "carla@cliente.co"
HOURS = "¿Cuál es el horario de atención?"


async def smtp_codes(desk: MailDesk, rcpt: str, data: bytes) -> tuple[int, int]:
    """(RCPT reply code, DATA reply code or 0 when RCPT failed), through a raw SMTP dialogue."""
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=desk.smtp.port, start_tls=False)
    await client.connect()
    await client.ehlo()
    await client.mail("x@cliente.co")
    rcpt_reply = await client.execute_command(b"RCPT", f"TO:<{rcpt}>".encode())
    data_code = 0
    if rcpt_reply.code == 250:
        try:
            data_code = (await client.data(data)).code
        except aiosmtplib.SMTPDataError as exc:
            data_code = exc.code
    await client.quit()
    return rcpt_reply.code, data_code


def test_only_our_addresses_are_accepted(desk: MailDesk) -> None:
    async def scenario() -> None:
        async with desk.running():
            assert await smtp_codes(desk, "otro@example.org", b"x") == (550, 0)
            assert (await smtp_codes(desk, "soporte+t9.abc@example.com",
                                     bytes(mail(CUSTOMER, "x", "hola"))))[0] == 250

    run(scenario())


def test_a_mail_over_the_size_limit_gets_552(email_config: AtiendeConfig, sink: SmtpSink,
                                             clock: object) -> None:
    from bot.app import build_runtime

    email = email_config.channels.email
    assert email is not None
    small = with_email(email_config, smtp_inbound=email.smtp_inbound.model_copy(
        update={"max_message_bytes": 2000}))
    runtime = build_runtime(small, clock)  # type: ignore[arg-type]
    desk = MailDesk(runtime, sink)

    async def scenario() -> None:
        async with desk.running():
            big = bytes(mail(CUSTOMER, "grande", "x" * 5000))
            assert await smtp_codes(desk, "soporte@example.com", big) == (250, 552)

    run(scenario())
    assert messages(runtime) == [] and rows(runtime, QuarantineItem) == []
    runtime.engine.dispose()


def test_the_same_message_id_is_stored_once(desk: MailDesk, email_runtime: Runtime) -> None:
    message = mail(CUSTOMER, "Horario", HOURS)

    async def scenario() -> None:
        async with desk.running():
            assert "(customer)" in await desk.send(message)
            assert "(duplicate)" in await desk.send(message)

    run(scenario())
    [stored] = messages(email_runtime)
    assert stored.provider_message_id == str(message["Message-ID"]).strip("<>")
    assert stored.status == "processed"


def test_a_mail_without_message_id_is_deduped_by_its_bytes(desk: MailDesk,
                                                           email_runtime: Runtime) -> None:
    raw = b"From: carla@cliente.co\r\nTo: soporte@example.com\r\nSubject: hola\r\n\r\n" \
          b"El sistema no me deja entrar desde esta ma\xc3\xb1ana\r\n"

    async def scenario() -> None:
        async with desk.running():
            await desk.send(raw, sender=CUSTOMER)
            assert "(duplicate)" in await desk.send(raw, sender=CUSTOMER)

    run(scenario())
    [stored] = messages(email_runtime)
    assert stored.provider_message_id.startswith("sha256:")
    assert stored.text == "El sistema no me deja entrar desde esta mañana"


def test_unreadable_mail_is_quarantined_with_its_bytes(desk: MailDesk,
                                                       email_runtime: Runtime) -> None:
    garbage = b"\x00\x01 this is not a mail at all\r\n\r\nnothing\r\n"

    async def scenario() -> None:
        async with desk.running():
            assert "(quarantined)" in await desk.send(garbage, sender=CUSTOMER)

    run(scenario())
    [item] = rows(email_runtime, QuarantineItem)
    assert item.raw == garbage and item.source == "email:smtp"
    assert "no header section" in item.reason
    assert messages(email_runtime) == []


def test_auth_is_required_when_configured(email_config: AtiendeConfig, sink: SmtpSink,
                                          clock: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.app import build_runtime

    email = email_config.channels.email
    assert email is not None
    monkeypatch.setenv("SMTP_INBOUND_PASSWORD", "s3creto")
    guarded = with_email(email_config, smtp_inbound=email.smtp_inbound.model_copy(
        update={"auth_username": "mta"}))
    runtime = build_runtime(guarded, clock)  # type: ignore[arg-type]
    desk = MailDesk(runtime, sink)

    async def scenario() -> None:
        async with desk.running():
            with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
                await desk.send(mail(CUSTOMER, "Horario", HOURS))
            assert refused.value.code == 530
            client = aiosmtplib.SMTP(hostname="127.0.0.1", port=desk.smtp.port,
                                     start_tls=False)
            await client.connect()
            with pytest.raises(aiosmtplib.SMTPAuthenticationError):
                await client.login("mta", "wrong")
            await client.login("mta", "s3creto")
            await client.sendmail(CUSTOMER, ["soporte@example.com"],
                                  bytes(mail(CUSTOMER, "Horario", HOURS)))
            await client.quit()

    run(scenario())
    assert len(messages(runtime)) == 1
    runtime.engine.dispose()


def put(runtime: Runtime, recipient: str = CUSTOMER, kind: str = "reply") -> int:
    with runtime.factory() as session, session.begin():
        return enqueue(session, channel="email", recipient=recipient, text="Hola",
                       now=runtime.clock.now(), kind=kind).id


def test_outbound_errors_are_transient_or_permanent(desk: MailDesk, sink: SmtpSink,
                                                    email_runtime: Runtime) -> None:
    item = put(email_runtime)
    sink.reply = "451 4.3.0 try later"
    run(desk.deliver())
    [row] = outbox(email_runtime)
    assert (row.status, row.attempts) == ("pending", 1) and "451" in (row.last_error or "")
    sink.reply = "554 5.7.1 rejected"
    email_runtime.ctx.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    run(desk.deliver())
    row = rows(email_runtime, OutboxItem, OutboxItem.id == item)[0]
    assert row.status == "failed" and "554" in (row.last_error or "")


def test_automatic_replies_per_recipient_are_limited(email_config: AtiendeConfig,
                                                     sink: SmtpSink, clock: object) -> None:
    from bot.app import build_runtime
    from channels.email.config import AutoReplyLimit

    limited = with_email(email_config, auto_reply_limit=AutoReplyLimit(count=2, hours=3))
    runtime = build_runtime(limited, clock)  # type: ignore[arg-type]
    desk = MailDesk(runtime, sink)
    for _ in range(3):
        put(runtime)
    put(runtime, kind="agent_reply")
    run(desk.deliver())
    assert [r.status for r in outbox(runtime)] == ["sent", "sent", "suppressed", "sent"]
    assert len(sink.to(CUSTOMER)) == 3
    runtime.engine.dispose()


def test_mail_to_agents_carries_a_signed_reply_to(desk: MailDesk, sink: SmtpSink,
                                                  email_runtime: Runtime) -> None:
    from channels.email.reply_address import sign_ticket

    with email_runtime.factory() as session, session.begin():
        from bot.store.models import Contact, Ticket

        contact = Contact(name="Carla", created_at=email_runtime.clock.now())
        session.add(contact)
        session.flush()
        now = email_runtime.clock.now()
        ticket = Ticket(contact_id=contact.id, channel="email", subject="Cobro", created_at=now,
                        updated_at=now, number=7)
        session.add(ticket)
        session.flush()
        enqueue(session, channel="email", recipient="ana@example.com", text="Nuevo",
                now=now, kind="agent_notice", ticket_id=ticket.id, subject="[#7] Cobro")
    run(desk.deliver())
    [notice] = sink.to("ana@example.com")
    signature = sign_ticket(desk.key, 7)
    assert notice.message["Reply-To"] == f"soporte+t7.{signature}@example.com"
    assert notice.message["Subject"] == "[#7] Cobro"
    assert notice.message["Auto-Submitted"] == "auto-generated"
    assert str(notice.message["Message-ID"]).startswith("<atiende.t7.")
    [row] = outbox(email_runtime)
    assert row.provider_message_id == str(notice.message["Message-ID"]).strip("<>")
    assert rows(email_runtime, Message) == []


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1, made with the openssl command line."""
    openssl = shutil.which("openssl")
    if openssl is None:
        need_service("the openssl command (Debian's openssl package)")
    cert, key = folder / "smtp.pem", folder / "smtp.key"
    subprocess.run([str(openssl), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def test_starttls_is_offered_and_can_be_required(email_config: AtiendeConfig, sink: SmtpSink,
                                                 clock: object, tmp_path: Path) -> None:
    from bot.app import build_runtime

    cert, key = self_signed(tmp_path)
    email = email_config.channels.email
    assert email is not None
    secured = with_email(email_config, smtp_inbound=email.smtp_inbound.model_copy(update={
        "tls_cert_file": str(cert), "tls_key_file": str(key), "require_starttls": True}))
    runtime = build_runtime(secured, clock)  # type: ignore[arg-type]
    desk = MailDesk(runtime, sink)

    async def scenario() -> None:
        async with desk.running():
            plain = aiosmtplib.SMTP(hostname="127.0.0.1", port=desk.smtp.port, start_tls=False)
            await plain.connect()
            await plain.ehlo()
            assert plain.supports_extension("starttls")
            with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
                await plain.mail(CUSTOMER)
            assert refused.value.code == 530
            plain.close()
            secure = aiosmtplib.SMTP(hostname="127.0.0.1", port=desk.smtp.port, start_tls=True,
                                     validate_certs=False)
            await secure.connect()
            await secure.sendmail(CUSTOMER, ["soporte@example.com"],
                                  bytes(mail(CUSTOMER, "Horario", HOURS)))
            await secure.quit()

    run(scenario())
    assert [m.sender for m in messages(runtime)] == [CUSTOMER]
    runtime.engine.dispose()


def test_tls_files_are_found_from_the_config_files_folder(tmp_path: Path) -> None:
    from channels.email.plugin import with_tls_paths

    config = load_config(write_config(tmp_path), environ={})
    email = config.channels.email
    assert email is not None
    inbound = with_tls_paths(Path(config.base_dir), email.smtp_inbound)
    assert (inbound.tls_cert_file, inbound.tls_key_file) == (
        str(tmp_path / "certs" / "smtp.pem"), "/etc/ssl/private/smtp.key")


def write_config(folder: Path) -> Path:
    path = folder / "config.yaml"
    path.write_text("channels:\n  email:\n    smtp_inbound:\n      tls_cert_file: certs/smtp.pem\n"
                    "      tls_key_file: /etc/ssl/private/smtp.key\n", encoding="utf-8")
    return path


def test_a_bounce_with_a_null_envelope_sender_is_never_answered(desk: MailDesk,
                                                                email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            reply_code = await desk.send(mail("postmaster@cliente.co", "Aviso", HOURS), sender="")
            assert reply_code.startswith("2.0.0 Stored (automated)")
            assert await desk.deliver() == []

    run(scenario())
    [stored] = messages(email_runtime)
    assert stored.status == "automated"
    assert "null sender" in stored.raw["automated"]


def test_auth_without_its_password_refuses_to_start(
        email_config: AtiendeConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    from channels.base import ChannelConfigError
    from channels.email.smtp_server import SmtpServer

    monkeypatch.delenv("SMTP_INBOUND_PASSWORD", raising=False)
    email = email_config.channels.email
    assert email is not None
    with pytest.raises(ChannelConfigError,
                       match="auth_username is set but the SMTP_INBOUND_PASSWORD"):
        SmtpServer(email.smtp_inbound.model_copy(update={"auth_username": "mta"}),
                   None)  # type: ignore[arg-type]


def reject_inserts_from(runtime: Runtime, sender: str) -> None:
    """A real database error for one sender's rows (a trigger), as a full disk would give."""
    with runtime.engine.begin() as connection:
        if runtime.engine.dialect.name == "sqlite":
            connection.exec_driver_sql(
                f"CREATE TRIGGER reject_mail BEFORE INSERT ON messages WHEN NEW.sender = "
                f"'{sender}' BEGIN SELECT RAISE(ABORT, 'storage refused this row'); END")
            return
        connection.exec_driver_sql(
            f"CREATE FUNCTION reject_mail() RETURNS trigger AS $$ BEGIN IF NEW.sender = "
            f"'{sender}' THEN RAISE EXCEPTION 'storage refused this row'; END IF; "
            f"RETURN NEW; END $$ LANGUAGE plpgsql")
        connection.exec_driver_sql("CREATE TRIGGER reject_mail BEFORE INSERT ON messages "
                                   "FOR EACH ROW EXECUTE FUNCTION reject_mail()")


def test_a_mail_that_cannot_be_stored_is_quarantined_and_the_next_gets_through(
        desk: MailDesk, email_runtime: Runtime) -> None:
    broken = mail("roto@cliente.co", "Factura", "No puedo descargar la factura de octubre")
    reject_inserts_from(email_runtime, "roto@cliente.co")

    async def scenario() -> None:
        async with desk.running():
            assert (await desk.send(broken)).startswith("2.0.0 Stored (quarantined)")
            assert (await desk.send(mail(CUSTOMER, "Horario", HOURS))).startswith(
                "2.0.0 Stored (customer)")

    run(scenario())
    [item] = rows(email_runtime, QuarantineItem)
    assert item.reason.startswith("could not be stored: ")
    assert "storage refused this row" in item.reason
    assert item.raw == bytes(broken).replace(b"\n", b"\r\n") and item.source == "email:smtp"
    assert [m.sender for m in messages(email_runtime)] == [CUSTOMER]


def test_without_atiende_secret_key_a_key_is_generated_once_and_kept(
        runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    from bot.store.secret_key import signing_key
    from channels.email.reply_address import sign_ticket

    with caplog.at_level("WARNING", logger="bot.store.secret_key"):
        first = signing_key(runtime.factory, environ={})
    assert len(first) >= 32
    assert "ATIENDE_SECRET_KEY is not set" in caplog.text
    assert signing_key(runtime.factory, environ={}) == first   # kept in the database
    assert signing_key(runtime.factory, environ={"ATIENDE_SECRET_KEY": "prod"}) == b"prod"
    assert sign_ticket(first, 7) != sign_ticket(b"prod", 7)
