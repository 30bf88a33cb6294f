"""A throwaway Dovecot IMAP server: own config in a temp dir, loopback port, plaintext login."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers.ports import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
START_TIMEOUT = 10.0
PASSWORD = "secreto"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = atiende-{port}
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = 0
mail_location = maildir:{root}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def is_installed() -> bool:
    return Path(DOVECOT).exists()


def process_users() -> dict[str, str | int]:
    """Dovecot's own users when we are root (it refuses root for logins); ourselves otherwise."""
    me = pwd.getpwuid(os.getuid())
    if os.getuid() == 0:
        mail = pwd.getpwnam("nobody")
        return {"login_user": "dovenull", "internal_user": "dovecot",
                "internal_group": "dovecot", "uid": mail.pw_uid, "gid": mail.pw_gid}
    return {"login_user": me.pw_name, "internal_user": me.pw_name,
            "internal_group": me.pw_name, "uid": me.pw_uid, "gid": me.pw_gid}


@dataclass
class DovecotServer:
    """One Dovecot instance running in the foreground as our child process."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="atiende-dovecot-")))
    port: int = field(default_factory=free_port)
    password: str = PASSWORD
    process: subprocess.Popen[bytes] | None = None

    @property
    def config_path(self) -> Path:
        return self.root / "dovecot.conf"

    def write_config(self) -> None:
        self.root.chmod(0o755)  # the login and auth processes run as other users
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(exist_ok=True)
        users = process_users()
        os.chown(self.root / "mail", int(users["uid"]), int(users["gid"]))
        self.config_path.write_text(CONFIG.format(root=self.root, port=self.port,
                                                  password=self.password, **users))

    def start(self) -> DovecotServer:
        self.write_config()
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.config_path)],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.wait_until_listening()
        return self

    def wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    if sock.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.02)  # the server is starting; poll its port
        raise RuntimeError(f"dovecot did not listen on {self.port}: {self.output()}")

    def output(self) -> str:
        log = self.root / "dovecot.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
