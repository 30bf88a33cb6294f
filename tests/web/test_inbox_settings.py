"""/agent/settings over HTTP: only supervisors open or post it; agents' invites and unlocks;
the canned responses folder written from the browser; CSRF on every form."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import Runtime, build_runtime
from bot.config.root import AtiendeConfig
from bot.web.agent.accounts import find_account
from bot.web.app import create_web_app
from scheduler.clock import FixedClock
from tests.conftest import REPO
from tests.fakes.loopback import LoopbackServer
from tests.web.conftest import ANA, LUIS, PASSWORD, Inbox, csrf_of

SUPERVISOR_PAGES = ["/agent/settings", "/agent/settings/canned/new",
                    "/agent/settings/canned/saludo"]
SUPERVISOR_POSTS = ["/agent/settings/agents/invite", "/agent/settings/agents/unlock",
                    "/agent/settings/canned", "/agent/settings/canned/saludo",
                    "/agent/settings/canned/saludo/delete"]


@pytest.fixture
def canned(tmp_path: Path) -> Path:
    """A copy of the sample canned/ folder: the tests write into it."""
    folder = tmp_path / "canned"
    shutil.copytree(REPO / "canned", folder)
    return folder


@pytest.fixture
def desk(config: AtiendeConfig, clock: FixedClock, canned: Path) -> Iterator[Inbox]:
    data = config.model_dump(by_alias=True)
    data["inbox"]["canned_path"] = str(canned)
    runtime = build_runtime(AtiendeConfig.model_validate({**data, "source": config.source}),
                            clock)
    with LoopbackServer(create_web_app(runtime)) as server:
        yield Inbox(server.url, runtime)
    runtime.engine.dispose()


def account(runtime: Runtime, email: str):  # type: ignore[no-untyped-def]
    with runtime.factory() as session:
        found = find_account(session, email)
        assert found is not None
        session.expunge(found)
        return found


@pytest.mark.parametrize("path", SUPERVISOR_PAGES)
def test_an_agent_who_is_not_a_supervisor_gets_403_with_a_page_saying_why(
        desk: Inbox, path: str) -> None:
    page = desk.signed_in(ANA).get(path)
    assert page.status_code == 403
    assert "Solo un supervisor puede cambiar esto." in page.text
    assert "supervisor: true" in page.text


def test_an_agent_cannot_post_settings_and_nothing_changes(desk: Inbox, canned: Path) -> None:
    client = desk.signed_in(ANA)
    csrf = csrf_of(client.get("/agent/"))
    before = sorted(p.name for p in canned.iterdir())
    for path in SUPERVISOR_POSTS:
        answer = client.post(path, data={"csrf": csrf, "email": ANA, "id": "nuevo",
                                         "title": "T", "body": "B"})
        assert answer.status_code == 403, path
    assert sorted(p.name for p in canned.iterdir()) == before
    assert (canned / "saludo.md").exists()


def test_without_a_session_settings_redirect_to_sign_in(desk: Inbox) -> None:
    client = desk.client()
    answer = client.get("/agent/settings")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/agent/sign-in?next=")
    assert client.post("/agent/settings/canned", data={"id": "x"}).status_code == 303


def test_the_settings_link_is_shown_to_supervisors_only(desk: Inbox) -> None:
    assert 'id="nav-settings"' not in desk.signed_in(ANA).get("/agent/").text
    assert 'id="nav-settings"' in desk.signed_in(LUIS).get("/agent/").text


def test_a_supervisor_sees_agents_canned_responses_and_business_hours(desk: Inbox) -> None:
    page = desk.signed_in(LUIS).get("/agent/settings")
    assert page.status_code == 200
    assert 'data-agent="ana@example.com"' in page.text
    assert 'data-canned="saludo"' in page.text
    assert "America/Bogota" in page.text and "08:00-17:00" in page.text


def test_a_supervisor_invites_an_agent_and_the_link_works(desk: Inbox) -> None:
    client = desk.signed_in(LUIS)
    csrf = csrf_of(client.get("/agent/settings"))
    page = client.post("/agent/settings/agents/invite", data={"csrf": csrf, "email": ANA})
    assert page.status_code == 200
    link = page.text.split('<code class="link-out">')[1].split("</code>")[0]
    path = "/agent/invite/" + link.rsplit("/agent/invite/", 1)[1]
    agent = desk.client()
    form = agent.get(path)
    assert form.status_code == 200
    done = agent.post(path, data={"csrf": csrf_of(form), "password": PASSWORD,
                                  "confirm": PASSWORD})
    assert done.status_code == 303


def test_inviting_someone_not_under_agents_is_a_400_with_the_reason(desk: Inbox) -> None:
    client = desk.signed_in(LUIS)
    csrf = csrf_of(client.get("/agent/settings"))
    page = client.post("/agent/settings/agents/invite",
                       data={"csrf": csrf, "email": "intruso@example.com"})
    assert page.status_code == 400
    assert "no está en agents:" in page.text


def test_a_supervisor_unlocks_a_locked_out_agent(desk: Inbox, clock: FixedClock) -> None:
    desk.signed_in(ANA)
    stranger = desk.client()
    for _ in range(desk.runtime.config.inbox.lockout_failures):
        csrf = csrf_of(stranger.get("/agent/sign-in"))
        stranger.post("/agent/sign-in", data={"csrf": csrf, "email": ANA, "password": "wrong"})
    assert account(desk.runtime, ANA).locked_until is not None
    client = desk.signed_in(LUIS)
    page = client.get("/agent/settings")
    assert 'class="unlock"' in page.text
    answer = client.post("/agent/settings/agents/unlock",
                         data={"csrf": csrf_of(page), "email": ANA})
    assert answer.status_code == 303
    assert account(desk.runtime, ANA).locked_until is None
    csrf = csrf_of(stranger.get("/agent/sign-in"))
    assert stranger.post("/agent/sign-in", data={"csrf": csrf, "email": ANA,
                                                 "password": PASSWORD}).status_code == 303


def test_settings_forms_without_the_csrf_token_are_refused_and_change_nothing(
        desk: Inbox, canned: Path) -> None:
    client = desk.signed_in(LUIS)
    before = (canned / "saludo.md").read_text(encoding="utf-8")
    for path, data in [("/agent/settings/canned/saludo", {"title": "X", "body": "Y"}),
                       ("/agent/settings/canned/saludo/delete", {}),
                       ("/agent/settings/canned", {"id": "otro", "title": "X", "body": "Y"}),
                       ("/agent/settings/agents/invite", {"email": ANA}),
                       ("/agent/settings/agents/unlock", {"email": ANA})]:
        answer = client.post(path, data={"csrf": "forged", **data})
        assert answer.status_code == 403, path
        assert "El formulario caducó" in answer.text
    assert (canned / "saludo.md").read_text(encoding="utf-8") == before
    assert not (canned / "otro.md").exists()
    with desk.runtime.factory() as session:
        assert find_account(session, ANA) is None   # never invited


def test_a_supervisor_creates_edits_and_deletes_a_canned_response(
        desk: Inbox, canned: Path) -> None:
    client = desk.signed_in(LUIS)
    csrf = csrf_of(client.get("/agent/settings/canned/new"))
    answer = client.post("/agent/settings/canned", data={
        "csrf": csrf, "id": "espera", "title": "Pedir un momento", "lang": "es",
        "body": "Hola {nombre}, deme un momento con el ticket #{ticket}."})
    assert answer.status_code == 303
    assert 'data-canned="espera"' in client.get("/agent/settings").text
    answer = client.post("/agent/settings/canned/espera", data={
        "csrf": csrf, "title": "Pedir un momento", "lang": "es", "body": "Un momento, {nombre}."})
    assert answer.status_code == 303
    assert "Un momento, {nombre}." in (canned / "espera.md").read_text(encoding="utf-8")
    assert client.post("/agent/settings/canned/espera/delete",
                       data={"csrf": csrf}).status_code == 303
    assert not (canned / "espera.md").exists()


def test_a_saved_canned_response_is_offered_in_conversations(desk: Inbox,
                                                             chat_number: int) -> None:
    client = desk.signed_in(LUIS)
    csrf = csrf_of(client.get("/agent/settings/canned/new"))
    client.post("/agent/settings/canned", data={
        "csrf": csrf, "id": "espera", "title": "Pedir un momento", "lang": "",
        "body": "Hola {nombre}, reviso el ticket #{ticket}."})
    page = client.get(f"/agent/tickets/{chat_number}").text
    assert ">Pedir un momento</option>" in page
    assert f"reviso el ticket #{chat_number}." in page


@pytest.mark.parametrize(("data", "reason"), [
    ({"id": "Mal Nombre", "title": "T", "body": "B"}, "Nombre de archivo no válido"),
    ({"id": "../fuera", "title": "T", "body": "B"}, "Nombre de archivo no válido"),
    ({"id": "vacio", "title": "", "body": "B"}, "El título es obligatorio"),
    ({"id": "sin-texto", "title": "T", "body": "  "}, "El texto es obligatorio"),
    ({"id": "idioma", "title": "T", "body": "B", "lang": "fr"}, "Idioma no válido"),
    ({"id": "saludo", "title": "T", "body": "B"}, "Ya existe una respuesta"),
])
def test_a_bad_canned_response_is_a_400_and_what_was_typed_stays(
        desk: Inbox, canned: Path, data: dict[str, str], reason: str) -> None:
    client = desk.signed_in(LUIS)
    csrf = csrf_of(client.get("/agent/settings/canned/new"))
    before = sorted(p.name for p in canned.iterdir())
    answer = client.post("/agent/settings/canned", data={"csrf": csrf, **data})
    assert answer.status_code == 400
    assert reason in answer.text
    assert f'value="{data["title"]}"' in answer.text
    assert sorted(p.name for p in canned.iterdir()) == before
    assert not (canned.parent / "fuera.md").exists()


def test_an_unknown_canned_response_is_404(desk: Inbox) -> None:
    client = desk.signed_in(LUIS)
    assert client.get("/agent/settings/canned/no-existe").status_code == 404
    csrf = csrf_of(client.get("/agent/settings"))
    assert client.post("/agent/settings/canned/no-existe/delete",
                       data={"csrf": csrf}).status_code == 404
    edit = client.post("/agent/settings/canned/no-existe",
                       data={"csrf": csrf, "title": "T", "body": "B"})
    assert edit.status_code == 404 and "no existe" in edit.text


@pytest.fixture
def chat_number(desk: Inbox) -> int:
    """A ticket opened by a customer on the console channel."""
    from bot.engine.pipeline import receive
    from channels.base import InboundMessage

    result = receive(desk.runtime.factory, desk.runtime.ctx, InboundMessage(
        channel="console", provider_message_id="c-1", sender="console:carla",
        sender_name="Carla", text="Quiero hablar con un agente, la factura llegó doble",
        received_at=desk.runtime.clock.now()))
    assert result is not None and result.ticket_number is not None
    return result.ticket_number

