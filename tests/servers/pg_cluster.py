"""A private PostgreSQL cluster for restart tests: Debian's initdb and pg_ctl run as the
`postgres` user in a throwaway folder, on a free loopback port, so a test can really stop,
start or restart the database without touching the shared server on 5432."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.conftest import need_service
from tests.servers.ports import free_port

BIN = Path(os.environ.get("ATIENDE_PG_BIN", "/usr/lib/postgresql/15/bin"))
OWNER = "postgres"
SETTINGS = ("-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c shared_buffers=32MB -c max_connections=200")


def missing() -> str | None:
    """What this machine lacks for a private cluster, or None."""
    for tool in ("initdb", "pg_ctl"):
        if not (BIN / tool).exists():
            return f"{BIN / tool} (PostgreSQL server binaries)"
    if shutil.which("runuser") is None and os.geteuid() == 0:
        return "runuser (to run PostgreSQL as a user other than root)"
    return None


class PgCluster:
    """One data folder, one port; `stop` / `start` / `restart` as an operator would."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="atiende-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.stops: list[float] = []    # monotonic times the server went down ...
        self.starts: list[float] = []   # ... and came back (pg_ctl returned)
        if os.geteuid() == 0:
            shutil.chown(self.folder, OWNER, OWNER)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, *args: str, timeout: float = 120) -> None:
        command = [str(BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", OWNER, "--", *command]
        done = subprocess.run(command, cwd=self.folder, capture_output=True, text=True,
                              timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr or done.stdout}\n"
                               f"{self.server_log()}")

    def init(self) -> PgCluster:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                 "-E", "UTF8", "--no-sync", "--locale=C.UTF-8")
        return self.start()

    def ctl(self, *args: str) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"),
                 "-w", "-t", "60", *args)

    def start(self) -> PgCluster:
        self.ctl("-o", f"-p {self.port} -k {self.folder} {SETTINGS}", "start")
        self.starts.append(time.monotonic())
        return self

    def stop(self, mode: str = "fast") -> None:
        self.ctl("-m", mode, "stop")
        self.stops.append(time.monotonic())

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def server_log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with suppress(RuntimeError):
                self.ctl("-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def private_cluster() -> Iterator[PgCluster]:
    """A fresh cluster, removed afterwards; missing binaries skip (fail with CI=true)."""
    lack = missing()
    if lack is not None:
        need_service(lack)
    cluster = PgCluster()
    try:
        yield cluster.init()
    finally:
        cluster.remove()
