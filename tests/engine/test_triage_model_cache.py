"""The fitted triage model is kept on disk under a hash of its inputs (issue 20): a restart
loads it instead of fitting again; any change to the examples, the category descriptions or
the approved corrections fits a new one."""

from __future__ import annotations

from pathlib import Path

import numpy
import pytest

from bot.config.root import AtiendeConfig, load_config
from bot.engine.triage import fitted
from bot.engine.triage.classify import Triager
from bot.engine.triage.model import Example

REPO = Path(__file__).resolve().parents[2]
MESSAGES = ("sistema caído, no podemos vender", "How do I export last month's report?",
            "me cobraron dos veces", "we would love a dark mode")


@pytest.fixture
def config(tmp_path: Path) -> AtiendeConfig:
    base = load_config(REPO / "config.yaml", environ={})
    cache = str(tmp_path / "cache" / "triage-vectors.npz")
    return base.model_copy(update={"triage": base.triage.model_copy(update={"cache": cache})})


def models(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{fitted.PREFIX}*.npz"))


def never_fit(self: Triager, examples: object) -> None:
    raise AssertionError("fitted again although the inputs did not change")


def test_a_restart_loads_the_fitted_model_instead_of_fitting(
        config: AtiendeConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = Triager.from_config(config)
    assert first.refitted and len(models(tmp_path / "cache")) == 1
    monkeypatch.setattr(Triager, "_fit", never_fit)
    again = Triager.from_config(config)
    assert not again.refitted
    numpy.testing.assert_array_equal(again.categories.weights, first.categories.weights)
    numpy.testing.assert_array_equal(again.emergency_score.weights,
                                     first.emergency_score.weights)
    assert [again.classify(m) for m in MESSAGES] == [first.classify(m) for m in MESSAGES]


def test_changed_examples_descriptions_or_corrections_fit_a_new_model(
        config: AtiendeConfig, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    before = Triager.from_config(config)
    [old] = models(folder)
    learned = [Example("el cupón de la sucursal norte no aplica", "customization", "low")]
    assert Triager.from_config(config, learned).refitted
    [newer] = models(folder)
    assert newer != old   # the stale file is dropped
    described = config.triage.described()
    billing = described["billing"].model_copy(update={"description": {"es": "Cobros", "en": "x"}})
    edited = config.model_copy(update={"triage": config.triage.model_copy(
        update={"categories": {"billing": billing}})})
    assert Triager.from_config(edited).refitted
    assert Triager.from_config(config).refitted   # back to the first inputs: fitted again
    assert not Triager.from_config(config).refitted
    assert before.size == Triager.from_config(config).size


def test_an_unreadable_model_file_is_fitted_again(config: AtiendeConfig,
                                                  tmp_path: Path) -> None:
    Triager.from_config(config)
    [saved] = models(tmp_path / "cache")
    saved.write_bytes(b"not a model")
    assert Triager.from_config(config).refitted
    assert not Triager.from_config(config).refitted
