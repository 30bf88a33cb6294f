"""The bot's own yes/no reading: a customer who cannot tell has said neither."""

from __future__ import annotations

import pytest

from bot.engine.intents import read_intent


@pytest.mark.parametrize("text", ["no lo sé", "No sé", "no estoy segura", "not sure",
                                  "I don't know", "ni idea"])
def test_an_unsure_answer_is_neither_yes_nor_no(text: str) -> None:
    assert read_intent(text).name == "none"


@pytest.mark.parametrize(("text", "name"), [("no", "no"), ("no gracias", "no"),
                                            ("no me sirvió", "no"), ("sí", "yes"),
                                            ("yes", "yes"), ("no, para nada", "no")])
def test_plain_answers_keep_their_meaning(text: str, name: str) -> None:
    assert read_intent(text).name == name
