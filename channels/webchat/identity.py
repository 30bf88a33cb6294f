"""The visitor's identity: a random id in a token signed with the server's secret key.

The widget keeps the token in the page's localStorage (a cookie on another site's page would
be a third-party cookie, which browsers block) and sends it with every call, so a reload or a
new tab on the same site finds the same conversation. The address is `web:<id>`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from channels.base import InvalidWebhook

CHANNEL = "web"
SALT = "atiende-webchat-visitor"
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_TOKEN_CHARS = 300
MAX_CHECKED = 50_000   # tokens remembered as checked (then forgotten all at once)


class ClockSigner(TimestampSigner):
    """itsdangerous's timestamp signer reading the injected clock instead of `time.time()`."""

    def __init__(self, *args: Any, now: Callable[[], datetime], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now

    def get_timestamp(self) -> int:
        return int(self.now().timestamp())


class VisitorTokens:
    """Issue and check visitor tokens; a token older than `max_days` (by the injected clock,
    both when it is issued and when it is checked) is refused. A token checked once is
    remembered with its date (every call of a visitor carries it): later calls only compare
    the age, without decoding and verifying the signature again."""

    def __init__(self, secret_key: bytes, max_days: int, now: Callable[[], datetime]) -> None:
        self.serializer = URLSafeTimedSerializer(secret_key, salt=SALT, signer=ClockSigner,
                                                 signer_kwargs={"now": now})
        self.max_age = max_days * 86400
        self.now = now
        self.checked: dict[str, tuple[str, float]] = {}   # token → (address, signed at)

    def issue(self) -> tuple[str, str]:
        """A new visitor: (token, address)."""
        visitor = secrets.token_urlsafe(18)
        return self.serializer.dumps(visitor), address_of(visitor)

    def address(self, token: str | None) -> str:
        """The `web:<id>` address a token stands for; InvalidWebhook(401) when it is not ours."""
        if not token:
            raise InvalidWebhook("missing visitor token: call POST /widget/api/session first",
                                 status=401)
        known = self.checked.get(token)
        if known is None:
            known = self.check(token)
        elif self.now().timestamp() - known[1] > self.max_age:
            del self.checked[token]
            raise expired()
        return known[0]

    def check(self, token: str) -> tuple[str, float]:
        if len(token) > MAX_TOKEN_CHARS:
            raise InvalidWebhook("visitor token is too long", status=401)
        try:
            visitor, signed = self.serializer.loads(token, max_age=self.max_age,
                                                    return_timestamp=True)
        except SignatureExpired:
            raise expired() from None
        except BadSignature:
            raise InvalidWebhook("visitor token is invalid or expired", status=401) from None
        if not isinstance(visitor, str) or not VISITOR_ID.match(visitor):
            raise InvalidWebhook("visitor token is invalid", status=401)
        if len(self.checked) >= MAX_CHECKED:
            self.checked.clear()
        self.checked[token] = known = (address_of(visitor), signed.timestamp())
        return known


def expired() -> InvalidWebhook:
    return InvalidWebhook("visitor token has expired: call POST /widget/api/session for a new "
                          "one", status=401)


def address_of(visitor: str) -> str:
    return f"{CHANNEL}:{visitor}"
