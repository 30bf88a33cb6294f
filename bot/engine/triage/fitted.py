"""The fitted classifiers on disk, keyed by a hash of everything they are fitted from
(examples with their labels, category descriptions, approved corrections, the word table,
the encoder and the fitting settings): a restart loads them instead of fitting again."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy

from bot.engine.triage import model
from bot.engine.triage.words import CATEGORY_WORDS, IMPACT_WORDS

log = logging.getLogger(__name__)
PREFIX = "triage-model-"
FORMAT = 4   # 4: a dedicated emergency score beside the category model


def inputs_key(examples: Sequence[model.Example], encoder_name: str,
               extra: object = None) -> str:
    """A hash of the fit's inputs: any change to them means another file."""
    recipe = {
        "format": FORMAT, "encoder": encoder_name,
        "examples": [[e.text, e.category, e.priority] for e in examples],
        "words": [CATEGORY_WORDS, IMPACT_WORDS],
        "classes": [model.CATEGORIES, model.PRIORITIES],
        "settings": [model.WORD_WEIGHT, model.CATEGORY_MEANING_SCALE, model.L2, model.STEPS,
                     model.RATE],
        "extra": extra,
    }
    blob = json.dumps(recipe, ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:24]


def path_for(folder: Path, key: str) -> Path:
    return folder / f"{PREFIX}{key}.npz"


Fitted = tuple[model.Softmax, model.Softmax, model.Neighbours, model.Softmax]


def load(folder: Path | None, key: str) -> Fitted | None:
    """The classifiers saved under `key`, None when absent or unreadable."""
    if folder is None or not path_for(folder, key).exists():
        return None
    try:
        with numpy.load(path_for(folder, key), allow_pickle=False) as saved:
            return (model.Softmax(model.CATEGORIES, saved["cw"], saved["cb"]),
                    model.Softmax(model.PRIORITIES, saved["pw"], saved["pb"]),
                    model.Neighbours(saved["nv"], saved["nl"]),
                    model.Softmax(model.EMERGENCY_CLASSES, saved["ew"], saved["eb"]))
    except (OSError, ValueError, KeyError) as exc:
        log.warning("triage model %s unreadable (%s): fitting again", path_for(folder, key), exc)
        return None


def save(folder: Path | None, key: str, categories: model.Softmax,
         priorities: model.Softmax, neighbours: model.Neighbours,
         emergency: model.Softmax) -> None:
    """Write atomically and drop the files of older inputs; a failure only costs a refit."""
    if folder is None:
        return
    temporary = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".npz.tmp")
        with os.fdopen(handle, "wb") as out:
            numpy.savez(out, cw=categories.weights, cb=categories.bias,
                        pw=priorities.weights, pb=priorities.bias,
                        nv=neighbours.vectors, nl=neighbours.labels,
                        ew=emergency.weights, eb=emergency.bias)
        os.replace(temporary, path_for(folder, key))
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        log.warning("triage model not written to %s (%s)", folder, exc)
        return
    for stale in folder.glob(f"{PREFIX}*.npz"):
        if stale != path_for(folder, key):
            stale.unlink(missing_ok=True)
