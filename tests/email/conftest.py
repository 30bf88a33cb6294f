"""Email fixtures: the email section on loopback ports, an SMTP sink, a running Dovecot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import Runtime, build_runtime
from bot.config.root import AtiendeConfig
from scheduler.clock import FixedClock
from tests.conftest import need_service
from tests.email.mailkit import MailDesk
from tests.servers.dovecot import DovecotServer, free_port, is_installed
from tests.servers.smtp_sink import SmtpSink


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    started = SmtpSink().start()
    yield started
    started.stop()


def with_email(config: AtiendeConfig, **changes: object) -> AtiendeConfig:
    email = config.channels.email
    assert email is not None
    updated = email.model_copy(update=changes)
    return config.model_copy(update={"channels": config.channels.model_copy(
        update={"email": updated})})


@pytest.fixture
def email_config(config: AtiendeConfig, sink: SmtpSink) -> AtiendeConfig:
    email = config.channels.email
    assert email is not None
    return with_email(
        config,
        smtp_inbound=email.smtp_inbound.model_copy(update={"port": free_port()}),
        smtp_outbound=email.smtp_outbound.model_copy(update={"port": sink.port}))


@pytest.fixture
def email_runtime(email_config: AtiendeConfig, clock: FixedClock,
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    monkeypatch.setenv("ATIENDE_SECRET_KEY", "test-signing-key")
    built = build_runtime(email_config, clock)
    yield built
    built.engine.dispose()


@pytest.fixture
def desk(email_runtime: Runtime, sink: SmtpSink) -> MailDesk:
    return MailDesk(email_runtime, sink)


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    if not is_installed():
        need_service("Dovecot (apt-get install -y dovecot-imapd)")
    server = DovecotServer().start()
    yield server
    server.close()


@pytest.fixture
def corpus_dir(shared_dir: Path) -> Path:
    folder = shared_dir / "mail-corpus" / "zammad"
    if not folder.is_dir():
        need_service(f"the mail corpus {folder}")
    return folder
