"""A routing batch's texts go through the sentence encoder once: the KB matcher and triage
both read the rows encoded ahead (issue 18: with every text new, as in real traffic, triage
used to encode each message again, one call at a time)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config.root import load_config
from bot.engine.prepare import TurnInput, prepare
from bot.engine.triage.classify import Triager
from kb.knowledge import index_articles
from kb.loader import load_kb
from tests.fakes.counting import CountingEmbed

REPO = Path(__file__).resolve().parents[2]
TEXTS = ["la app se cierra cuando abro los reportes", "How do I add a second user?",
         "nos cobraron dos veces el plan este mes", "The calendar does not sync with my phone",
         "quiero capacitar a mi equipo nuevo"]


@pytest.fixture(scope="module")
def triager() -> Triager:
    return Triager.from_config(load_config(REPO / "config.yaml", environ={}))


def test_a_batch_of_new_texts_is_encoded_in_one_call(triager: Triager,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    index = index_articles(load_kb(REPO / "kb" / "articles"), cache=None)
    assert index.meaning is not None and triager.encoder is not None
    encoder = index.meaning.encoder
    assert triager.encoder.encoder is encoder   # one model per process, shared
    counting = CountingEmbed(encoder.backend.embed)
    monkeypatch.setattr(encoder, "backend", replace(encoder.backend, embed=counting))
    # more new texts than the encoder's memo keeps from one call: nothing is remembered
    batch = [f"{TEXTS[n % len(TEXTS)]} (pedido {uuid.uuid4().hex[:8]})" for n in range(24)]
    prepared = prepare(index, "es", [TurnInput(text) for text in batch], triager)
    assert len(counting.calls) == 1 and counting.calls[0] >= len(batch)   # and their parts
    assert set(prepared.triaged) == set(batch)
    for text in batch[:3]:   # the verdicts are those of triage on its own (a batch's rows
        ahead, alone = prepared.triaged[text], triager.classify(text)   # differ by ~1e-8)
        assert (ahead.category, ahead.priority, ahead.ask_impact) == (
            alone.category, alone.priority, alone.ask_impact)
        assert ahead.emergency == pytest.approx(alone.emergency, abs=1e-5)
