"""Language detection: Spanish or English, grammar words decide Spanglish."""

from __future__ import annotations

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
