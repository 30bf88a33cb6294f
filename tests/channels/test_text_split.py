"""Splitting long texts for WhatsApp (1,600) and Telegram (4,096): boundaries, order, limits."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from channels.text_split import split_text


def test_a_short_text_is_one_part() -> None:
    assert split_text("Hola", 1600) == ["Hola"]
    assert split_text("", 1600) == [""]


def test_paragraph_breaks_are_preferred() -> None:
    text = "a" * 30 + "\n\n" + "b" * 30
    assert split_text(text, 50) == ["a" * 30, "b" * 30]


def test_then_line_breaks_then_spaces() -> None:
    assert split_text("uno dos\ntres cuatro", 12) == ["uno dos", "tres cuatro"]
    assert split_text("uno dos tres cuatro", 12) == ["uno dos tres", "cuatro"]


def test_a_word_longer_than_the_limit_is_cut_hard() -> None:
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


@given(st.text(alphabet=st.sampled_from("ab \n"), max_size=400), st.integers(5, 60))
def test_parts_fit_and_keep_every_word_in_order(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(len(part) <= limit for part in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())
