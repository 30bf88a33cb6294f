"""Benchmark: 1,000 generated support emails in a local Dovecot → tickets via the real poller.

Starts a throwaway Dovecot (tests/servers/dovecot.py) on a free loopback port, appends the
mails (not timed), then times the IMAP poller from start until every mail is stored and routed
by the engine (tickets, agent notices, replies queued) in a fresh SQLite database. One line out.
Target: ≥ 150 emails/s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from imapclient import IMAPClient
from sqlalchemy import func, select

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.app import Runtime, build_runtime  # noqa: E402
from bot.channel_context import build_channel_context  # noqa: E402
from bot.config.root import load_config  # noqa: E402
from bot.store.models import Message, Ticket  # noqa: E402
from channels.email.config import ImapConfig  # noqa: E402
from channels.email.plugin import build_intake, imap_poller  # noqa: E402
from scheduler.clock import FixedClock  # noqa: E402
from tests.servers.dovecot import DovecotServer  # noqa: E402

TARGET = 150.0
USER = "soporte@example.com"
PROBLEMS = [
    "La factura electrónica no llega al correo del contador desde el {n} de noviembre",
    "No puedo entrar al sistema con el usuario {n}, dice que la clave expiró",
    "El reporte de ventas de la sucursal {n} sale vacío aunque hubo ventas",
    "The invoice export fails with error {n} every time we download the sales report",
    "Our user {n} cannot log in since the password reset this morning",
    "Nos cobraron dos veces la mensualidad de la cuenta {n}, necesitamos la devolución",
]


def generated(count: int) -> list[bytes]:
    mails = []
    for n in range(count):
        message = EmailMessage()
        message["From"] = f"Cliente {n} <cliente{n}@empresa{n % 37}.co>"
        message["To"] = USER
        message["Subject"] = f"Caso {n}"
        message["Message-ID"] = f"<bench-{n}@empresa.co>"
        message.set_content(PROBLEMS[n % len(PROBLEMS)].format(n=n) + "\n\nGracias.\n")
        mails.append(bytes(message))
    return mails


def fill(server: DovecotServer, mails: list[bytes]) -> None:
    with IMAPClient("127.0.0.1", port=server.port, ssl=False) as client:
        client.login(USER, server.password)
        for start in range(0, len(mails), 100):
            client.multiappend("INBOX", mails[start:start + 100])
        client.logout()


def count(runtime: Runtime, model: type) -> int:
    with runtime.factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def routed(runtime: Runtime) -> int:
    with runtime.factory() as session:
        return session.scalar(select(func.count()).where(
            Message.direction == "in", Message.status == "processed")) or 0


def run(total: int, folder: Path, server: DovecotServer) -> tuple[float, int]:
    base = load_config(REPO / "config.yaml", environ={})
    imap = ImapConfig(host="127.0.0.1", port=server.port, ssl=False, username=USER)
    email = base.channels.email.model_copy(update={"imap": imap})  # type: ignore[union-attr]
    config = base.model_copy(update={
        "database": base.database.model_copy(update={"url": f"sqlite:///{folder / 'b.db'}"}),
        "channels": base.channels.model_copy(update={"email": email}),
        "kb": base.kb.model_copy(update={"path": str(base.kb_path())})})
    clock = FixedClock(datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("America/Bogota")))
    runtime = build_runtime(config, clock)
    context = replace(build_channel_context(runtime), secret_key=b"bench-key")
    poller = imap_poller(build_intake(email, context), imap, server.password, context)
    started = time.perf_counter()
    thread = threading.Thread(target=poller.run, daemon=True)
    thread.start()
    with poller.progress:
        poller.progress.wait_for(lambda: routed(runtime) >= total, 600)
    elapsed = time.perf_counter() - started
    poller.stop.set()
    thread.join(30)
    tickets = count(runtime, Ticket)
    runtime.engine.dispose()
    return elapsed, tickets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emails", type=int, default=1000)
    args = parser.parse_args()
    server = DovecotServer().start()
    try:
        fill(server, generated(args.emails))
        with tempfile.TemporaryDirectory() as folder:
            elapsed, tickets = run(args.emails, Path(folder), server)
    finally:
        server.close()
    rate = args.emails / elapsed
    verdict = "ok" if rate >= TARGET else "BELOW TARGET"
    print(f"imap_ingest: {args.emails} emails -> {tickets} tickets through the IMAP poller "
          f"in {elapsed:.2f} s = {rate:.0f} emails/s (target >= {TARGET:.0f}; sqlite) {verdict}")


if __name__ == "__main__":
    main()
