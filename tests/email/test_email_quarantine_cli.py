"""`atiende quarantine`: unreadable mail is listed, shown, and replayed after a fix."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner
from sqlalchemy import select

from bot.app import Runtime
from bot.cli.main import main
from bot.config.root import AtiendeConfig
from bot.store.models import Message, QuarantineItem
from channels.email.ingest import Envelope
from tests.email.mailkit import intake, mail

PROBLEM = "La factura electrónica no llega al correo del contador desde el lunes pasado"


def write_config(config: AtiendeConfig, path: Path, max_bytes: int) -> Path:
    data = config.model_dump(mode="json", by_alias=True, exclude={"source"})
    data["kb"]["path"] = str(config.kb_path())
    data["channels"]["email"]["smtp_inbound"]["max_message_bytes"] = max_bytes
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def quarantine_big_mail(runtime: Runtime, envelope: Envelope, source: str) -> str:
    """A customer's 3 kB mail through a channel whose size limit is 1,000 bytes."""
    big = bytes(mail("carla@cliente.co", "Factura", PROBLEM + "\n" + "x" * 3000))
    service = intake(runtime)
    small = runtime.config.channels.email.smtp_inbound.model_copy(  # type: ignore[union-attr]
        update={"max_message_bytes": 1000})
    service.reader.config = service.reader.config.model_copy(update={"smtp_inbound": small})
    return service.receive_sync(big, envelope, source).kind


def test_list_show_and_replay_after_raising_the_size_limit(email_runtime: Runtime,
                                                           tmp_path: Path) -> None:
    assert quarantine_big_mail(email_runtime, Envelope(), "email:imap") == "quarantined"
    strict = write_config(email_runtime.config, tmp_path / "strict.yaml", 1000)
    roomy = write_config(email_runtime.config, tmp_path / "roomy.yaml", 10_000_000)
    runner = CliRunner()

    listed = runner.invoke(main, ["quarantine", "list", "--config", str(strict)])
    assert listed.exit_code == 0
    assert "\temail:imap\t" in listed.output and "over the 1000-byte limit" in listed.output
    shown = runner.invoke(main, ["quarantine", "show", "1", "--config", str(strict)])
    assert "reason: message of" in shown.output and "Subject: Factura" in shown.output
    again = runner.invoke(main, ["quarantine", "replay", "1", "--config", str(strict)])
    assert again.exit_code == 1 and "still cannot be read" in again.output
    done = runner.invoke(main, ["quarantine", "replay", "1", "--config", str(roomy)])
    assert done.exit_code == 0, done.output
    assert "quarantine item 1 replayed: customer" in done.output

    with email_runtime.factory() as session:
        [message] = session.scalars(select(Message)).all()
        [item] = session.scalars(select(QuarantineItem)).all()
    assert message.text.startswith(PROBLEM) and item.replayed_at is not None
    assert "quarantine is empty" in runner.invoke(
        main, ["quarantine", "list", "--config", str(roomy)]).output
    missing = runner.invoke(main, ["quarantine", "show", "9", "--config", str(roomy)])
    assert missing.exit_code == 2 and "no quarantine item 9" in missing.output


def test_replay_keeps_the_smtp_envelope_a_null_sender_stays_a_bounce(
        email_runtime: Runtime, tmp_path: Path) -> None:
    """Only the envelope says this is a bounce (MAIL FROM:<>): after replay it is still kept
    and never answered, as it would have been on the first pass."""
    support = email_runtime.config.channels.email.support_address  # type: ignore[union-attr]
    envelope = Envelope(mail_from="", rcpt_tos=(support,))
    assert quarantine_big_mail(email_runtime, envelope, "email:smtp") == "quarantined"
    roomy = write_config(email_runtime.config, tmp_path / "roomy.yaml", 10_000_000)
    runner = CliRunner()

    shown = runner.invoke(main, ["quarantine", "show", "1", "--config", str(roomy)])
    assert f"envelope: MAIL FROM:<> RCPT TO: {support}" in shown.output
    done = runner.invoke(main, ["quarantine", "replay", "1", "--config", str(roomy)])
    assert done.exit_code == 0, done.output
    assert "quarantine item 1 replayed: automated" in done.output
    with email_runtime.factory() as session:
        [message] = session.scalars(select(Message)).all()
    assert message.status == "automated"
