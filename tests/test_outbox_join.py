"""Replies queued for one recipient leave as one message (issue 18, a burst answered within
twice its routing time under a provider's send rate): the serving pump's claim joins them, in
order, up to the channel's length; other kinds of rows end a join; the last reply's buttons go
along; folded rows say where they went; a channel that does not join, and the plain
dispatcher, send each row."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.app import Runtime
from bot.engine.outbox import Dispatcher, enqueue
from bot.engine.outbox_join import BUTTONS_ROOM
from bot.engine.outbox_pump import OutboxPump
from bot.store.db import transaction
from bot.store.models import OutboxItem
from channels.base import DeliveryReceipt, OutboundMessage

LIMIT = 1000


class JoiningChannel:
    """Records each send, with the row's stored payload at that moment (the claim's commit)."""

    name = "chat"
    joins_replies_up_to = LIMIT

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.sent: list[OutboundMessage] = []
        self.stored: list[dict[str, object]] = []

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        self.sent.append(message)
        self.stored.append(await asyncio.to_thread(self.payload_of, message.outbox_id))
        return DeliveryReceipt(provider_message_id=f"P{len(self.sent)}")

    def payload_of(self, row_id: int | None) -> dict[str, object]:
        with self.runtime.factory() as session:
            return dict(session.get_one(OutboxItem, row_id).payload)


class PlainChannel(JoiningChannel):
    joins_replies_up_to = 0


def queue(runtime: Runtime, recipient: str, *texts: str, kind: str = "reply",
          buttons: tuple[str, ...] = ()) -> None:
    with transaction(runtime.factory) as session:
        for text in texts:
            enqueue(session, channel="chat", recipient=recipient, text=text, kind=kind,
                    buttons=buttons, now=runtime.clock.now())


def pump(runtime: Runtime, channel: JoiningChannel) -> int:
    dispatcher = Dispatcher(runtime.factory, {"chat": channel})
    return asyncio.run(OutboxPump(dispatcher, runtime.clock.now, limit=100).run())


def rows(runtime: Runtime) -> list[tuple[int, str, dict[str, object]]]:
    with runtime.factory() as session:
        return [(item.id, item.status, item.payload) for item in
                session.scalars(select(OutboxItem).order_by(OutboxItem.id))]


def sent_texts(channel: JoiningChannel, recipient: str) -> list[str]:
    return [message.text for message in channel.sent if message.recipient == recipient]


def test_a_recipients_queued_replies_leave_as_one_message_in_order(runtime: Runtime) -> None:
    queue(runtime, "chat:ana", "a1", "a2", "a3", "a4")
    queue(runtime, "chat:beto", "b1", "b2")
    channel = JoiningChannel(runtime)
    assert pump(runtime, channel) == 2
    assert sent_texts(channel, "chat:ana") == ["a1\n\na2\n\na3\n\na4"]
    assert sent_texts(channel, "chat:beto") == ["b1\n\nb2"]
    stored = rows(runtime)
    hosts = {payload["text"]: row_id for row_id, status, payload in stored if status == "sent"}
    assert set(hosts) == {"a1", "b1"}
    folded = {payload["text"]: (status, payload["joined_into"])
              for _, status, payload in stored if status != "sent"}
    assert folded == {"a2": ("joined", hosts["a1"]), "a3": ("joined", hosts["a1"]),
                      "a4": ("joined", hosts["a1"]), "b2": ("joined", hosts["b1"])}


def test_the_joined_text_is_stored_before_it_is_sent(runtime: Runtime) -> None:
    """The provider lookup after a crash compares what was sent: it is on the row already."""
    queue(runtime, "chat:ana", "a1", "a2")
    channel = JoiningChannel(runtime)
    pump(runtime, channel)
    assert channel.stored[0]["joined_text"] == "a1\n\na2"
    assert channel.stored[0]["text"] == "a1"   # the agents' thread still shows each reply


def test_another_kind_of_row_ends_a_join_so_order_holds(runtime: Runtime) -> None:
    queue(runtime, "chat:ana", "a1", "a2")
    queue(runtime, "chat:ana", "rate us", kind="rating_request")
    queue(runtime, "chat:ana", "a3", "a4")
    channel = JoiningChannel(runtime)
    assert pump(runtime, channel) == 3
    assert sent_texts(channel, "chat:ana") == ["a1\n\na2", "rate us", "a3\n\na4"]


def test_the_last_replys_buttons_go_along_and_earlier_ones_are_written_out(
        runtime: Runtime) -> None:
    queue(runtime, "chat:ana", "Pick one", buttons=("1", "2"))
    queue(runtime, "chat:ana", "a2")
    queue(runtime, "chat:ana", "Did it help? (yes/no)", buttons=("Yes", "No"))
    channel = JoiningChannel(runtime)
    assert pump(runtime, channel) == 1
    assert [(m.text, m.buttons) for m in channel.sent] == [
        ("Pick one\n\n1 · 2\n\na2\n\nDid it help? (yes/no)", ("Yes", "No"))]


def test_a_join_stops_at_the_channels_length(runtime: Runtime) -> None:
    size = (LIMIT - BUTTONS_ROOM) // 2 - 10   # two fit, a third does not
    texts = [str(index) * size for index in range(5)]
    queue(runtime, "chat:ana", *texts)
    channel = JoiningChannel(runtime)
    assert pump(runtime, channel) == 3
    assert sent_texts(channel, "chat:ana") == [
        f"{texts[0]}\n\n{texts[1]}", f"{texts[2]}\n\n{texts[3]}", texts[4]]
    assert all(len(message.text) <= LIMIT for message in channel.sent)


def test_a_reply_already_in_the_message_is_folded_without_being_written_again(
        runtime: Runtime) -> None:
    ack = "I added your message to ticket #7."
    queue(runtime, "chat:ana", "a1", ack, ack, "a2", ack)
    queue(runtime, "chat:ana", ack, buttons=("Yes", "No"))   # other buttons: another reply
    channel = JoiningChannel(runtime)
    assert pump(runtime, channel) == 1
    assert [(m.text, m.buttons) for m in channel.sent] == [
        (f"a1\n\n{ack}\n\na2\n\n{ack}", ("Yes", "No"))]
    assert [status for _, status, _ in rows(runtime)] == ["sent"] + ["joined"] * 5


def test_repeated_replies_take_no_room_in_the_message(runtime: Runtime) -> None:
    size = (LIMIT - BUTTONS_ROOM) // 2 - 10   # two different ones fit, a third does not
    first, second = "x" * size, "y" * size
    queue(runtime, "chat:ana", first, second, first, second, "z" * size)
    channel = JoiningChannel(runtime)
    assert pump(runtime, channel) == 2
    assert sent_texts(channel, "chat:ana") == [f"{first}\n\n{second}", "z" * size]


def test_a_channel_that_does_not_join_sends_every_row(runtime: Runtime) -> None:
    queue(runtime, "chat:ana", "a1", "a2", "a3")
    channel = PlainChannel(runtime)
    assert pump(runtime, channel) == 3
    assert sent_texts(channel, "chat:ana") == ["a1", "a2", "a3"]


def test_the_plain_dispatcher_sends_every_row(runtime: Runtime) -> None:
    """`atiende chat` and the CLI deliver with `deliver_due`: one message per reply."""
    queue(runtime, "chat:ana", "a1", "a2", "a3")
    channel = JoiningChannel(runtime)
    dispatcher = Dispatcher(runtime.factory, {"chat": channel})
    assert asyncio.run(dispatcher.deliver_due(runtime.clock.now())) == 3
    assert sent_texts(channel, "chat:ana") == ["a1", "a2", "a3"]
