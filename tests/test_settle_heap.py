"""`serve` sets the start-up heap aside from the cyclic GC, and garbage made later is still
collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from bot.serve import GC_THRESHOLDS, settle_heap


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_gc")
def test_the_start_up_heap_is_frozen_and_later_cycles_are_still_collected() -> None:
    kept = [Node() for _ in range(1000)]   # stands for the KB index built before serving
    settle_heap()
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == GC_THRESHOLDS
    first, second = Node(), Node()
    first.other, second.other = second, first   # a cycle made while serving
    watch = weakref.ref(first)
    del first, second
    gc.collect()
    assert watch() is None
    assert gc.isenabled()
