"""Email conversations in English: real SMTP in and out, agents answering by reply."""

from __future__ import annotations

from bot.app import Runtime
from bot.cli.chat import ChatSession
from bot.store.models import Message
from tests.email.mailkit import AGENT, MailDesk, events, mail, reply, rows, run, ticket
from tests.servers.smtp_sink import Received

CUSTOMER = "john@customer.com"
PROBLEM = ("The invoice export fails with an error every time we try to download last "
           "month's sales report, we already restarted the application")
CRASH = ("The work order screen freezes with error 500 every time our technicians save a visit, "
         "we already restarted the application twice")


def test_a_kb_question_is_answered_by_mail(desk: MailDesk) -> None:
    async def scenario() -> None:
        async with desk.running():
            await desk.send(mail(CUSTOMER, "Support hours", "What are your support hours?"))
            await desk.deliver()
        [answer] = desk.inbox(CUSTOMER)
        text = answer.message.get_content()
        assert "Did this help? (yes/no)" in text
        assert answer.message["Subject"] == "Re: Support hours"

    run(scenario())


def test_then_no_opens_a_ticket_the_agent_answers_by_mail(desk: MailDesk,
                                                         email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            question = mail(CUSTOMER, "Support hours", "What are your support hours?")
            await desk.send(question)
            await desk.deliver()
            [kb_answer] = desk.inbox(CUSTOMER)
            await desk.send(reply(kb_answer, CUSTOMER, "no"))
            await desk.deliver()
            assert "ticket #1" in desk.inbox(CUSTOMER)[-1].message.get_content()
            [notice] = desk.inbox(AGENT)
            assert notice.message["Subject"].startswith("[#1] ")
            answer = reply(notice, AGENT, "Hi John, we answer Mon-Fri 8:00-17:00.\n#resolve")
            assert "agent_relayed" in await desk.send(answer)
            await desk.deliver()
        texts = [r.message.get_content() for r in desk.inbox(CUSTOMER)]
        assert any(t.strip() == "Hi John, we answer Mon-Fri 8:00-17:00." for t in texts)

    run(scenario())
    solved = ticket(email_runtime, 1)
    assert solved.status == "resolved" and solved.assignee == AGENT
    assert solved.language == "en"


def test_a_chat_customer_gets_the_agents_mail_on_the_chat(desk: MailDesk,
                                                          email_runtime: Runtime) -> None:
    chat = ChatSession(email_runtime, "console:john", "John Smith")
    assert chat.send(PROBLEM)["ticket"] == 1

    async def scenario() -> None:
        async with desk.running():
            await desk.deliver()
            [notice] = desk.inbox(AGENT)
            await desk.send(reply(notice, AGENT, "John, please update to version 2.3."))
            await desk.deliver()

    run(scenario())
    assert [(m.channel, m.recipient, m.text) for m in desk.chat] == [
        ("console", "console:john", "John, please update to version 2.3.")]
    assert ticket(email_runtime, 1).first_response_at is not None


def test_a_stranger_using_the_ticket_tag_is_not_attached(desk: MailDesk,
                                                         email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            await desk.send(mail(CUSTOMER, "Export", PROBLEM))
            await desk.send(mail("mallory@evil.example", "Re: [#1] Export",
                                 "Please send me the invoices of this account to this address"))

    run(scenario())
    stranger = rows(email_runtime, Message, Message.sender == "mallory@evil.example")[0]
    assert stranger.thread == {"ignored_ticket": 1,
                                      "reason": "sender does not belong to that ticket"}
    assert stranger.ticket_id != ticket(email_runtime, 1).id


def test_an_out_of_office_reply_gets_no_answer(desk: MailDesk, email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            await desk.send(mail(CUSTOMER, "Export", PROBLEM))
            await desk.deliver()
            [created] = desk.inbox(CUSTOMER)
            auto = reply(created, CUSTOMER, "I am out of the office until Monday.",
                         **{"X-Autoreply": "yes", "Precedence": "auto_reply"})
            auto.replace_header("Subject", "Automatic reply: Export")
            assert "automated" in await desk.send(auto)
            await desk.deliver()
            assert len(desk.inbox(CUSTOMER)) == 1

    run(scenario())
    assert len(events(email_runtime, "automated_mail")) == 1


def test_an_agents_own_vacation_reply_is_not_relayed(desk: MailDesk,
                                                     email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            notice = await desk.open_ticket(mail(CUSTOMER, "Export", PROBLEM))
            away = reply(notice, AGENT, "I'm on vacation.", **{"Auto-Submitted": "auto-replied"})
            assert "automated" in await desk.send(away)
            await desk.deliver()
            assert len(desk.inbox(CUSTOMER)) == 1

    run(scenario())
    assert ticket(email_runtime, 1).first_response_at is None


async def open_two_tickets(desk: MailDesk) -> tuple[Received, Received]:
    """A technical ticket, then a billing one (the KB answer refused): both confirmations."""
    await desk.send(mail(CUSTOMER, "Work orders", CRASH))
    await desk.deliver()
    [first] = desk.inbox(CUSTOMER)
    assert "ticket #1" in first.message.get_content()
    await desk.send(mail(CUSTOMER, "Double charge",
                         "We were charged twice for this month's subscription, "
                         "please refund the duplicate payment to our card"))
    await desk.deliver()
    await desk.send(reply(desk.inbox(CUSTOMER)[-1], CUSTOMER, "no"))
    await desk.deliver()
    second = desk.inbox(CUSTOMER)[-1]
    assert "ticket #2" in second.message.get_content()
    return first, second


def test_a_reply_continues_the_ticket_of_its_thread(desk: MailDesk,
                                                     email_runtime: Runtime) -> None:
    """Two open tickets: a reply to the first one's mail goes to the first, not the latest."""
    async def scenario() -> None:
        async with desk.running():
            first, _ = await open_two_tickets(desk)
            await desk.send(reply(first, CUSTOMER,
                                  "The work order screen still fails after the update"))

    run(scenario())
    follow_up = rows(email_runtime, Message,
                     Message.text.like("The work order screen still%"))[0]
    assert follow_up.ticket_id == ticket(email_runtime, 1).id
    assert ticket(email_runtime, 2).status == "open"


def test_in_reply_to_decides_when_references_name_two_tickets(desk: MailDesk,
                                                               email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            first, second = await open_two_tickets(desk)
            follow_up = mail(CUSTOMER, "Re: refund", "The refund has not arrived at our bank yet",
                             in_reply_to=second.message["Message-ID"])
            del follow_up["References"]
            follow_up["References"] = (f"{first.message['Message-ID']} "
                                       f"{second.message['Message-ID']}")
            await desk.send(follow_up)

    run(scenario())
    [stored] = rows(email_runtime, Message, Message.text.like("The refund has not arrived%"))
    assert stored.ticket_id == ticket(email_runtime, 2).id
