"""Conversaciones por correo en español: SMTP real de entrada y salida, agentes que responden."""

from __future__ import annotations

from bot.app import Runtime
from bot.cli.chat import ChatSession
from bot.store.models import Message, OutboxItem
from channels.email.addresses import reply_address
from channels.email.reply_address import sign_ticket
from tests.email.mailkit import (
    AGENT,
    SUPPORT,
    MailDesk,
    events,
    mail,
    outbox,
    reply,
    rows,
    run,
    ticket,
)

CLIENTE = "carla@cliente.co"
PROBLEMA = ("Nos debitaron dos veces la mensualidad y necesitamos la devolución del dinero, "
            "ya revisamos el extracto")


def test_una_pregunta_del_kb_se_contesta_por_correo(desk: MailDesk) -> None:
    async def scenario() -> None:
        async with desk.running():
            pregunta = mail(CLIENTE, "Horario", "¿Cuál es el horario de atención?")
            assert (await desk.send(pregunta)).startswith("2.0.0 Stored")
            await desk.deliver()
        [respuesta] = desk.inbox(CLIENTE)
        texto = respuesta.message.get_content()
        assert "8:00" in texto and "¿Te ayudó? (sí/no)" in texto
        assert respuesta.message["Subject"] == "Re: Horario"
        assert respuesta.message["In-Reply-To"] == pregunta["Message-ID"]
        assert respuesta.message["Auto-Submitted"] == "auto-replied"
        assert respuesta.message["X-Auto-Response-Suppress"] == "All"
        assert respuesta.mail_from == SUPPORT

    run(scenario())


