"""Load and check a knowledge-base folder of Markdown articles with YAML front matter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kb.gc_pause import gc_paused

LANGS = ("es", "en")
REQUIRED = ("id", "lang", "title", "questions")
_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FENCE = "---"
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KbInvalid(ValueError):
    """The knowledge base folder has problems; `problems` lists each with file and line."""

    def __init__(self, problems: list) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the knowledge base")


@dataclass(frozen=True)
class Article:
    """One knowledge-base article; `body` is the answer the bot sends."""

    id: str
    lang: str
    title: str
    questions: tuple[str, ...]
    tags: tuple[str, ...]
    body: str
    source: str


@dataclass(frozen=True)
class KbProblem:
    """One problem found in the knowledge base, with the file and line to fix."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class _Parsed:
    """A file's front matter, the line of each key, and the body."""

    meta: dict[str, Any]
    key_lines: dict[str, int]
    body: str
    body_line: int


class _FileError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _split_front_matter(text: str) -> tuple[str, str, int]:
    """(front matter, body, line number where the body starts); raises _FileError."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != _FENCE:
        raise _FileError(1, "missing front matter: the file must start with a '---' line")
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == _FENCE:
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    raise _FileError(1, "front matter is not closed by a '---' line")


def _parse_yaml(front: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The front matter mapping and the file line of each top-level key."""
    loader = _YamlLoader(front)
    try:
        node = loader.get_single_node()
        meta = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _FileError(line, f"bad YAML front matter: {reason}") from None
    finally:
        loader.dispose()
    if not isinstance(meta, dict) or not isinstance(node, yaml.MappingNode):
        raise _FileError(2, "front matter must be a YAML mapping of keys to values")
    key_lines = {str(k.value): k.start_mark.line + 2 for k, _ in node.value}
    return meta, key_lines


def _parse_file(path: Path) -> _Parsed:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _FileError(1, "file is not valid UTF-8") from None
    front, body, body_line = _split_front_matter(text)
    meta, key_lines = _parse_yaml(front)
    return _Parsed(meta, key_lines, body.strip(), body_line)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_text_list(value: Any, allow_empty: bool = False) -> bool:
    return isinstance(value, list) and (allow_empty or bool(value)) and all(map(_is_text, value))


def _field_problems(parsed: _Parsed) -> list[tuple[int, str]]:
    """(line, message) for every bad or missing field of one parsed file."""
    meta, line_of = parsed.meta, parsed.key_lines.get
    found = [(1, f"missing field '{key}'") for key in REQUIRED if key not in meta]
    checks = [
        ("id", lambda v: isinstance(v, str) and bool(_KEBAB.match(v)),
         "bad id: use kebab-case (lowercase letters, digits and '-')"),
        ("lang", lambda v: v in LANGS, "bad lang: use es or en"),
        ("title", _is_text, "title must be non-empty text"),
        ("questions", _is_text_list, "questions must be a non-empty list of strings"),
        ("tags", lambda v: _is_text_list(v, allow_empty=True), "tags must be a list of strings"),
    ]
    found += [(line_of(k, 1), msg) for k, ok, msg in checks if k in meta and not ok(meta[k])]
    if not parsed.body:
        found.append((parsed.body_line, "empty answer: write the answer below the front matter"))
    return found


def _to_article(parsed: _Parsed, source: str) -> Article:
    meta = parsed.meta
    return Article(
        id=meta["id"],
        lang=meta["lang"],
        title=meta["title"].strip(),
        questions=tuple(q.strip() for q in meta["questions"]),
        tags=tuple(t.strip() for t in meta.get("tags") or ()),
        body=parsed.body,
        source=source,
    )


def _duplicate(parsed: _Parsed, path: Path, seen: dict[str, str]) -> KbProblem | None:
    """A problem when this file's id was already used; otherwise remember where it is."""
    article_id = parsed.meta.get("id")
    if not isinstance(article_id, str):
        return None
    line = parsed.key_lines.get("id", 1)
    if article_id in seen:
        message = f"duplicate id '{article_id}' (also in {seen[article_id]})"
        return KbProblem(str(path), line, message)
    seen[article_id] = f"{path}:{line}"
    return None


def _scan(folder: Path) -> tuple[list[Article], list[KbProblem]]:
    """Every article that parses cleanly, and every problem found, file by file."""
    articles: list[Article] = []
    problems: list[KbProblem] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.md")):
        try:
            parsed = _parse_file(path)
        except _FileError as err:
            problems.append(KbProblem(str(path), err.line, err.message))
            continue
        found = [KbProblem(str(path), line, msg) for line, msg in _field_problems(parsed)]
        duplicate = _duplicate(parsed, path, seen)
        problems += found + ([duplicate] if duplicate else [])
        if not found and not duplicate:
            articles.append(_to_article(parsed, str(path)))
    return articles, problems


def _check_folder(folder: Path) -> list[KbProblem]:
    if not folder.is_dir():
        return [KbProblem(str(folder), 0, "knowledge-base folder not found")]
    if not any(folder.glob("*.md")):
        return [KbProblem(str(folder), 0, "no articles: the folder has no *.md files")]
    return []


def check_kb(path: str | Path) -> list[KbProblem]:
    """Every problem in the knowledge-base folder at `path`; empty when it loads cleanly."""
    folder = Path(path)
    problems = _check_folder(folder)
    return problems or _scan(folder)[1]


def load_kb(path: str | Path) -> list[Article]:
    """The articles in the folder at `path`; raises KbInvalid listing every problem."""
    folder = Path(path)
    problems = _check_folder(folder)
    if problems:
        raise KbInvalid(problems)
    with gc_paused():
        articles, problems = _scan(folder)
    if problems:
        raise KbInvalid(problems)
    return articles
