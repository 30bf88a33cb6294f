"""Canned responses: a folder of Markdown files (title and lang in front matter), like the KB."""

from __future__ import annotations

import logging
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
            found.append(parse_canned(path))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            log.warning("canned response %s skipped: %s", path, exc)
    return sorted(found, key=lambda c: c.title.lower())


def fill(body: str, name: str | None, number: int | None) -> str:
    """{nombre}/{name} → the customer's name, {ticket} → the ticket number; other text kept."""
    values = {"{nombre}": name or "", "{name}": name or "", "{ticket}": str(number or "")}
    for placeholder, value in values.items():
        body = body.replace(placeholder, value)
    return body
