"""The widget's live streams: caps per visitor and in all, and a reconnect that loses nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.config.root import AtiendeConfig
from tests.channels.webchat_site import Widget, sse_events, with_web

HOURS = "¿Cuál es el horario de soporte?"
EXPORT = "¿Cómo exporto mis datos?"


@pytest.fixture
def config(config: AtiendeConfig, tmp_path: Path) -> AtiendeConfig:
    return with_web(config, streams_per_visitor=2, max_streams=3,
                    media_dir=str(tmp_path / "media"))


def events_url(widget: Widget) -> str:
    return f"/widget/api/events?token={widget.token}"


def test_a_third_window_of_one_visitor_closes_their_oldest_stream(widget: Widget) -> None:
    with widget.http.stream("GET", events_url(widget)) as first, \
            widget.http.stream("GET", events_url(widget)) as second:
        oldest, newer = sse_events(first), sse_events(second)
        assert next(oldest) == ("history", []) and next(newer) == ("history", [])
        with widget.http.stream("GET", events_url(widget)) as third:
            newest = sse_events(third)
            assert next(newest) == ("history", [])
            kind, data = next(oldest)
            assert kind == "closed" and "too many windows" in data["reason"]
            assert next(oldest, None) is None                     # and the stream ended
            assert widget.send(HOURS).status_code == 202
            for stream in (newer, newest):                       # the other two stay live
                kind, reply = next(stream)
                assert kind == "message" and "8:00" in reply["text"]


def test_beyond_the_servers_cap_a_new_stream_is_refused_with_a_reason(widget: Widget) -> None:
    others = [Widget(widget.server, widget.runtime, widget.http) for _ in range(3)]
    for other in others:
        other.start()
    with widget.http.stream("GET", events_url(others[0])) as one, \
            widget.http.stream("GET", events_url(others[1])) as two, \
            widget.http.stream("GET", events_url(others[2])) as three:
        readers = [sse_events(stream) for stream in (one, two, three)]   # kept: open
        assert [next(reader)[0] for reader in readers] == ["history"] * 3
        refused = widget.http.get(events_url(widget))
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        assert "3 live chats open (channels.web.max_streams)" in refused.json()["error"]
    opened = open_when_room(widget)
    assert opened == 200


def open_when_room(widget: Widget, seconds: float = 10.0) -> int:
    """The server notices the closed streams when their connections end (bounded wait for
    that, not for a deadline of the code under test)."""
    limit = time.monotonic() + seconds
    while True:
        with widget.http.stream("GET", events_url(widget)) as stream:
            if stream.status_code == 200 or time.monotonic() > limit:
                return stream.status_code
        time.sleep(0.05)


def test_a_reconnect_with_last_event_id_gets_what_it_missed(widget: Widget) -> None:
    with widget.http.stream("GET", events_url(widget)) as stream:
        events = sse_events(stream)
        assert next(events) == ("history", [])
        widget.send(HOURS, ident="first-0001")
        kind, first_reply = next(events)
        assert kind == "message"
    widget.send(EXPORT, ident="second-001")                      # while disconnected
    widget.drain()
    missed = widget.history()[2:]
    assert missed[0]["id"] == "second-001"
    headers = {"Last-Event-ID": first_reply["id"]}
    with widget.http.stream("GET", events_url(widget), headers=headers) as stream:
        kind, entries = next(sse_events(stream))
    assert kind == "history" and entries == missed
    assert entries[-1]["direction"] == "out"
