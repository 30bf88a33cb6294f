"""The abstention decision reads the bootstrap models' probability less their spread."""

from __future__ import annotations

import math

import pytest

from kb import abstention
from kb.abstention import (
    ANSWER_PROBABILITY,
    UNSURE_PENALTY,
    AbstentionModel,
    cautious_probability,
    load_models,
)

FEATURES = ("lexical", "lexical_margin")
SIGNALS = {"lexical": 0.6, "lexical_margin": 0.3}


def model(bootstrap: tuple[tuple[float, ...], ...] = ()) -> AbstentionModel:
    return AbstentionModel(FEATURES, (4.0, 6.0), -2.0, bootstrap)


def test_without_bootstrap_models_the_decision_reads_the_plain_probability() -> None:
    plain = model()
    expected = 1 / (1 + math.exp(-(-2.0 + 4.0 * 0.6 + 6.0 * 0.3)))
    assert plain.probability(SIGNALS) == pytest.approx(expected)
    assert plain.cautious(SIGNALS) == pytest.approx(expected)


def test_bootstrap_models_that_agree_leave_the_probability_as_it_is() -> None:
    same = model(((4.0, 6.0, -2.0),) * 5)
    assert same.cautious(SIGNALS) == pytest.approx(same.probability(SIGNALS))


def test_bootstrap_models_that_disagree_lower_it_below_the_answer_line() -> None:
    spread = model(((4.0, 6.0, -2.0), (0.0, 0.0, -1.0), (8.0, 12.0, -2.0), (4.0, 6.0, -3.5)))
    assert spread.probability(SIGNALS) >= ANSWER_PROBABILITY
    assert spread.cautious(SIGNALS) < ANSWER_PROBABILITY


def test_cautious_probability_is_the_mean_less_the_penalised_spread(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert cautious_probability([0.9, 0.7]) == pytest.approx(0.8 - UNSURE_PENALTY * 0.1)
    monkeypatch.setattr(abstention, "UNSURE_PENALTY", 3.0)
    assert cautious_probability([0.0, 1.0]) == 0.0   # never below 0


def test_every_shipped_model_keeps_its_bootstrap_refits() -> None:
    for fitted in load_models().values():
        assert len(fitted.bootstrap) >= 10
        assert all(len(row) == len(fitted.features) + 1 for row in fitted.bootstrap)
