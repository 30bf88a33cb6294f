"""Storing a group in a few statements: the same outcomes as storing each message alone."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import Runtime, warm_up
from bot.engine import triage
from bot.engine.inbox import Accepted, accept_inbound, stage_many
from bot.engine.sink import EngineSink
from bot.store.models import Contact, ContactIdentity, Message, OutboxItem
from channels.base import InboundMessage
from scheduler.clock import FixedClock

VIP = "whatsapp:+573001112233"   # in config.yaml's vip.contacts


def inbound(clock: FixedClock, sid: str, sender: str, name: str | None = None,
            channel: str = "whatsapp") -> InboundMessage:
    return InboundMessage(channel=channel, provider_message_id=sid, sender=sender,
                          text=f"mensaje {sid}", received_at=clock.now(), sender_name=name)


def contacts(runtime: Runtime) -> list[tuple[str, str | None, bool]]:
    with runtime.factory() as session:
        return [(row.address, row.name, row.vip) for row in session.execute(
            select(ContactIdentity.address, Contact.name, Contact.vip)
            .join(Contact).order_by(Contact.id))]


def test_a_group_is_stored_as_each_message_would_be_alone(
        runtime: Runtime, clock: FixedClock) -> None:
    with runtime.factory() as session:
        known = accept_inbound(session, runtime.config,
                               inbound(clock, "SM1", "whatsapp:+573005550001"))
    hooks: list[str] = []

    def hook(sid: str) -> object:
        return lambda _: hooks.append(sid)

    group = [inbound(clock, "SM1", "whatsapp:+573005550001"),        # stored before
             inbound(clock, "SM2", "whatsapp:+573005550001", "Ana"),  # known contact, a name
             inbound(clock, "SM3", "whatsapp:+573005550002", "Luis"),  # new contact
             inbound(clock, "SM3", "whatsapp:+573005550002"),          # a retry in the group
             inbound(clock, "SM4", "whatsapp:+573005550002"),          # same new contact
             inbound(clock, "SM4", "telegram:77", channel="telegram"),  # same id, other channel
             inbound(clock, "SM5", VIP, "Vip")]
    with runtime.factory() as session:
        outcomes = stage_many(session, runtime.config,
                              [(message, hook(message.provider_message_id)) for message in group])
        session.commit()
        ids = dict(session.execute(select(Message.provider_message_id + Message.channel,
                                          Message.id)).all())

    assert [o.is_new for o in outcomes] == [False, True, True, False, True, True, True]
    assert outcomes[0] == Accepted(known.message_id, False)
    assert outcomes[3] == Accepted(outcomes[2].message_id, False)
    assert [o.message_id for o in outcomes] == [
        ids["SM1whatsapp"], ids["SM2whatsapp"], ids["SM3whatsapp"], ids["SM3whatsapp"],
        ids["SM4whatsapp"], ids["SM4telegram"], ids["SM5whatsapp"]]
    new_ids = [o.message_id for o in outcomes if o.is_new]
    assert new_ids == sorted(new_ids)   # stored in the group's order: routed in that order
    assert outcomes[1].contact_id == known.contact_id
    assert outcomes[2].contact_id == outcomes[4].contact_id != known.contact_id
    assert hooks == ["SM2", "SM3", "SM4", "SM4", "SM5"]   # once per new message
    assert contacts(runtime) == [("whatsapp:+573005550001", "Ana", False),
                                 ("whatsapp:+573005550002", "Luis", False),
                                 ("telegram:77", None, False), (VIP, "Vip", True)]


def test_an_empty_or_all_seen_group_writes_nothing(runtime: Runtime, clock: FixedClock) -> None:
    message = inbound(clock, "SM9", "whatsapp:+573005550009")
    with runtime.factory() as session:
        first = accept_inbound(session, runtime.config, message)
    with runtime.factory() as session:
        assert stage_many(session, runtime.config, []) == []
        assert stage_many(session, runtime.config, [(message, None)]) == [
            Accepted(first.message_id, False)]
        assert not session.new and not session.dirty


def test_warm_up_fits_the_triager_before_the_first_message(runtime: Runtime) -> None:
    triage._FITTED.pop(id(runtime.config), None)
    warm_up(runtime)
    fitted = triage._FITTED[id(runtime.config)][2]
    with Session(runtime.engine) as session:
        assert triage.triager_for(session, runtime.config) is fitted


def test_a_group_releases_what_was_held_for_each_of_its_senders(
        runtime: Runtime, clock: FixedClock) -> None:
    sink = EngineSink(runtime.factory, runtime.ctx)
    senders = ["whatsapp:+573005550011", "whatsapp:+573005550012", "whatsapp:+573005550013"]
    for n, sender in enumerate(senders):
        sink.accept_now(inbound(clock, f"SMH{n}", sender))
    sink.route_accepted()
    with runtime.factory() as session, session.begin():
        for item in session.scalars(select(OutboxItem).where(OutboxItem.channel == "whatsapp")):
            item.status = "held"
    clock.advance(timedelta(days=2))

    async def group() -> list[bool]:   # the first two write back together
        return list(await asyncio.gather(*(sink.accept(inbound(clock, f"SMW{n}", sender))
                                           for n, sender in enumerate(senders[:2]))))

    assert asyncio.run(group()) == [True, True]
    with runtime.factory() as session:
        rows = session.execute(select(OutboxItem.recipient, OutboxItem.status,
                                      OutboxItem.next_attempt_at)
                               .where(OutboxItem.channel == "whatsapp")).all()
    assert [(r.recipient, r.status) for r in rows if r.status == "held"] == [(senders[2], "held")]
    assert {(r.recipient, r.next_attempt_at) for r in rows if r.status != "held"} == {
        (sender, clock.now()) for sender in senders[:2]}
