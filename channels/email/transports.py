"""How outgoing mail leaves: through an SMTP relay, or as .eml files in a folder (development)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import aiosmtplib

from channels.base import DeliveryError

log = logging.getLogger(__name__)
PASSWORD_ENV = "SMTP_PASSWORD"
CHECK_SECONDS = 5.0


class MailTransport(Protocol):
    """Hands one composed mail on; raises DeliveryError (transient or not) when it cannot."""

    def describe(self) -> str: ...
    async def send(self, mime: EmailMessage, sender: str, recipient: str) -> None: ...
    async def check(self) -> str | None: ...   # None when usable, else why not
    def health(self) -> str: ...               # "ok" or "degraded: <why>"


class SmtpTransport:
    """The relay in `smtp_outbound` (host, port, username, starttls, ssl, timeout_seconds)."""

    def __init__(self, host: str, port: int, username: str | None, starttls: bool, ssl: bool,
                 timeout: float) -> None:
        self.host, self.port, self.username = host, port, username
        self.starttls, self.ssl, self.timeout = starttls, ssl, timeout
        self.problem: str | None = None   # the last connection failure, until a send works

    def describe(self) -> str:
        return f"SMTP relay {self.host}:{self.port}"

    def health(self) -> str:
        return f"degraded: {self.problem}" if self.problem else "ok"

    async def check(self) -> str | None:
        """Connect and greet the relay once (no mail is sent)."""
        client = aiosmtplib.SMTP(hostname=self.host, port=self.port, use_tls=self.ssl,
                                 timeout=min(self.timeout, CHECK_SECONDS))
        try:
            await client.connect()
            await client.quit()
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            self.problem = f"{self.describe()} unreachable ({exc})"
            return self.problem
        self.problem = None
        return None

    async def send(self, mime: EmailMessage, sender: str, recipient: str) -> None:
        try:
            await aiosmtplib.send(
                mime, sender=sender, recipients=[recipient], hostname=self.host, port=self.port,
                username=self.username,
                password=os.environ.get(PASSWORD_ENV) if self.username else None,
                use_tls=self.ssl, start_tls=self.starttls, timeout=self.timeout)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            transient = all(refused.code < 500 for refused in exc.recipients)
            raise DeliveryError(f"recipient refused: {exc}", transient=transient) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.code}: {exc.message}",
                                transient=exc.code < 500) from exc
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            self.problem = f"{self.describe()} unreachable ({exc})"
            raise DeliveryError(f"SMTP relay unreachable: {exc}", transient=True) from exc
        self.problem = None


class FolderTransport:
    """Development: every outgoing mail becomes one `.eml` file in `folder` (open it with any
    mail client); nothing leaves the machine."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def describe(self) -> str:
        return f".eml files in {self.folder}"

    def health(self) -> str:
        return "ok"

    async def check(self) -> str | None:
        try:
            await asyncio.to_thread(self.folder.mkdir, parents=True, exist_ok=True)
        except OSError as exc:
            return f"cannot create {self.folder}: {exc}"
        return None

    async def send(self, mime: EmailMessage, sender: str, recipient: str) -> None:
        try:
            await asyncio.to_thread(self.write, mime, sender, recipient)
        except OSError as exc:
            raise DeliveryError(f"cannot write to {self.folder}: {exc}", transient=True) from exc

    def write(self, mime: EmailMessage, sender: str, recipient: str) -> Path:
        """Written under a temporary name, then renamed: a reader never sees half a mail."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        envelope = f"X-Atiende-Envelope: from <{sender}> to <{recipient}>\r\n".encode()
        partial = self.folder / f".{name}.part"
        partial.write_bytes(envelope + mime.as_bytes())
        return partial.replace(self.folder / name)
