"""Reading a posted form with files: the request size, the number, size and type of files."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from starlette.datastructures import UploadFile
from starlette.requests import Request

from bot.config.customer_web import CustomerWebConfig

TEXT_ALLOWANCE = 256 * 1024   # the form's text fields and multipart framing
MAX_FIELDS = 50


class FormRefused(Exception):
    """A form that cannot be taken; `key` and `values` name the reason shown to the customer."""

    def __init__(self, key: str, status: int = 400, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.status = status
        self.values = values


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


def size_label(config: CustomerWebConfig) -> str:
    """The per-file limit for people: '5 MB', '200 KB'."""
    size = config.max_attachment_bytes
    return f"{size / 1_048_576:.3g} MB" if size >= 1_048_576 else f"{size / 1024:.0f} KB"


def too_large(config: CustomerWebConfig) -> FormRefused:
    return FormRefused("too_large", 413, n=config.max_attachments, size=size_label(config))


async def read_form(request: Request, config: CustomerWebConfig,
                    ) -> tuple[dict[str, str], list[Upload]]:
    """The text fields and the files; FormRefused (413 or 400) before anything is stored."""
    limit = config.max_attachments * config.max_attachment_bytes + TEXT_ALLOWANCE
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(config)
    form = await request.form(max_files=max(config.max_attachments, 1) * 4,
                              max_fields=MAX_FIELDS)
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    files = [item for item in form.getlist("attachments")
             if isinstance(item, UploadFile) and item.filename]
    if len(files) > config.max_attachments:
        raise FormRefused("too_many_files", n=config.max_attachments)
    return fields, [await checked(item, config) for item in files]


async def checked(item: UploadFile, config: CustomerWebConfig) -> Upload:
    name = clean_name(item.filename or "file")
    data = await item.read(config.max_attachment_bytes + 1)
    if len(data) > config.max_attachment_bytes:
        raise FormRefused("file_too_large", 413, name=name, size=size_label(config))
    declared = (item.content_type or "").split(";")[0].strip().lower()
    guessed = mimetypes.guess_type(name)[0]
    if declared not in config.attachment_types or guessed != declared:
        raise FormRefused("bad_type", 415, name=name, types=", ".join(config.attachment_types))
    return Upload(name, declared, data)


def clean_name(name: str) -> str:
    """The file's own name (no folders, no control characters), at most 200 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable()).strip()[:200] or "file"
