"""The Twilio REST client for sending, imported on the first send (it brings aiohttp along)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any

import aiohttp
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from channels.whatsapp.throttle import Throttled, parse_retry_after

REQUEST_TIMEOUT = 15.0
NETWORK_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientError, TimeoutError, OSError)


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


class ThrottleAwareHttpClient(AsyncTwilioHttpClient):
    """Twilio's aiohttp client, raising `Throttled` with Retry-After on HTTP 429."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        super().__init__(timeout=REQUEST_TIMEOUT)
        self.now = now

    async def request(self, method: str, url: str, params: Any = None, data: Any = None,
                      headers: dict[str, str] | None = None, auth: tuple[str, str] | None = None,
                      timeout: float | None = None, allow_redirects: bool = False) -> Any:
        headers = dict(headers or {})
        if auth is not None:  # as a header: aiohttp deprecates its BasicAuth helper
            headers["Authorization"] = basic_auth(*auth)
        response = await super().request(method, url, params=params, data=data,
                                         headers=headers, timeout=timeout,
                                         allow_redirects=allow_redirects)
        if response.status_code == 429:
            raise Throttled(parse_retry_after(response.headers.get("Retry-After"), self.now()))
        return response


def make_client(account_sid: str, auth_token: str, api_base_url: str,
                now: Callable[[], datetime]) -> Client:
    """`twilio.rest.Client` whose Messages API lives at `api_base_url` (from config)."""
    client = Client(account_sid, auth_token, http_client=ThrottleAwareHttpClient(now),
                    environment={})
    client.api.base_url = api_base_url.rstrip("/")
    return client
