"""A loopback TCP proxy for failure tests: cut live connections, or split a server line."""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field

from tests.servers.dovecot import free_port


@dataclass
class Splice:
    """Send `first` to the client now; send `rest` just before the client's next `marker`."""

    marker: bytes
    rest: bytes
    done: threading.Event = field(default_factory=threading.Event)


class TcpProxy:
    """127.0.0.1:<port> → 127.0.0.1:<upstream>, one pair of pump threads per connection."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.splice: Splice | None = None
        self.downstream = bytearray()  # everything the server said, for tests to wait on
        self.said = threading.Condition()
        self.mode = "forward"   # or "refuse" (close at once) or "hang" (accept, never answer)
        self.held: list[socket.socket] = []
        self.refusals = 0   # refuse this many more connections, then forward again
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusals > 0:
                self.refusals -= 1
                client.close()
                continue
            if self.mode != "forward":
                self.hold_or_close(client)
                continue
            server = socket.create_connection(("127.0.0.1", self.upstream))
            self.pairs.append((client, server))
            threading.Thread(target=self.pump, args=(server, client, False), daemon=True).start()
            threading.Thread(target=self.pump, args=(client, server, True), daemon=True).start()

    def pump(self, source: socket.socket, target: socket.socket, upward: bool) -> None:
        try:
            while data := source.recv(65536):
                splice = self.splice
                if upward and splice is not None and splice.marker in data:
                    source.sendall(splice.rest)  # complete the split line first
                    self.splice = None
                    splice.done.set()
                target.sendall(data)
                if not upward:
                    with self.said:
                        self.downstream.extend(data)
                        self.said.notify_all()
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def hold_or_close(self, client: socket.socket) -> None:
        if self.mode == "hang":
            self.held.append(client)
        else:
            client.close()

    def set_mode(self, mode: str) -> None:
        """"forward" again, or fail as a database does: "refuse" new connections, or "hang"
        (accept them and never answer); live connections are cut either way."""
        self.mode = mode
        if mode != "forward":
            self.cut()
        for client in self.held:
            with contextlib.suppress(OSError):
                client.close()
        self.held.clear()

    def flap(self, refusals: int = 1) -> None:
        """A short outage: live connections cut, the next `refusals` connections refused."""
        self.refusals = refusals
        self.cut()

    def wait_for_server(self, text: bytes, timeout: float = 10.0) -> bool:
        with self.said:
            return self.said.wait_for(lambda: text in self.downstream, timeout)

    def split_line(self, first: bytes, rest: bytes, marker: bytes) -> Splice:
        """Send half a server line to every client; the other half waits for `marker`."""
        self.splice = Splice(marker, rest)
        for client, _server in self.pairs:
            client.sendall(first)
        return self.splice

    def cut(self) -> None:
        """Drop every live connection, as a network failure would."""
        for client, server in self.pairs:
            for sock in (client, server):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        self.pairs.clear()

    def close(self) -> None:
        self.cut()
        self.listener.close()
