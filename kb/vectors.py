"""Article meaning vectors, encoded once and cached on disk by content hash."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy

from kb.encoder import Encoder
from kb.loader import Article
from kb.normalize import split_sentences

log = logging.getLogger(__name__)

CACHE_NAME = ".atiende-vectors.npz"
BODY_SENTENCES = 3


@dataclass(frozen=True)
class ArticleVectors:
    """One row per phrasing (title, questions, answer lead); each article's rows are
    contiguous."""

    encoder: Encoder
    matrix: numpy.ndarray   # (phrasings, d) float32, L2-normalised
    starts: numpy.ndarray   # first row of each article, in article order

    def scores(self, texts: Sequence[str]) -> numpy.ndarray:
        """Per article, the best cosine between any of `texts` and any of its phrasings."""
        return self.rows(texts).max(axis=0, initial=0.0)

    def rows(self, texts: Sequence[str]) -> numpy.ndarray:
        """(texts, articles): per text, each article's best cosine over its phrasings."""
        if not len(self.starts) or not texts:
            return numpy.zeros((len(texts), len(self.starts)), dtype=numpy.float32)
        cosines = self.encoder.encode(texts) @ self.matrix.T
        return numpy.maximum.reduceat(cosines, self.starts, axis=1)


def phrasings(article: Article) -> list[str]:
    """What an article's meaning is compared with: its title, its canonical questions and the
    first sentences of its answer (they say what it covers)."""
    return [article.title, *article.questions, *split_sentences(article.body)[:BODY_SENTENCES]]


def content_key(article: Article, model: str) -> str:
    """Changes whenever the encoded text or the model changes."""
    text = "\x1f".join([model, *phrasings(article)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_cache_path(kb_folder: str | Path) -> Path:
    """The cache file kept beside the articles (a hidden file: the loader reads only *.md)."""
    return Path(kb_folder) / CACHE_NAME


def _read_cache(path: Path | None) -> dict[str, numpy.ndarray]:
    """{content key: rows} from the cache file; empty when absent or unreadable."""
    if path is None or not path.exists():
        return {}
    try:
        with numpy.load(path, allow_pickle=False) as saved:
            keys, counts, matrix = saved["keys"], saved["counts"], saved["vectors"]
    except (OSError, ValueError, KeyError) as exc:
        log.warning("KB vector cache %s unreadable (%s): re-encoding", path, exc)
        return {}
    bounds = numpy.concatenate([[0], numpy.cumsum(counts)])
    return {str(k): matrix[bounds[i]:bounds[i + 1]] for i, k in enumerate(keys)}


def _write_cache(path: Path, keys: list[str], blocks: list[numpy.ndarray]) -> None:
    """Replace the cache file atomically (a crash leaves the old one or the new one)."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
        with os.fdopen(handle, "wb") as out:
            numpy.savez(out, keys=numpy.array(keys), vectors=numpy.concatenate(blocks),
                        counts=numpy.array([len(b) for b in blocks], dtype=numpy.int64))
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        log.warning("KB vector cache %s not written (%s): vectors are computed at each start",
                    path, exc)


def build_vectors(articles: Sequence[Article], encoder: Encoder,
                  cache: Path | None = None) -> ArticleVectors:
    """Vectors for every article: cached ones reused, the rest encoded (and the cache updated)."""
    keys = [content_key(a, encoder.name) for a in articles]
    known = _read_cache(cache)
    missing = [i for i, key in enumerate(keys) if key not in known]
    if missing:
        texts = [phrasings(articles[i]) for i in missing]
        encoded = encoder.encode_articles([t for group in texts for t in group])
        bounds = numpy.cumsum([0, *map(len, texts)])
        known.update((keys[i], encoded[bounds[n]:bounds[n + 1]]) for n, i in enumerate(missing))
    blocks = [known[key] for key in keys]
    if cache is not None and (missing or set(known) != set(keys)):
        _write_cache(cache, keys, blocks)
    counts = [len(b) for b in blocks]
    starts = numpy.cumsum([0, *counts[:-1]]).astype(numpy.int64)
    matrix = (numpy.concatenate(blocks) if blocks
              else numpy.zeros((0, encoder.dimensions), numpy.float32))
    return ArticleVectors(encoder, numpy.ascontiguousarray(matrix, numpy.float32), starts)
