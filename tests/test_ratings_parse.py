"""Reading a 1–5 score from customers' replies in Spanish and English, and ignoring the rest."""

from __future__ import annotations

import pytest

from bot.desk.rating_words import is_explicit, parse_score


@pytest.mark.parametrize(("text", "score"), [
    ("5", 5), ("1", 1), (" 3 ", 3), ("⭐⭐⭐⭐", 4), ("⭐", 1), ("⭐️⭐️⭐️⭐️⭐️", 5), ("★★", 2),
    ("5 estrellas", 5), ("una estrella", 1), ("cinco estrellas", 5), ("Le doy un 5", 5),
    ("4/5", 4), ("2 de 5", 2), ("excelente", 5), ("¡Excelente servicio!", 5), ("muy buena", 5),
    ("buena", 4), ("bien", 4), ("regular", 3), ("más o menos", 3), ("malo", 2), ("mala", 2),
    ("me fue mal", 2), ("muy malo", 1), ("pésimo", 1), ("cambiar mi calificación a 4", 4),
    ("5 excelente", 5),
])
def test_spanish_replies(text: str, score: int) -> None:
    assert parse_score(text) == score


@pytest.mark.parametrize(("text", "score"), [
    ("very good", 5), ("Excellent!", 5), ("great", 5), ("good", 4), ("not bad", 4),
    ("average", 3), ("so so", 3), ("poor", 2), ("bad", 2), ("not good", 2), ("very poor", 1),
    ("terrible", 1), ("awful", 1), ("5 stars", 5), ("four stars", 4), ("3 out of 5", 3),
    ("I give it a 4", 4), ("one star", 1),
])
def test_english_replies(text: str, score: int) -> None:
    assert parse_score(text) == score


@pytest.mark.parametrize("text", [
    "", "no", "sí", "ok", "gracias", "hola", "0", "6", "10/10", "12", "3 4",
    "el sistema sigue fallando", "muy malo, sigue sin funcionar la impresora de la oficina",
    "¿Cuál es el horario de atención?", "My invoice is wrong", "⭐⭐⭐⭐⭐⭐",
    "⭐⭐⭐⭐⭐ pero la factura sigue llegando mal y nadie me responde",
])
def test_unrelated_text_is_not_a_rating(text: str) -> None:
    assert parse_score(text) is None


@pytest.mark.parametrize(("text", "explicit"), [
    ("⭐⭐⭐", True), ("4 estrellas", True), ("4/5", True), ("cambiar calificación a 5", True),
    ("rating 2", True), ("4", False), ("bien", False), ("excelente", False),
])
def test_explicit_ratings_outside_the_question(text: str, explicit: bool) -> None:
    assert is_explicit(text) is explicit
