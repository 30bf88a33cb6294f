"""IMAP poller (imapclient): IDLE or poll, UID-incremental fetch, UIDVALIDITY kept, reconnect.

It runs in its own thread. Each mail is stored (or quarantined) before it is flagged or moved,
so a crash in between only means a re-fetch, which the Message-ID dedupe absorbs. IDLE news is
only a wake-up signal: responses are read by `idle_done()` in blocking mode, so a line split
across packets (imapclient #519) cannot break the poller; any other error reconnects with backoff.
"""

from __future__ import annotations

import contextlib
import json
import logging
import select
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from imapclient import IMAPClient

from channels.base import StateStore
from channels.email.config import ImapConfig

log = logging.getLogger(__name__)
PASSWORD_ENV = "IMAP_PASSWORD"
WAKE_SLICE = 0.5  # how often a waiting poller checks for shutdown
SOCKET_TIMEOUT = 30.0
Receive = Callable[[list[bytes]], object]


class ImapState:
    """UIDVALIDITY and the last processed UID, kept in the adapter's StateStore."""

    def __init__(self, store: StateStore, config: ImapConfig) -> None:
        self.store = store
        self.key = f"imap:{config.username}@{config.host}:{config.port}/{config.mailbox}"[:100]

    def load(self) -> tuple[int | None, int]:
        value = self.store.recall(self.key)
        if value is None:
            return None, 0
        data = json.loads(value)
        return data.get("uidvalidity"), int(data.get("last_uid", 0))

    def save(self, uidvalidity: int, last_uid: int) -> None:
        self.store.remember(self.key, json.dumps({"uidvalidity": uidvalidity,
                                                  "last_uid": last_uid}))


class ImapPoller:
    """Fetches new mail into `receive` until `stop` is set."""

    def __init__(self, config: ImapConfig, password: str, receive: Receive, state: ImapState,
                 backoff_start: float = 1.0) -> None:
        self.config = config
        self.password = password
        self.receive = receive   # a fetched chunk's mails, durable when it returns
        self.state = state
        self.backoff_start = backoff_start
        self.stop = threading.Event()
        self.cycles = 0           # completed fetch rounds (tests wait on real progress)
        self.reconnects = 0
        self.progress = threading.Condition()

    def run(self) -> None:
        """The thread body: connect, work, and on any error wait (doubling) and reconnect."""
        delay = self.backoff_start
        while not self.stop.is_set():
            try:
                with self.connect() as client:
                    delay = self.backoff_start
                    self.work(client)
            except Exception as exc:  # network, protocol or storage: never end the thread
                self.reconnects += 1
                log.warning("IMAP poller error (%s: %s); reconnecting in %.1f s",
                            type(exc).__name__, exc, delay)
                if self.stop.wait(delay):
                    break
                delay = min(delay * 2, self.config.reconnect_max_seconds)

    @contextmanager
    def connect(self) -> Iterator[IMAPClient]:
        client = IMAPClient(self.config.host, port=self.config.port, ssl=self.config.ssl,
                            timeout=SOCKET_TIMEOUT)
        try:
            client.login(self.config.username, self.password)
            yield client
        finally:
            close_quietly(client)

    def work(self, client: IMAPClient) -> None:
        last_uid = self.select(client)
        while not self.stop.is_set():
            last_uid = self.fetch_new(client, last_uid)
            self.mark_cycle()
            self.wait_for_news(client)

    def select(self, client: IMAPClient) -> int:
        """Open the mailbox; a changed UIDVALIDITY restarts from UID 0 (dedupe absorbs repeats)."""
        info = client.select_folder(self.config.mailbox)
        uidvalidity = int(info[b"UIDVALIDITY"])
        known, last_uid = self.state.load()
        if known != uidvalidity:
            if known is not None:
                log.warning("IMAP UIDVALIDITY changed (%s → %s): rescanning the mailbox",
                            known, uidvalidity)
            last_uid = 0
            self.state.save(uidvalidity, last_uid)
        self.uidvalidity = uidvalidity
        return last_uid

    def fetch_new(self, client: IMAPClient, last_uid: int) -> int:
        uids = sorted(uid for uid in client.search(
            ["UID", f"{last_uid + 1}:*", "NOT", "KEYWORD", self.config.processed_flag])
            if uid > last_uid)
        for start in range(0, len(uids), self.config.batch_size):
            chunk = uids[start:start + self.config.batch_size]
            fetched = client.fetch(chunk, ["BODY.PEEK[]"])
            self.receive([fetched[uid][b"BODY[]"] for uid in chunk if uid in fetched])
            self.mark_processed(client, chunk)
            last_uid = chunk[-1]
            self.state.save(self.uidvalidity, last_uid)
        return last_uid

    def mark_processed(self, client: IMAPClient, uids: list[int]) -> None:
        if self.config.processed_mailbox:
            client.move(uids, self.config.processed_mailbox)
        else:
            client.add_flags(uids, [self.config.processed_flag.encode()])

    def wait_for_news(self, client: IMAPClient) -> None:
        """IDLE until the server says something or the poll interval ends; else just wait."""
        deadline = time.monotonic() + self.config.poll_interval_seconds
        if not (self.config.idle and client.has_capability("IDLE")):
            while not self.stop.is_set() and time.monotonic() < deadline:
                self.stop.wait(min(WAKE_SLICE, max(deadline - time.monotonic(), 0)))
            return
        client.idle()
        try:
            while not self.stop.is_set() and time.monotonic() < deadline:
                if has_news(client, min(WAKE_SLICE, max(deadline - time.monotonic(), 0))):
                    break
        finally:
            client.idle_done()

    def mark_cycle(self) -> None:
        with self.progress:
            self.cycles += 1
            self.progress.notify_all()

    def wait_cycles(self, count: int, timeout: float) -> bool:
        """For tests and benchmarks: block until `count` fetch rounds have completed."""
        with self.progress:
            return self.progress.wait_for(lambda: self.cycles >= count, timeout)


def has_news(client: IMAPClient, timeout: float) -> bool:
    """Bytes are waiting: already buffered by imaplib, or readable on the socket."""
    sock = client.socket()
    buffered = client._imap.file
    sock.setblocking(False)
    try:
        if buffered.peek(1):
            return True
    except OSError:
        pass
    finally:
        sock.settimeout(SOCKET_TIMEOUT)
    return bool(select.select([sock], [], [], timeout)[0])


def close_quietly(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # the connection may already be gone
        with contextlib.suppress(Exception):
            client.shutdown()
