"""A local Telegram Bot API: `POST /bot<token>/<method>` (JSON, form or multipart) and files.

Answers `{"ok": true, "result": …}` or `{"ok": false, "error_code", "description",
"parameters": {"retry_after": n}}` like the real one; `getFile` + `/file/bot<token>/<path>`
serve files; `getUpdates` long-polls briefly over queued updates. Every call is recorded.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BOT_ID = 7_000_001
MAX_TEXT = 4096
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Atiende", "username": "atiende_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    content_type: str


@dataclass
class FakeTelegram:
    token: str
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, deque[dict[str, Any]]] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    file_downloads: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_message_id: int = 100

    # --- what tests use ------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            for store in (self.calls, self.updates, self.file_downloads):
                store.clear()
            self.failures.clear()
            self.files.clear()
            self.webhook = {}

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        with self.lock:
            return [call.params for call in self.calls if call.method == method]

    def fail_next(self, method: str, status: int, description: str,
                  retry_after: int | None = None) -> None:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        self.failures.setdefault(method, deque()).append(body)

    def add_file(self, data: bytes, path: str) -> str:
        file_id = "AgAC" + secrets.token_hex(12)
        self.files[file_id] = (path, data)
        return file_id

    def queue_update(self, update: dict[str, Any]) -> None:
        with self.lock:
            self.updates.append(update)

    # --- the wire ------------------------------------------------------------------------
    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/bot{token}/{method}", self.method, methods=["GET", "POST"]),
            Route("/file/bot{token}/{path:path}", self.download, methods=["GET"]),
        ])

    async def method(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return JSONResponse({"ok": False, "error_code": 401,
                                 "description": "Unauthorized"}, status_code=401)
        name = request.path_params["method"]
        params = await read_params(request)
        with self.lock:
            self.calls.append(Call(name, params, request.headers.get("content-type", "")))
        queued = self.failures.get(name)
        if queued:
            body = queued.popleft()
            return JSONResponse(body, status_code=body["error_code"])
        handler = getattr(self, f"api_{name}", None)
        if handler is None:
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"},
                                status_code=404)
        result = await handler(params)
        if isinstance(result, JSONResponse):
            return result
        return JSONResponse({"ok": True, "result": result})

    async def download(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        path = request.path_params["path"]
        self.file_downloads.append(path)
        for stored_path, data in self.files.values():
            if stored_path == path:
                return Response(data, media_type="application/octet-stream")
        return Response(status_code=404)

    # --- Bot API methods -----------------------------------------------------------------
    async def api_getMe(self, _params: dict[str, Any]) -> dict[str, Any]:
        return BOT_USER

    async def api_sendMessage(self, params: dict[str, Any]) -> Any:
        text = str(params.get("text", ""))
        if not text:
            return bad_request("Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            return bad_request("Bad Request: message is too long")
        with self.lock:
            self.next_message_id += 1
            message_id = self.next_message_id
        message: dict[str, Any] = {
            "message_id": message_id, "date": int(time.time()), "text": text, "from": BOT_USER,
            "chat": {"id": int(params["chat_id"]), "type": "private"}}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def api_answerCallbackQuery(self, _params: dict[str, Any]) -> bool:
        return True

    async def api_getFile(self, params: dict[str, Any]) -> Any:
        found = self.files.get(str(params.get("file_id")))
        if found is None:
            return bad_request("Bad Request: invalid file_id")
        path, data = found
        return {"file_id": params["file_id"], "file_unique_id": "u" + path, "file_size": len(data),
                "file_path": path}

    async def api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = dict(params)
        return True

    async def api_deleteWebhook(self, _params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    async def api_getWebhookInfo(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                "pending_update_count": 0}

    async def api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long polling: wait up to `timeout` (at most 1 s here) for updates past `offset`."""
        offset = int(params.get("offset") or 0)
        give_up = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
        while True:
            with self.lock:
                ready = [u for u in self.updates if u["update_id"] >= offset]
            if ready or time.monotonic() >= give_up:
                return ready
            await asyncio.sleep(0.02)


def bad_request(description: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error_code": 400, "description": description},
                        status_code=400)


async def read_params(request: Request) -> dict[str, Any]:
    """Bot API parameters from a JSON body, a form or a query; nested values are JSON."""
    content_type = request.headers.get("content-type", "")
    if "application/json" in content_type:
        return dict(await request.json())
    params: dict[str, Any] = dict(request.query_params)
    if "application/x-www-form-urlencoded" in content_type:
        params.update(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
    return {key: decode_nested(value) for key, value in params.items()}


def decode_nested(value: Any) -> Any:
    """Form values carry JSON for arrays, objects and booleans (as the Bot API accepts)."""
    if value in ("true", "false"):
        return value == "true"
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
