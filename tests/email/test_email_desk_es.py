"""Lo que el equipo de soporte espera del correo: una respuesta por correo, formularios web que
son personas, y respuestas en el hilo de un ticket que llegan a ese ticket."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.app import Runtime, build_runtime
from bot.config.root import AtiendeConfig
from bot.store.models import Message, Ticket
from scheduler.clock import FixedClock
from tests.email.conftest import with_email
from tests.email.mailkit import AGENT, MailDesk, events, mail, reply, rows, run, ticket
from tests.servers.smtp_sink import SmtpSink

CLIENTE = "carla@cliente.co"
PROBLEMA = ("Nos debitaron dos veces la mensualidad y necesitamos la devolución del dinero, "
            "ya revisamos el extracto")
SABADO = datetime(2026, 11, 28, 11, 0, tzinfo=ZoneInfo("America/Bogota"))


def test_fuera_de_horario_un_solo_correo_con_el_aviso_y_el_ticket(
        desk: MailDesk, email_runtime: Runtime) -> None:
    email_runtime.ctx.clock.set(SABADO)  # type: ignore[attr-defined]

    async def scenario() -> None:
        async with desk.running():
            await desk.send(mail(CLIENTE, "Cobro doble en la tarjeta", PROBLEMA))
            await desk.deliver()
        [unico] = desk.inbox(CLIENTE)
        texto = unico.message.get_content()
        assert "Nuestro equipo responde" in texto and "Creé tu ticket #1" in texto
        assert texto.index("Nuestro equipo responde") < texto.index("Creé tu ticket #1")

    run(scenario())
    creado = ticket(email_runtime, 1)
    assert creado.subject == "Cobro doble en la tarjeta"
    [aviso] = desk.inbox(AGENT)
    assert aviso.message["Subject"] == "[#1] Cobro doble en la tarjeta"


def form_mail(sender: str, headers: dict[str, str] | None = None) -> object:
    return mail(sender, "Nuevo mensaje del formulario de contacto", PROBLEMA,
                headers={"Reply-To": "Marta Gómez <marta@cliente.co>", **(headers or {})})


def test_el_formulario_web_desde_no_reply_es_la_persona_del_reply_to(
        desk: MailDesk, email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            assert "(customer)" in await desk.send(form_mail("no-reply@web.tuqr.co"))
            await desk.deliver()
        [respuesta] = desk.inbox("marta@cliente.co")
        assert "Creé tu ticket #1" in respuesta.message.get_content()
        assert desk.inbox("no-reply@web.tuqr.co") == []

    run(scenario())
    [guardado] = rows(email_runtime, Message, Message.direction == "in")
    assert (guardado.sender, guardado.status) == ("marta@cliente.co", "processed")
    assert rows(email_runtime, Ticket)[0].subject == "Nuevo mensaje del formulario de contacto"


def test_un_no_reply_con_marcas_automaticas_sigue_siendo_automatico(
        desk: MailDesk, email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            automatico = form_mail("no-reply@web.tuqr.co", {"Auto-Submitted": "auto-generated"})
            assert "(automated)" in await desk.send(automatico)
            await desk.deliver()
        assert desk.inbox("marta@cliente.co") == []

    run(scenario())
    assert rows(email_runtime, Ticket) == []


def test_un_remitente_de_formulario_configurado_es_siempre_la_persona(
        email_config: AtiendeConfig, sink: SmtpSink, clock: FixedClock) -> None:
    config = with_email(email_config, form_senders=("formularios@tuqr.co",))
    runtime = build_runtime(config, clock)
    desk = MailDesk(runtime, sink)

    async def scenario() -> None:
        async with desk.running():
            formulario = form_mail("Formularios@tuqr.co", {"Auto-Submitted": "auto-generated"})
            assert "(customer)" in await desk.send(formulario)
            await desk.deliver()
        assert len(desk.inbox("marta@cliente.co")) == 1

    run(scenario())
    [guardado] = rows(runtime, Message, Message.direction == "in")
    assert guardado.sender == "marta@cliente.co"
    runtime.engine.dispose()


def test_la_captura_en_el_hilo_del_ticket_llega_al_ticket_no_al_kb(
        desk: MailDesk, email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            await desk.send(mail(CLIENTE, "Cobro doble", PROBLEMA))
            await desk.deliver()
            [creado] = desk.inbox(CLIENTE)
            await desk.send(reply(creado, CLIENTE, "Adjunto la captura de pantalla que me "
                                                   "pidieron"))
            await desk.deliver()
        respuesta = desk.inbox(CLIENTE)[-1].message.get_content()
        assert "#1" in respuesta and "¿Te ayudó?" not in respuesta
        assert "escribió en el ticket #1" in desk.inbox(AGENT)[-1].message.get_content()

    run(scenario())
    captura = rows(email_runtime, Message, Message.text.like("Adjunto la captura%"))[0]
    assert captura.ticket_id == ticket(email_runtime, 1).id
    assert len(events(email_runtime, "kb_answered")) == 0


def test_mientras_el_agente_trabaja_el_ticket_una_pregunta_va_al_ticket(
        desk: MailDesk, email_runtime: Runtime) -> None:
    async def scenario() -> None:
        async with desk.running():
            aviso = await desk.open_ticket(mail(CLIENTE, "Cobro doble", PROBLEMA))
            await desk.send(reply(aviso, AGENT, "Carla, ¿nos envías una captura del cobro?"))
            await desk.deliver()
            suelto = mail(CLIENTE, "Captura", "¿Cómo adjunto la captura de pantalla del cobro?")
            await desk.send(suelto)
            await desk.deliver()
        assert "¿Te ayudó?" not in desk.inbox(CLIENTE)[-1].message.get_content()

    run(scenario())
    pregunta = rows(email_runtime, Message, Message.text.like("¿Cómo adjunto%"))[0]
    assert pregunta.ticket_id == ticket(email_runtime, 1).id
