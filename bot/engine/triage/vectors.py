"""Meaning vectors of triage texts (examples, descriptions), cached on disk by content hash."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy

from kb.encoder import Encoder, load_encoder

log = logging.getLogger(__name__)
_SHARED: dict[str, numpy.ndarray] = {}   # every text encoded in this process (configs share)


def text_key(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\x1f{text}".encode()).hexdigest()[:32]


class CachedEncoder:
    """The KB's encoder with a file of already-encoded texts: examples are encoded once."""

    def __init__(self, encoder: Encoder, path: Path | None) -> None:
        self.encoder = encoder
        self.path = path
        self.known = {**_SHARED, **self._read()}
        self.dirty = False

    def _read(self) -> dict[str, numpy.ndarray]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            with numpy.load(self.path, allow_pickle=False) as saved:
                return dict(zip((str(k) for k in saved["keys"]), saved["vectors"], strict=True))
        except (OSError, ValueError, KeyError) as exc:
            log.warning("triage vector cache %s unreadable (%s): re-encoding", self.path, exc)
            return {}

    def encode_many(self, texts: Sequence[str]) -> numpy.ndarray:
        """(n, d) L2-normalised rows; texts not seen before are encoded and remembered."""
        keys = [text_key(self.encoder.name, text) for text in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True)
                                     if k not in self.known))
        if missing:
            encoded = self.encoder.encode(missing)
            self.known.update((text_key(self.encoder.name, t), v)
                              for t, v in zip(missing, encoded, strict=True))
            _SHARED.update(self.known)
            self.dirty = True
        if not keys:
            return numpy.zeros((0, self.encoder.dimensions), dtype=numpy.float32)
        return numpy.stack([self.known[k] for k in keys]).astype(numpy.float32)

    def lookup(self, text: str) -> numpy.ndarray:
        """(1, d) for one text, from the cache file when there, never added to it."""
        known = self.known.get(text_key(self.encoder.name, text))
        if known is not None:
            return known[None, :].astype(numpy.float32)
        return self.encoder.encode([text])

    def lookup_many(self, texts: Sequence[str]) -> numpy.ndarray:
        """(n, d) for one message's texts: known ones from the cache file, the others in one
        call to the encoder (whose memo holds what the KB matcher just encoded); nothing is
        added to the cache file."""
        rows = [self.known.get(text_key(self.encoder.name, text)) for text in texts]
        missing = [text for text, row in zip(texts, rows, strict=True) if row is None]
        fresh = iter(self.encoder.encode(missing)) if missing else iter(())
        return numpy.stack([row if row is not None else next(fresh)
                            for row in rows]).astype(numpy.float32)

    def save(self) -> None:
        """Write the cache atomically when it changed; a failure only costs re-encoding."""
        if self.path is None or not self.dirty:
            return
        temporary = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".npz.tmp")
            with os.fdopen(handle, "wb") as out:
                numpy.savez(out, keys=numpy.array(list(self.known)),
                            vectors=numpy.stack(list(self.known.values())))
            os.replace(temporary, self.path)
            self.dirty = False
        except OSError as exc:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
            log.warning("triage vector cache %s not written (%s)", self.path, exc)


def cached_encoder(path: Path | None) -> CachedEncoder | None:
    """The process's encoder with the cache file at `path`; None without the encoder."""
    encoder = load_encoder()
    return CachedEncoder(encoder, path) if encoder is not None else None
