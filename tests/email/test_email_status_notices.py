"""Status notices by mail: an agent who sets "waiting on you" with only an internal note has
the customer told in the thread of their mail; an agent who asks in the reply sends one mail,
the answer, and no notice besides."""

from __future__ import annotations

from bot.app import Runtime
from tests.email.mailkit import AGENT, MailDesk, mail, reply, run, ticket

CLIENTE = "carla@cliente.co"
PROBLEMA = ("Nos debitaron dos veces la mensualidad y necesitamos la devolución del dinero, "
            "ya revisamos el extracto")
CUSTOMER = "john@customer.com"
PROBLEM = ("The invoice export fails with an error every time we try to download last "
           "month's sales report, we already restarted the application")


def test_es_esperando_tu_respuesta_llega_en_el_hilo_sin_la_nota_interna(
        desk: MailDesk, email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            aviso = await desk.open_ticket(mail(CLIENTE, "Cobro doble", PROBLEMA))
            await desk.send(reply(aviso, AGENT, "#note falta el número de la factura\n"
                                                "#status waiting_customer"))
            await desk.deliver()
        [creado, esperando] = desk.inbox(CLIENTE)
        texto = esperando.message.get_content()
        assert "Tu ticket #1 (Cobro doble) está esperando tu respuesta" in texto
        assert "falta el número" not in texto
        assert esperando.message["Subject"] == "Re: Cobro doble [#1]"
        assert esperando.message["In-Reply-To"] == creado.message["In-Reply-To"]

    run(scenario())
    assert ticket(email_runtime, 1).status == "waiting_customer"


def test_en_an_answer_that_asks_is_one_mail_with_no_notice_besides(
        desk: MailDesk, email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            notice = await desk.open_ticket(mail(CUSTOMER, "Invoice export broken", PROBLEM))
            await desk.send(reply(notice, AGENT, "Which browser do you use?\n"
                                                 "#status waiting_customer"))
            await desk.deliver()
        [_opened, answer] = desk.inbox(CUSTOMER)
        assert answer.message.get_content().strip() == "Which browser do you use?"

    run(scenario())
    assert ticket(email_runtime, 1).status == "waiting_customer"
