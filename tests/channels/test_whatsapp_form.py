"""The webhook's form parser gives exactly what `parse_qsl` gives (pairs, or the error), and
the storable check refuses exactly the forms one of whose names or values is not storable."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import ImmutableMultiDict

from channels.base import InvalidWebhook
from channels.webhook_edge import is_storable
from channels.whatsapp.wire import check_storable, form_pairs

# Raw form text: the characters a form is made of, escapes (good, bad, cut short) and
# anything else, so both valid and malformed bodies come up.
pieces = st.sampled_from(["&", "=", "+", "%", "%2", "%20", "%C3%A9", "%ff", "%00", "%zz",
                          "Body", "From", "a", "é", " ", "\x00", "&&", "=="])
raw_text = st.lists(st.one_of(pieces, st.text(max_size=3)), max_size=12).map("".join)
value = st.text(max_size=12)


def parsed_like_the_library(text: str) -> list[tuple[str, str]] | str:
    try:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except ValueError as exc:
        return f"ValueError: {exc}"


def parsed_here(text: str) -> list[tuple[str, str]] | str:
    try:
        return form_pairs(text)
    except ValueError as exc:
        return f"ValueError: {exc}"


@settings(max_examples=500, deadline=None)
@given(text=raw_text)
def test_any_text_parses_as_parse_qsl_parses_it(text: str) -> None:
    assert parsed_here(text) == parsed_like_the_library(text)


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(value, value), max_size=6))
def test_an_encoded_form_comes_back_whole(pairs: list[tuple[str, str]]) -> None:
    text = "&".join(f"{quote_plus(n)}={quote_plus(v)}" for n, v in pairs)
    assert parsed_here(text) == parsed_like_the_library(text)


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(value, value), max_size=6))
def test_a_form_is_storable_exactly_when_each_name_and_value_is(
        pairs: list[tuple[str, str]]) -> None:
    storable = all(is_storable(n) and is_storable(v) for n, v in pairs)
    form = ImmutableMultiDict(pairs)
    if storable:
        check_storable(form)
    else:
        with pytest.raises(InvalidWebhook, match="NUL"):
            check_storable(form)
