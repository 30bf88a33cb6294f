"""A routing batch encodes its texts in one call; the matcher's encodes then read those rows."""

from __future__ import annotations

from dataclasses import replace

import numpy
import pytest

from kb.encoder import Encoder, load_encoder
from tests.fakes.counting import CountingEmbed

TEXTS = ["¿Cuál es el horario de atención?", "How do I export my data?",
         "The app crashes every time I save a work order, error 500"]


@pytest.fixture
def counted() -> tuple[Encoder, CountingEmbed, Encoder]:
    found = load_encoder()
    assert found is not None, "a sentence encoder package is a dependency of atiende"
    model = CountingEmbed(found.backend.embed)
    return Encoder(replace(found.backend, embed=model)), model, Encoder(found.backend)


def test_texts_encoded_ahead_are_not_encoded_again(
        counted: tuple[Encoder, CountingEmbed, Encoder]) -> None:
    encoder, model, another = counted
    # each text on its own, by another encoder (this one would remember them)
    alone = [another.encode([text])[0] for text in TEXTS]
    with encoder.encoded_ahead([*TEXTS, TEXTS[0]]):
        inside = [encoder.encode([text])[0] for text in TEXTS]
        both = encoder.encode(TEXTS[:2])
        encoder.encode(["not encoded ahead"])
    assert model.calls == [3, 1]   # one call for the batch; the text not in it on its own
    for row, expected in zip(inside, alone, strict=True):
        assert numpy.allclose(row, expected, atol=1e-5)
    assert numpy.allclose(both, numpy.stack(alone[:2]), atol=1e-5)
    encoder.encode([TEXTS[0]])
    assert model.calls == [3, 1]   # after the block, recent texts come from the memo
