"""Language detection: Spanish or English, grammar words decide Spanglish."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.language import detect_language


@pytest.mark.parametrize(("text", "lang"), [
    ("¿Cuánto cuesta el plan anual?", "es"),
    ("How much is the yearly plan?", "en"),
    ("my tienda is still set to privada, how do I make it public?", "en"),
    ("quiero hacer un payment link", "es"),
    ("I want to cancel mi suscripción, where's the button?", "en"),
    ("como activo el whatsapp button para recibir las orders?", "es"),
    ("forgot my password again 🙃", "en"),
    ("olvide la contrasena y no puedo entrar", "es"),
])
def test_detects_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize("text", ["", "   ", "?", "👍", "¿?"])
def test_empty_or_tiny_text_gives_the_default(text: str) -> None:
    assert detect_language(text, default="en") == "en"
    assert detect_language(text) == "es"


def test_warm_up_builds_the_detector_with_its_small_models_loaded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Preloaded (no pause at the first unclear message) and in low-accuracy mode (trigram
    models only: 8.5 MB resident instead of 66 MB, see kb/language.py)."""
    from kb import language

    asked: list[str] = []
    builder_class = language.LanguageDetectorBuilder
    real_preload = builder_class.with_preloaded_language_models
    real_low = builder_class.with_low_accuracy_mode

    def preloaded(builder: object) -> object:
        asked.append("preload")
        return real_preload(builder)  # type: ignore[arg-type]

    def low_accuracy(builder: object) -> object:
        asked.append("low accuracy")
        return real_low(builder)  # type: ignore[arg-type]

    monkeypatch.setattr(builder_class, "with_preloaded_language_models", preloaded)
    monkeypatch.setattr(builder_class, "with_low_accuracy_mode", low_accuracy)
    monkeypatch.setattr(language, "_DETECTOR", [])
    language.warm_up()
    assert sorted(asked) == ["low accuracy", "preload"] and len(language._DETECTOR) == 1
    language.warm_up()   # built once
    assert len(language._DETECTOR) == 1
    assert language.detect_language("re lento el sistema hoy") == "es"   # lingua was asked


def test_the_kbs_own_words_tell_a_message_without_grammar_words() -> None:
    """No grammar word: a word the KB writes in one language only decides ("printer" is the
    English articles' word, "impresora" the Spanish ones'); lingua alone reads both words
    poorly (trigram models)."""
    from kb.language import KbWords, language_verdict
    from kb.normalize import tokenize

    words = KbWords.from_words({
        "en": tokenize("Setting up the receipt printer. Cancel your plan from Billing."),
        "es": tokenize("Configurar la impresora de recibos. Cancelar el plan desde Facturación."),
    })
    assert "printer" in words.en and "impresora" in words.es
    assert "plan" not in words.en | words.es   # written in both: says nothing
    assert language_verdict("printer", words) == "en"
    assert language_verdict("impresora", words) == "es"
    assert language_verdict("cancelar plan", words) == "es"
    assert language_verdict("Cancel plan", words) == "en"
    # grammar words still decide Spanglish: product words are often English in Spanish
    assert language_verdict("quiero configurar el receipt printer", words) == "es"
    assert language_verdict("how do I set up la impresora?", words) == "en"


def test_the_matcher_reads_the_kbs_words_for_a_keyword(tmp_path: Path) -> None:
    from kb.loader import load_kb
    from kb.matcher import best_match, build_index

    for lang, title, body in [("en", "Receipt printer", "Pair the receipt printer in Settings."),
                              ("es", "Impresora de recibos", "Empareja la impresora en Ajustes.")]:
        (tmp_path / f"printer-{lang}.md").write_text(
            f"---\nid: printer-{lang}\nlang: {lang}\ntitle: {title}\nquestions:\n"
            f"  - {title}?\n---\n{body}\n", encoding="utf-8")
    index = build_index(load_kb(tmp_path))
    assert best_match(index, "printer").lang == "en"
    assert best_match(index, "impresora").lang == "es"
