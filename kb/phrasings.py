"""Add an approved customer phrasing to an article file's `questions:` list, in place."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from kb.loader import Article, KbInvalid, load_kb
from kb.normalize import normalize_text


def find_article(folder: str | Path, article_id: str) -> Article | None:
    """The article with this id in the folder, or None."""
    return next((a for a in load_kb(folder) if a.id == article_id), None)


def _insert_at(lines: list[str]) -> int:
    """The line after the last item of the front matter's `questions:` list."""
    end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    start = next(i for i in range(1, end) if lines[i].rstrip() == "questions:")
    last = start
    for i in range(start + 1, end):
        if lines[i].startswith((" ", "\t", "-")):
            last = i if lines[i].strip() else last
        else:
            break
    return last + 1


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".md.tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, path)


def add_question(folder: str | Path, article_id: str, question: str) -> bool:
    """Append `question` to the article's questions (False when it already has it); the KB is
    reloaded to check the file, and the old text is put back if it no longer loads."""
    article = find_article(folder, article_id)
    if article is None:
        raise KbInvalid([f"{folder}: no article with id '{article_id}'"])
    if normalize_text(question) in {normalize_text(q) for q in article.questions}:
        return False
    path = Path(article.source)
    before = path.read_text(encoding="utf-8")
    lines = before.splitlines()
    if "questions:" not in (line.rstrip() for line in lines):
        raise KbInvalid([f"{path}: write 'questions:' as a list, one '- ' item per line"])
    at = _insert_at(lines)
    lines.insert(at, f"  - {json.dumps(question.strip(), ensure_ascii=False)}")
    _write_atomically(path, "\n".join(lines) + "\n")
    try:
        load_kb(folder)
    except KbInvalid:
        _write_atomically(path, before)
        raise
    return True
