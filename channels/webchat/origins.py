"""Which sites may call the widget's API: the allow-list, the server's own origin, CORS headers."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.requests import Request

from channels.base import InvalidWebhook

ALLOW_HEADERS = "content-type, x-atiende-visitor"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class Origins:
    """The allow-list (`channels.web.allowed_origins`) plus the server's own origin."""

    def __init__(self, allowed: Iterable[str], public_url: str) -> None:
        listed = {origin.rstrip("/").lower() for origin in allowed}
        self.any = "*" in listed
        self.allowed = (listed - {"*"}) | {origin_of(public_url)}

    def permits(self, origin: str, request: Request) -> bool:
        origin = origin.lower()
        return self.any or origin in self.allowed or origin == origin_of(str(request.base_url))

    def check(self, request: Request) -> str | None:
        """The calling page's origin when it is allowed (None: not a browser's cross-site call);
        InvalidWebhook(403) naming the setting otherwise."""
        origin = request.headers.get("origin")
        if origin is None or (origin == "null" and self.any):
            return None
        if not self.permits(origin, request):
            raise InvalidWebhook(f"origin {origin} is not in channels.web.allowed_origins",
                                 status=403)
        return origin

    def headers(self, origin: str | None) -> dict[str, str]:
        if origin is None:
            return {}
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Max-Age": "600"}
