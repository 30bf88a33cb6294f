"""The IMAP poller against a real Dovecot: fetch, IDLE, flags, UIDVALIDITY, reconnects."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from imapclient import IMAPClient
from sqlalchemy import func, select

from bot.app import Runtime
from bot.channel_context import build_channel_context
from bot.store.models import Message, Ticket
from bot.store.settings import SettingsState
from channels.email.config import ImapConfig
from channels.email.imap_poller import ImapPoller, ImapState
from channels.email.plugin import imap_poller
from tests.email.mailkit import intake, mail
from tests.servers.dovecot import DovecotServer
from tests.servers.tcp_proxy import TcpProxy

USER = "soporte@example.com"
WAIT = 10.0
PROBLEMS = [
    "La factura electrónica no llega al correo del contador desde el lunes pasado",
    "No puedo entrar al sistema con mi usuario, dice que la clave expiró ayer",
    "El reporte de ventas del mes sale vacío aunque hubo ventas todos los días",
]


def imap_config(server: DovecotServer, **changes: object) -> ImapConfig:
    return ImapConfig(host="127.0.0.1", port=server.port, ssl=False, username=USER,
                      poll_interval_seconds=30, **changes)  # type: ignore[arg-type]


def client_for(server: DovecotServer) -> IMAPClient:
    client = IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=10)
    client.login(USER, server.password)
    return client


def append(server: DovecotServer, *texts: str, folder: str = "INBOX",
           sender: str = "carla@cliente.co") -> list[str]:
    """Put mails in the mailbox the way an MTA would; returns their Message-IDs."""
    ids = []
    with client_for(server) as client:
        for text in texts:
            message = mail(sender, text[:30], text)
            client.append(folder, bytes(message))
            ids.append(str(message["Message-ID"]).strip("<>"))
        client.logout()
    return ids


def stored(runtime: Runtime) -> int:
    with runtime.factory() as session:
        return session.scalar(select(func.count()).select_from(Message)) or 0


@contextmanager
def polling(runtime: Runtime, config: ImapConfig, server: DovecotServer,
            backoff: float = 1.0) -> Iterator[ImapPoller]:
    context = build_channel_context(runtime)
    poller = imap_poller(intake(runtime), config, server.password, context)  # as `serve` does
    poller.backoff_start = backoff
    thread = threading.Thread(target=poller.run, daemon=True)
    thread.start()
    try:
        yield poller
    finally:
        poller.stop.set()
        thread.join(WAIT)
        assert not thread.is_alive()


def wait_until(poller: ImapPoller, condition: Callable[[], bool]) -> bool:
    """Block until `condition` holds after a completed fetch round (a real event)."""
    with poller.progress:
        return poller.progress.wait_for(condition, WAIT)


def flags(server: DovecotServer, folder: str = "INBOX") -> list[tuple[bytes, ...]]:
    with client_for(server) as client:
        client.select_folder(folder, readonly=True)
        uids = client.search("ALL")
        found = client.fetch(uids, ["FLAGS"]) if uids else {}
        client.logout()
    return [found[uid][b"FLAGS"] for uid in sorted(found)]


def test_waiting_mail_becomes_tickets_and_is_flagged(dovecot: DovecotServer,
                                                     email_runtime: Runtime) -> None:
    append(dovecot, *PROBLEMS)
    config = imap_config(dovecot)
    with polling(email_runtime, config, dovecot) as poller:
        assert wait_until(poller, lambda: stored(email_runtime) == 3)
    with email_runtime.factory() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 3  # three topics
    assert all(b"$AtiendeProcessed" in f for f in flags(dovecot))
    assert ImapState(SettingsState(email_runtime.factory), config).load()[1] == 3


def test_idle_brings_new_mail_at_once_and_a_restart_skips_old_mail(
        dovecot: DovecotServer, email_runtime: Runtime) -> None:
    config = imap_config(dovecot)
    with polling(email_runtime, config, dovecot) as poller:
        assert poller.wait_cycles(1, WAIT)
        append(dovecot, PROBLEMS[0])
        assert wait_until(poller, lambda: stored(email_runtime) == 1)
        append(dovecot, PROBLEMS[1], sender="otro@cliente.co")
        assert wait_until(poller, lambda: stored(email_runtime) == 2)
    with polling(email_runtime, config, dovecot) as poller:
        append(dovecot, PROBLEMS[2], sender="tercero@cliente.co")
        assert wait_until(poller, lambda: stored(email_runtime) == 3)
    assert ImapState(SettingsState(email_runtime.factory), config).load()[1] == 3


def test_processed_mail_can_be_moved_to_a_folder(dovecot: DovecotServer,
                                                 email_runtime: Runtime) -> None:
    with client_for(dovecot) as client:
        client.create_folder("Procesados")
        client.logout()
    append(dovecot, PROBLEMS[0])
    config = imap_config(dovecot, processed_mailbox="Procesados")
    with polling(email_runtime, config, dovecot) as poller:
        assert wait_until(poller, lambda: stored(email_runtime) == 1)
    assert flags(dovecot) == [] and len(flags(dovecot, "Procesados")) == 1


def test_a_new_uidvalidity_rescans_and_dedupe_absorbs_repeats(dovecot: DovecotServer,
                                                              email_runtime: Runtime) -> None:
    with client_for(dovecot) as client:
        client.create_folder("Soporte")
        client.logout()
    append(dovecot, PROBLEMS[0], folder="Soporte")
    config = imap_config(dovecot, mailbox="Soporte")
    with polling(email_runtime, config, dovecot) as poller:
        assert wait_until(poller, lambda: stored(email_runtime) == 1)
    before = ImapState(SettingsState(email_runtime.factory), config).load()[0]
    with client_for(dovecot) as client:  # the mailbox is rebuilt: new UIDVALIDITY, UIDs anew
        client.delete_folder("Soporte")
        client.create_folder("Soporte")
        client.logout()
    with client_for(dovecot) as client:
        client.append("Soporte", bytes(mail("carla@cliente.co", "x", PROBLEMS[0],
                                            message_id="<repeat@cliente.co>")))
        client.append("Soporte", bytes(mail("carla@cliente.co", "x", PROBLEMS[0],
                                            message_id="<repeat@cliente.co>")))
        client.logout()
    with polling(email_runtime, config, dovecot) as poller:
        assert wait_until(poller, lambda: stored(email_runtime) == 2 and len(
            flags(dovecot, "Soporte")) == 2 and all(b"$AtiendeProcessed" in f for f in flags(
                dovecot, "Soporte")))
    assert ImapState(SettingsState(email_runtime.factory), config).load()[0] != before


def test_the_poller_reconnects_after_the_connection_drops(dovecot: DovecotServer,
                                                           email_runtime: Runtime) -> None:
    proxy = TcpProxy(dovecot.port)
    config = imap_config(dovecot).model_copy(update={"port": proxy.port})
    try:
        with polling(email_runtime, config, dovecot, backoff=0.05) as poller:
            assert poller.wait_cycles(1, WAIT)
            proxy.cut()  # the IDLE connection drops mid-wait
            append(dovecot, PROBLEMS[0])
            assert wait_until(poller, lambda: stored(email_runtime) == 1)
            assert poller.reconnects >= 1
    finally:
        proxy.close()


def test_a_line_split_across_packets_during_idle_is_harmless(dovecot: DovecotServer,
                                                             email_runtime: Runtime) -> None:
    """imapclient #519: half an untagged line arrives, the rest only later."""
    proxy = TcpProxy(dovecot.port)
    config = imap_config(dovecot).model_copy(update={"port": proxy.port})
    try:
        with polling(email_runtime, config, dovecot) as poller:
            assert proxy.wait_for_server(b"+ idling")
            splice = proxy.split_line(b"* 7 FETCH (FLAGS (\\Seen", b"))\r\n", b"DONE")
            assert splice.done.wait(WAIT)  # the poller woke and ended IDLE mid-line
            append(dovecot, PROBLEMS[0])
            assert wait_until(poller, lambda: stored(email_runtime) == 1)
            assert poller.reconnects == 0
    finally:
        proxy.close()


def test_without_idle_the_poller_checks_every_interval(dovecot: DovecotServer,
                                                       email_runtime: Runtime) -> None:
    config = imap_config(dovecot, idle=False).model_copy(update={"poll_interval_seconds": 0.2})
    with polling(email_runtime, config, dovecot) as poller:
        assert poller.wait_cycles(1, WAIT)
        append(dovecot, PROBLEMS[0])
        assert wait_until(poller, lambda: stored(email_runtime) == 1)
        assert poller.wait_cycles(poller.cycles + 2, WAIT)   # it keeps polling on its own
