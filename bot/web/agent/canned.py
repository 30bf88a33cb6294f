"""Canned responses: a folder of Markdown files (title and lang in front matter), like the KB."""

from __future__ import annotations

import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

log = logging.getLogger(__name__)
FENCE = "---"


@dataclass(frozen=True)
class Canned:
    id: str          # the file name without .md
    title: str
    lang: str        # es | en | "" (any)
    body: str


def parse_canned(path: Path) -> Canned:
    """One file; a file without a closed front matter block is its own body."""
    text = path.read_text(encoding="utf-8")
    meta: dict[str, object] = {}
    body = text
    if text.startswith(FENCE):
        head, fence, rest = text[len(FENCE):].partition(f"\n{FENCE}")
        if fence:
            loaded = yaml.safe_load(head) or {}
            meta = loaded if isinstance(loaded, dict) else {}
            body = rest.lstrip("\n")
    return Canned(id=path.stem, title=str(meta.get("title") or path.stem),
                  lang=str(meta.get("lang") or ""), body=body.strip())


def load_canned(folder: Path) -> list[Canned]:
    """Every *.md in the folder, by title; a missing folder means none (logged once per call)."""
    if not folder.is_dir():
        log.info("no canned responses: folder %s does not exist", folder)
        return []
    found = []
    for path in sorted(folder.glob("*.md")):
        try:
            found.append(cached_canned(path))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            log.warning("canned response %s skipped: %s", path, exc)
    return sorted(found, key=lambda c: c.title.lower())


PARSED: dict[Path, tuple[tuple[int, int], Canned]] = {}


def cached_canned(path: Path) -> Canned:
    """parse_canned, done again only when the file's mtime or size changed (every conversation
    page lists the folder; parsing its YAML each time cost more than the thread's queries)."""
    info = path.stat()
    key = (info.st_mtime_ns, info.st_size)
    hit = PARSED.get(path)
    if hit is not None and hit[0] == key:
        return hit[1]
    canned = parse_canned(path)
    PARSED[path] = (key, canned)
    return canned


def fill(body: str, name: str | None, number: int | None) -> str:
    """{nombre}/{name} → the customer's name, {ticket} → the ticket number; other text kept."""
    values = {"{nombre}": name or "", "{name}": name or "", "{ticket}": str(number or "")}
    for placeholder, value in values.items():
        body = body.replace(placeholder, value)
    return body


CANNED_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_TITLE = 120
MAX_BODY = 5000
LANGS = ("", "es", "en")


class CannedError(ValueError):
    """A canned response that cannot be saved; the message is a words key."""


def check_canned(canned: Canned) -> None:
    """The file name, title, language and body a supervisor typed, or CannedError."""
    if not CANNED_ID.match(canned.id) or canned.id == "new":
        raise CannedError("canned_bad_id")
    if not canned.title.strip() or len(canned.title) > MAX_TITLE or "\n" in canned.title:
        raise CannedError("canned_bad_title")
    if canned.lang not in LANGS:
        raise CannedError("canned_bad_lang")
    if not canned.body.strip() or len(canned.body) > MAX_BODY:
        raise CannedError("canned_bad_body")


def find_canned(folder: Path, canned_id: str) -> Canned | None:
    path = folder / f"{canned_id}.md"
    if not CANNED_ID.match(canned_id) or not path.is_file():
        return None
    return parse_canned(path)


def save_canned(folder: Path, canned: Canned, *, new: bool) -> None:
    """Write `<id>.md` (front matter + body) atomically; a new one must not exist yet."""
    check_canned(canned)
    path = folder / f"{canned.id}.md"
    if new and path.exists():
        raise CannedError("canned_exists")
    if not new and not path.is_file():
        raise CannedError("canned_missing")
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"title": canned.title.strip(), **({"lang": canned.lang} if canned.lang else {})}
    text = (f"{FENCE}\n{yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)}{FENCE}\n"
            f"{canned.body.strip()}\n")
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, suffix=".tmp",
                                     delete=False) as handle:
        handle.write(text)
    os.replace(handle.name, path)
    PARSED.pop(path, None)


def delete_canned(folder: Path, canned_id: str) -> bool:
    path = folder / f"{canned_id}.md"
    if not CANNED_ID.match(canned_id) or not path.is_file():
        return False
    path.unlink()
    PARSED.pop(path, None)
    return True
