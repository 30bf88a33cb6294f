"""What a support team expects of mail: one reply per mail, web forms that are people, and
replies in a ticket's thread that land on that ticket."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.app import Runtime
from bot.store.models import Message, Ticket
from tests.email.mailkit import AGENT, MailDesk, events, mail, reply, rows, run, ticket

CUSTOMER = "john@customer.com"
PROBLEM = ("The invoice export fails with an error every time we try to download last "
           "month's sales report, we already restarted the application")
NIGHT = datetime(2026, 11, 24, 21, 30, tzinfo=ZoneInfo("America/Bogota"))


def test_out_of_hours_one_mail_holds_the_notice_and_the_ticket(
        desk: MailDesk, email_runtime: Runtime) -> None:
    email_runtime.ctx.clock.set(NIGHT)  # type: ignore[attr-defined]

    async def scenario() -> None:
        async with desk.running():
            await desk.send(mail(CUSTOMER, "Invoice export broken", PROBLEM))
            await desk.deliver()
        [only] = desk.inbox(CUSTOMER)
        text = only.message.get_content()
        assert "Our team answers" in text and "I opened ticket #1" in text

    run(scenario())
    assert ticket(email_runtime, 1).subject == "Invoice export broken"


def test_a_contact_form_from_no_reply_is_the_reply_to_person(
        desk: MailDesk, email_runtime: Runtime) -> None:
    form = mail("noreply@forms.example.org", "New contact form submission", PROBLEM,
                headers={"Reply-To": "Jane Roe <jane@customer.com>"})

    async def scenario() -> None:
        async with desk.running():
            assert "(customer)" in await desk.send(form)
            await desk.deliver()
        [answer] = desk.inbox("jane@customer.com")
        assert "I opened ticket #1" in answer.message.get_content()

    run(scenario())
    [stored] = rows(email_runtime, Message, Message.direction == "in")
    assert stored.sender == "jane@customer.com"
    assert len(rows(email_runtime, Ticket)) == 1


def test_a_no_reply_without_a_reply_to_stays_automated(desk: MailDesk,
                                                       email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            assert "(automated)" in await desk.send(
                mail("noreply@forms.example.org", "Weekly digest", PROBLEM))
            await desk.deliver()

    run(scenario())
    assert rows(email_runtime, Ticket) == []


def test_the_screenshot_in_the_tickets_thread_goes_to_the_ticket_not_the_kb(
        desk: MailDesk, email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            await desk.send(mail(CUSTOMER, "Export", PROBLEM))
            await desk.deliver()
            [created] = desk.inbox(CUSTOMER)
            await desk.send(reply(created, CUSTOMER, "Attached is the screenshot you asked for"))
            await desk.deliver()
        answer = desk.inbox(CUSTOMER)[-1].message.get_content()
        assert "#1" in answer and "Did this help?" not in answer
        assert len(desk.inbox(AGENT)) == 2   # the new ticket, then the customer's follow-up

    run(scenario())
    screenshot = rows(email_runtime, Message, Message.text.like("Attached is the screenshot%"))[0]
    assert screenshot.ticket_id == ticket(email_runtime, 1).id
    assert events(email_runtime, "kb_answered") == []


def test_while_an_agent_works_the_ticket_a_question_goes_to_the_ticket(
        desk: MailDesk, email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            notice = await desk.open_ticket(mail(CUSTOMER, "Export", PROBLEM))
            await desk.send(reply(notice, AGENT, "John, could you send us a screenshot?"))
            await desk.deliver()
            await desk.send(mail(CUSTOMER, "Screenshot", "How do I attach a screenshot?"))
            await desk.deliver()
        assert "Did this help?" not in desk.inbox(CUSTOMER)[-1].message.get_content()

    run(scenario())
    question = rows(email_runtime, Message, Message.text.like("How do I attach%"))[0]
    assert question.ticket_id == ticket(email_runtime, 1).id
