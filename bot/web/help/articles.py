"""Articles for the web: KB Markdown as sanitised HTML, and the catalogue grouped by tag."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt

from kb.loader import Article

MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "a", "h1", "h2",
                "h3", "h4", "blockquote", "hr", "table", "thead", "tbody", "tr", "th", "td"}


@functools.lru_cache(maxsize=8192)
def to_html(markdown: str) -> str:
    """Markdown → HTML with raw HTML off, then through nh3's allow-list (no script, no
    event handlers, links get rel=noopener noreferrer)."""
    return nh3.clean(MARKDOWN.render(markdown), tags=ALLOWED_TAGS,
                     attributes={"a": {"href", "title"}}, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow")


@dataclass(frozen=True)
class Group:
    name: str
    articles: tuple[Article, ...]


def grouped(articles: Iterable[Article], lang: str, general: str) -> tuple[Group, ...]:
    """The articles in `lang` by their first tag (untagged ones under `general`), A→Z."""
    groups: dict[str, list[Article]] = {}
    for article in articles:
        if article.lang == lang:
            groups.setdefault(article.tags[0] if article.tags else general, []).append(article)
    return tuple(Group(name, tuple(sorted(items, key=lambda a: a.title.lower())))
                 for name, items in sorted(groups.items(), key=lambda kv: kv[0].lower()))
