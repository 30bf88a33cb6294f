"""A local Twilio: the Messages REST API (form posts, Basic auth, JSON) and media with redirects.

Speaks the wire format our code meets in production: `POST /2010-04-01/Accounts/{sid}/
Messages.json` answers 201 with the message resource, 4xx with Twilio's error JSON, 429 with
Retry-After; media URLs need Basic auth and redirect to a CDN host (here: `localhost`).
Every request is recorded so tests can assert on what we sent.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

MAX_BODY = 1600
API = "/2010-04-01/Accounts/{account}"


@dataclass
class Recorded:
    method: str
    path: str
    form: dict[str, list[str]]
    headers: dict[str, str]
    outcome: str

    def one(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values else None


@dataclass
class Failure:
    status: int
    code: int
    message: str
    retry_after: str | None = None


@dataclass
class FakeTwilio:
    account_sid: str
    auth_token: str
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    failures: deque[Failure] = field(default_factory=deque)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    stalled: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    created: list[dict[str, Any]] = field(default_factory=list)   # message resources, in order
    # called with each accepted message's resource before the 201 goes out (a test may kill
    # the sender there: Twilio took the message, the sender never hears so)
    on_accept: Callable[[dict[str, Any]], None] | None = None

    # --- what tests use ------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.failures.clear()
            self.media.clear()
            self.stalled.clear()
            self.created.clear()
            self.on_accept = None

    @property
    def messages(self) -> list[Recorded]:
        """Messages we accepted (201), in order."""
        with self.lock:
            return [r for r in self.requests if r.path.endswith("/Messages.json")
                    and r.outcome == "201"]

    def fail_next(self, status: int, code: int, message: str,
                  retry_after: str | None = None) -> None:
        self.failures.append(Failure(status, code, message, retry_after))

    def add_media(self, message_sid: str, data: bytes, content_type: str,
                  stalled: bool = False) -> str:
        """A media URL as Twilio puts it in MediaUrl{N} (needs Basic auth, redirects).

        `stalled`: the CDN never answers (until the client gives up), like a stuck download.
        """
        media_sid = "ME" + secrets.token_hex(16)
        self.media[media_sid] = (data, content_type)
        if stalled:
            self.stalled.add(media_sid)
        return f"{self.url}{API.format(account=self.account_sid)}/Messages/{message_sid}" \
               f"/Media/{media_sid}"

    def cdn_requests(self) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith("/cdn/")]

    # --- the wire ------------------------------------------------------------------------
    def app(self) -> Starlette:
        base = API.format(account="{account}")
        return Starlette(routes=[
            Route(f"{base}/Messages.json", self.create_message, methods=["POST"]),
            Route(f"{base}/Messages.json", self.list_messages, methods=["GET"]),
            Route(f"{base}/Messages/{{message}}/Media/{{media}}", self.media_item,
                  methods=["GET"]),
            Route("/cdn/{media}", self.cdn, methods=["GET"]),
            Route("/_fake/stats", self.stats, methods=["GET"]),
        ])

    async def record(self, request: Request, outcome: str) -> Recorded:
        form: dict[str, list[str]] = {}
        if request.method == "POST":
            body = (await request.body()).decode("utf-8")
            for key, value in parse_qsl(body, keep_blank_values=True):
                form.setdefault(key, []).append(value)
        headers = {k.lower(): v for k, v in request.headers.items()}
        recorded = Recorded(request.method, request.url.path, form, headers, outcome)
        with self.lock:
            self.requests.append(recorded)
        return recorded

    def is_authorised(self, request: Request, account: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return (account == self.account_sid
                and request.headers.get("authorization") == f"Basic {expected}")

    async def create_message(self, request: Request) -> Response:
        account = request.path_params["account"]
        if not self.is_authorised(request, account):
            await self.record(request, "401")
            return error(401, 20003, "Authenticate")
        if self.failures:
            failure = self.failures.popleft()
            await self.record(request, str(failure.status))
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            return error(failure.status, failure.code, failure.message, headers)
        recorded = await self.record(request, "pending")
        problem = check_message(recorded)
        if problem is not None:
            recorded.outcome = "400"
            return error(400, *problem)
        recorded.outcome = "201"
        resource = message_resource(account, recorded)
        with self.lock:
            self.created.append(resource)
        if self.on_accept is not None:
            self.on_accept(resource)
        return JSONResponse(resource, status_code=201)

    async def list_messages(self, request: Request) -> Response:
        """Twilio's Messages list: filtered by To and From, newest first, one page."""
        account = request.path_params["account"]
        await self.record(request, "list")
        if not self.is_authorised(request, account):
            return error(401, 20003, "Authenticate")
        query = request.query_params
        size = min(int(query.get("PageSize", "50")), 1000)
        with self.lock:
            found = [m for m in reversed(self.created)
                     if query.get("To") in (None, m["to"])
                     and query.get("From") in (None, m["from"])][:size]
        uri = f"{API.format(account=account)}/Messages.json"
        return JSONResponse({"messages": found, "end": max(len(found) - 1, 0),
                             "first_page_uri": uri, "next_page_uri": None, "page": 0,
                             "page_size": size, "previous_page_uri": None, "start": 0,
                             "uri": uri})

    async def media_item(self, request: Request) -> Response:
        await self.record(request, "media")
        if not self.is_authorised(request, request.path_params["account"]):
            return error(401, 20003, "Authenticate")
        media_sid = request.path_params["media"]
        if media_sid not in self.media:
            return error(404, 20404, "The requested resource was not found")
        cdn = self.url.replace("127.0.0.1", "localhost")
        return RedirectResponse(f"{cdn}/cdn/{media_sid}", status_code=307)

    async def cdn(self, request: Request) -> Response:
        await self.record(request, "cdn")
        if request.path_params["media"] in self.stalled:
            while not await request.is_disconnected():
                await asyncio.sleep(0.05)   # hold the response until the client hangs up
            return Response(status_code=499)
        found = self.media.get(request.path_params["media"])
        if found is None:
            return Response(status_code=404)
        return Response(found[0], media_type=found[1])

    async def stats(self, _request: Request) -> Response:
        return JSONResponse({"messages": len(self.messages)})


