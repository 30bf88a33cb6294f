"""The visitor's identity: a random id in a token signed with the server's secret key.

The widget keeps the token in the page's localStorage (a cookie on another site's page would
be a third-party cookie, which browsers block) and sends it with every call, so a reload or a
new tab on the same site finds the same conversation. The address is `web:<id>`.
"""

from __future__ import annotations

import re
import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

from channels.base import InvalidWebhook

CHANNEL = "web"
SALT = "atiende-webchat-visitor"
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_TOKEN_CHARS = 300


class VisitorTokens:
    """Issue and check visitor tokens; a token older than `max_days` is refused."""

    def __init__(self, secret_key: bytes, max_days: int) -> None:
        self.serializer = URLSafeTimedSerializer(secret_key, salt=SALT)
        self.max_age = max_days * 86400

    def issue(self) -> tuple[str, str]:
        """A new visitor: (token, address)."""
        visitor = secrets.token_urlsafe(18)
        return self.serializer.dumps(visitor), address_of(visitor)

    def address(self, token: str | None) -> str:
        """The `web:<id>` address a token stands for; InvalidWebhook(401) when it is not ours."""
        if not token:
            raise InvalidWebhook("missing visitor token: call POST /widget/api/session first",
                                 status=401)
        if len(token) > MAX_TOKEN_CHARS:
            raise InvalidWebhook("visitor token is too long", status=401)
        try:
            visitor = self.serializer.loads(token, max_age=self.max_age)
        except BadSignature:
            raise InvalidWebhook("visitor token is invalid or expired", status=401) from None
        if not isinstance(visitor, str) or not VISITOR_ID.match(visitor):
            raise InvalidWebhook("visitor token is invalid", status=401)
        return address_of(visitor)


def address_of(visitor: str) -> str:
    return f"{CHANNEL}:{visitor}"
