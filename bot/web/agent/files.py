"""GET /agent/attachments/{id}: a file a customer attached on the web, for signed-in agents."""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.store.models import WebUpload
from bot.web.agent.core import Inbox, endpoint


def read_upload(inbox: Inbox, upload_id: int) -> tuple[str, str, bytes] | None:
    with inbox.runtime.factory() as session:
        upload = session.get(WebUpload, upload_id)
        if upload is None or upload.ticket_id is None:
            return None
        return upload.filename, upload.content_type, upload.data


async def attachment(inbox: Inbox, request: Request) -> Response:
    visitor = await inbox.visitor(request)
    if visitor.agent is None:
        return inbox.to_sign_in(request, visitor)
    found = await run_in_threadpool(read_upload, inbox, request.path_params["upload"])
    if found is None:
        return inbox.finish(Response("no such file", 404), visitor)
    return inbox.finish(download(*found), visitor)


def download(name: str, content_type: str, data: bytes) -> Response:
    """A stored file as a download: never rendered inline, never sniffed as another type."""
    return Response(data, media_type=content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox"})


def file_routes(inbox: Inbox) -> list[Route]:
    return [Route("/attachments/{upload:int}", endpoint(attachment, inbox), methods=["GET"])]