def error(status: int, code: int, message: str,
          headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"code": code, "message": message, "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}"}
    return JSONResponse(body, status_code=status, headers=headers)


def check_message(request: Recorded) -> tuple[int, str] | None:
    """Twilio's own checks on a Messages create, with its error codes."""
    to, sender = request.one("To"), request.one("From")
    body, content = request.one("Body"), request.one("ContentSid")
    if not to:
        return 21604, "A 'To' phone number is required."
    if not sender and not request.one("MessagingServiceSid"):
        return 21603, "A 'From' phone number is required."
    if not body and not content and not request.one("MediaUrl"):
        return 21619, "A text message body or media url must be specified."
    if body and len(body) > MAX_BODY:
        return 21617, "The concatenated message body exceeds the 1600 character limit."
    variables = request.one("ContentVariables")
    if variables is not None:
        try:
            json.loads(variables)
        except ValueError:
            return 21656, "The ContentVariables Parameter is invalid."
    return None


def message_resource(account: str, request: Recorded) -> dict[str, Any]:
    sid = "SM" + secrets.token_hex(16)
    now = format_datetime(datetime.now(UTC), usegmt=True)
    return {
        "account_sid": account, "api_version": "2010-04-01", "body": request.one("Body") or "",
        "date_created": now, "date_sent": None, "date_updated": now,
        "direction": "outbound-api", "error_code": None, "error_message": None,
        "from": request.one("From"), "messaging_service_sid": None, "num_media": "0",
        "num_segments": "1", "price": None, "price_unit": None, "sid": sid, "status": "queued",
        "subresource_uris": {"media": f"{API.format(account=account)}/Messages/{sid}/Media.json"},
        "to": request.one("To"), "uri": f"{API.format(account=account)}/Messages/{sid}.json",
    }
