"""Signed session cookies (itsdangerous) carrying the agent and a CSRF token for every form."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "atiende_agent"
SALT = "atiende.agent-session"


@dataclass
class WebSession:
    """What the cookie holds: a CSRF token always; the agent once signed in."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    email: str | None = None
    epoch: int = 0
    issued_at: float = 0.0
    fresh: bool = False   # not from the request: the response must set the cookie

    def to_data(self) -> dict[str, Any]:
        return {"c": self.csrf, "e": self.email, "v": self.epoch, "t": self.issued_at}


class SessionCodec:
    """Reads and writes the cookie; `secure` adds the Secure flag (HTTPS deployments).

    `cookie`, `salt` and `path` default to the agents' inbox; the customers' pages
    (bot/web/customer) use their own.
    """

    def __init__(self, key: bytes, max_age: timedelta, secure: bool, cookie: str = COOKIE,
                 salt: str = SALT, path: str = "/agent") -> None:
        self.serializer = URLSafeSerializer(key, salt=salt)
        self.max_age = max_age
        self.secure = secure
        self.cookie = cookie
        self.path = path

    def read(self, request: Request, now: datetime) -> WebSession:
        raw = request.cookies.get(self.cookie)
        if raw:
            try:
                data = self.serializer.loads(raw)
            except BadSignature:
                data = None
            if isinstance(data, dict) and isinstance(data.get("c"), str):
                return self.from_data(data, now)
        return WebSession(fresh=True)

    def from_data(self, data: dict[str, Any], now: datetime) -> WebSession:
        found = WebSession(csrf=data["c"], email=data.get("e"), epoch=int(data.get("v") or 0),
                           issued_at=float(data.get("t") or 0))
        if found.email and now.timestamp() - found.issued_at > self.max_age.total_seconds():
            return WebSession(csrf=found.csrf, fresh=True)  # expired: signed out
        return found

    def write(self, response: Response, web_session: WebSession) -> None:
        response.set_cookie(self.cookie, self.serializer.dumps(web_session.to_data()),
                            max_age=int(self.max_age.total_seconds()), path=self.path,
                            httponly=True, samesite="strict", secure=self.secure)


def signed_in(email: str, epoch: int, now: datetime) -> WebSession:
    """A new session (new CSRF token too) for an agent who just proved who they are."""
    return WebSession(email=email, epoch=epoch, issued_at=now.timestamp(), fresh=True)


def is_valid_csrf(web_session: WebSession, submitted: object) -> bool:
    return isinstance(submitted, str) and hmac.compare_digest(web_session.csrf, submitted)