def test_sin_respuesta_ticket_agente_y_respuesta_al_cliente(desk: MailDesk,
                                                            email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            await desk.send(mail(CLIENTE, "Cobro doble", PROBLEMA))
            await desk.deliver()
            [creado] = desk.inbox(CLIENTE)
            assert "Creé tu ticket #1" in creado.message.get_content()
            assert "[#1]" in creado.message["Subject"]
            [aviso] = desk.inbox(AGENT)
            assert aviso.message["Subject"].startswith("[#1] ")
            assert "Nos debitaron dos veces" in aviso.message.get_content()
            firmado = reply_address(SUPPORT, 1, sign_ticket(desk.key, 1))
            assert aviso.message["Reply-To"] == firmado
            respuesta = reply(aviso, AGENT, "Hola Carla, ya pedimos la devolución.\n"
                                            "#priority high\n#note revisado con tesorería")
            assert "agent_relayed" in await desk.send(respuesta)
            await desk.deliver()
        recibido = desk.inbox(CLIENTE)[-1].message
        assert recibido.get_content().strip() == "Hola Carla, ya pedimos la devolución."
        assert "[#1]" in recibido["Subject"]

    run(scenario())
    creado = ticket(email_runtime, 1)
    assert (creado.priority, creado.assignee, creado.status) == ("high", AGENT, "in_progress")
    assert creado.first_response_at is not None
    assert [e.detail for e in events(email_runtime, "note")] == ["revisado con tesorería"]


def test_un_cliente_de_chat_recibe_en_su_chat_la_respuesta_del_agente(
        desk: MailDesk, email_runtime: Runtime) -> None:
    chat = ChatSession(email_runtime, "console:ana", "Ana Pérez")
    assert chat.send(PROBLEMA)["ticket"] == 1

    async def scenario() -> None:
        async with desk.running():
            await desk.deliver()
            [aviso] = desk.inbox(AGENT)
            assert "console" in aviso.message.get_content()
            await desk.send(reply(aviso, AGENT, "Ana, ya quedó la devolución.\n#resolve"))
            await desk.deliver()

    run(scenario())
    textos = [m.text for m in desk.chat]
    assert textos[0] == "Ana, ya quedó la devolución."
    assert any("#1" in t for t in textos[1:])  # the resolved notice and rating request follow
    assert ticket(email_runtime, 1).status == "resolved"


def test_respuestas_falsificadas_no_llegan_al_cliente(desk: MailDesk,
                                                      email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            aviso = await desk.open_ticket(mail(CLIENTE, "Cobro doble", PROBLEMA))
            firmado = str(aviso.message["Reply-To"])
            base = len(desk.inbox(CLIENTE))
            falsas = [
                mail(AGENT, "Re: [#1]", "Paga aquí: http://malo", to=reply_address(
                    SUPPORT, 1, "aaaaaaaaaaaaaaaa")),                  # bad signature
                mail("intruso@malo.co", "Re: [#1]", "Paga aquí", to=firmado),  # not an agent
                mail(AGENT, "Re: [#1] Cobro doble", "Sin firma", to=SUPPORT),   # unsigned
            ]
            for falsa in falsas:
                assert "agent_flagged" in await desk.send(falsa)
            await desk.deliver()
            assert len(desk.inbox(CLIENTE)) == base

    run(scenario())
    razones = [e.detail for e in events(email_runtime, "spoofed_agent_mail")]
    assert len(razones) == 3
    assert "bad or missing signature" in razones[0]
    assert "not a configured agent" in razones[1]
    assert "unsigned" in razones[2]
    assert ticket(email_runtime, 1).first_response_at is None
    flagged = rows(email_runtime, Message, Message.status == "flagged")
    assert len(flagged) == 3


def test_una_respuesta_a_la_direccion_de_otro_ticket_no_se_reenvia(
        desk: MailDesk, email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            await desk.send(mail(CLIENTE, "Cobro doble", PROBLEMA))
            await desk.send(mail("otro@cliente.co", "Factura", "La factura electrónica no "
                                 "llega al correo del contador desde el lunes pasado"))
            await desk.deliver()
            aviso_1, aviso_2 = desk.inbox(AGENT)
            cruzada = reply(aviso_1, AGENT, "Respuesta para el ticket 1")
            cruzada.replace_header("To", str(aviso_2.message["Reply-To"]))
            assert "agent_flagged" in await desk.send(cruzada, rcpt=str(aviso_2.message[
                "Reply-To"]))

    run(scenario())
    [evento] = events(email_runtime, "spoofed_agent_mail")
    assert "reply address is ticket #2 but the thread is ticket #1" in evento.detail
    assert ticket(email_runtime, 1).first_response_at is None
    assert ticket(email_runtime, 2).first_response_at is None


def test_una_respuesta_automatica_de_vacaciones_no_se_contesta(desk: MailDesk,
                                                               email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            await desk.send(mail(CLIENTE, "Cobro doble", PROBLEMA))
            await desk.deliver()
            [creado] = desk.inbox(CLIENTE)
            vacaciones = reply(creado, CLIENTE, "Estoy de vacaciones hasta el lunes.",
                               **{"Auto-Submitted": "auto-replied"})
            vacaciones.replace_header("Subject", "Respuesta automática: Cobro doble")
            assert "automated" in await desk.send(vacaciones)
            await desk.deliver()
            assert len(desk.inbox(CLIENTE)) == 1

    run(scenario())
    pendientes = rows(email_runtime, OutboxItem, OutboxItem.recipient == CLIENTE)
    assert len(pendientes) == 1
    [auto] = events(email_runtime, "automated_mail")
    assert "Auto-Submitted: auto-replied" in auto.detail
    assert len(outbox(email_runtime)) == 2  # the customer's ticket notice and the agent notice


def test_un_seguimiento_del_cliente_llega_al_agente_con_la_conversacion(
        desk: MailDesk, email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            await desk.send(mail(CLIENTE, "Cobro doble", PROBLEMA))
            await desk.deliver()
            [creado] = desk.inbox(CLIENTE)
            await desk.send(reply(creado, CLIENTE, "Les adjunto el extracto del banco de ayer"))
            await desk.deliver()
        avisos = desk.inbox(AGENT)
        assert len(avisos) == 2
        seguimiento = avisos[-1].message
        assert seguimiento["Subject"].startswith("[#1] ")
        texto = seguimiento.get_content()
        assert "escribió en el ticket #1" in texto
        historia = texto.partition("La conversación hasta ahora:")[2]
        assert "> Nos debitaron dos veces" in historia
        respuesta = desk.inbox(CLIENTE)[-1].message
        assert respuesta["References"] and creado.message["Message-ID"] in respuesta["References"]

    run(scenario())


def test_el_cliente_que_escribe_a_la_direccion_de_su_ticket_sigue_su_ticket(
        desk: MailDesk, email_runtime: Runtime) -> None:
    """Un agente copió al cliente; el cliente responde a la dirección firmada del ticket: no es
    un agente falso, es un seguimiento suyo (el de otra persona sí se marca)."""
    async def scenario() -> None:
        async with desk.running():
            await desk.send(mail(CLIENTE, "Cobro doble", PROBLEMA))
            await desk.deliver()
            firmado = str(desk.inbox(AGENT)[0].message["Reply-To"])
            seguimiento = mail(CLIENTE, "Extracto", "Les adjunto el extracto del banco de ayer",
                               to=firmado)
            assert "Stored (customer)" in await desk.send(seguimiento)
            ajeno = mail("otro@cliente.co", "Extracto", "Paguen aquí", to=firmado)
            assert "Stored (agent_flagged)" in await desk.send(ajeno)
            await desk.deliver()
        assert "escribió en el ticket #1" in desk.inbox(AGENT)[-1].message.get_content()

    run(scenario())
    del_cliente = rows(email_runtime, Message, Message.sender == CLIENTE)
    assert [m.ticket_id for m in del_cliente] == [ticket(email_runtime, 1).id] * 2
    assert {m.status for m in del_cliente} == {"processed"}
    [marcado] = events(email_runtime, "spoofed_agent_mail")
    assert "not a configured agent" in marcado.detail


def test_el_agente_cierra_asigna_y_cambia_la_categoria_por_correo(
        desk: MailDesk, email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            aviso = await desk.open_ticket(mail(CLIENTE, "Cobro doble", PROBLEMA))
            comandos = reply(aviso, AGENT, "#category technical\n#assign luis@example.com\n"
                                           "#close")
            assert "agent_relayed" in await desk.send(comandos)

    run(scenario())
    cerrado = ticket(email_runtime, 1)
    assert (cerrado.category, cerrado.assignee, cerrado.status) == (
        "technical", "luis@example.com", "closed")
    assert cerrado.closed_at is not None
