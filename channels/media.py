"""Inbound attachments: download with a size cap and keep them in the media folder."""

from __future__ import annotations

import functools
import mimetypes
import re
import ssl
from dataclasses import dataclass
from pathlib import Path

import httpx

from channels.base import AdapterError, Attachment

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
MAX_REDIRECTS = 5


class MediaError(AdapterError):
    """An attachment could not be fetched; the message is kept without its bytes."""


@dataclass(frozen=True)
class MediaStore:
    """Where one channel keeps the attachments it downloaded."""

    folder: Path
    max_bytes: int

    def save(self, message_key: str, name: str, content_type: str, data: bytes) -> Attachment:
        folder = self.folder / safe_name(message_key)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / safe_name(name)
        path.write_bytes(data)
        return Attachment(filename=path.name, content_type=content_type, size=len(data),
                          url=str(path))


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One CA store for every HTTP client we make (each costs time and memory to load)."""
    return httpx.create_ssl_context()


def media_store(data_dir: Path, media_dir: str, channel: str, max_bytes: int) -> MediaStore:
    """The channel's media folder; a relative `media_dir` starts at `data_dir` (the folder of
    config.yaml, as `ChannelContext.data_dir`)."""
    return MediaStore(data_dir / media_dir / channel, max_bytes)


def file_name(index: int, content_type: str, original: str | None = None) -> str:
    """`original` when the sender named the file, else `<index><extension>`."""
    if original:
        return safe_name(original)
    extension = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ".bin"
    return f"{index}{extension}"


def safe_name(name: str) -> str:
    cleaned = SAFE_NAME.sub("_", name).strip("._")
    return cleaned[:120] or "file"


async def download(url: str, auth: tuple[str, str] | None, max_bytes: int,
                   timeout: float) -> tuple[bytes, str]:
    """GET `url` following redirects (Basic auth is not sent to other hosts).

    Returns (bytes, content type); raises MediaError over `max_bytes` or on HTTP errors.
    """
    async with httpx.AsyncClient(auth=auth, follow_redirects=True, timeout=timeout,
                                 max_redirects=MAX_REDIRECTS, verify=tls_context()) as client:
        try:
            async with client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise MediaError(f"media download answered HTTP {response.status_code}")
                check_declared_size(response, max_bytes)
                data = await read_capped(response, max_bytes)
                return data, response.headers.get("content-type", "application/octet-stream")
        except httpx.HTTPError as exc:
            raise MediaError(f"media download failed: {type(exc).__name__}") from None


def check_declared_size(response: httpx.Response, max_bytes: int) -> None:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise MediaError(f"media is {declared} bytes, over the {max_bytes}-byte cap")


async def read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) > max_bytes:
            raise MediaError(f"media is over the {max_bytes}-byte cap")
    return bytes(data)
