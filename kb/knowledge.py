"""Open a knowledge-base folder as a ready index: articles, words and (when installed) meaning."""

from __future__ import annotations

from pathlib import Path

from kb.encoder import load_encoder
from kb.loader import Article, load_kb
from kb.matcher import KbIndex, build_index
from kb.vectors import build_vectors, default_cache_path


def index_articles(articles: list[Article], cache: Path | None,
                   use_meaning: bool = True) -> KbIndex:
    """The index over `articles`; the meaning signal is left out when no encoder is installed."""
    encoder = load_encoder() if use_meaning else None
    vectors = build_vectors(articles, encoder, cache) if encoder is not None else None
    return build_index(articles, vectors)


def open_index(folder: str | Path, use_meaning: bool = True) -> KbIndex:
    """Load the folder's articles and index them, the vectors cached beside the articles."""
    return index_articles(load_kb(folder), default_cache_path(folder), use_meaning)
