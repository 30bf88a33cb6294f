"""The inbox's doors over HTTP: no session no data, invites, sign-in, CSRF, lock-out, sign-out."""

from __future__ import annotations

from datetime import timedelta

from bot.cli.chat import ChatSession
from scheduler.clock import FixedClock
from tests.web.conftest import ANA, PASSWORD, Inbox, csrf_of


def test_the_inbox_without_a_session_redirects_to_sign_in_and_shows_no_ticket(
        inbox: Inbox, chat: ChatSession) -> None:
    chat.send("Quiero hablar con un agente: la factura 4455 tiene un cobro doble")
    with inbox.client() as client:
        page = client.get("/agent/")
        assert page.status_code == 303
        assert page.headers["location"] == "/agent/sign-in?next=/agent/"
        assert "factura" not in page.text
        partial = client.get("/agent/rows", headers={"HX-Request": "true"})
        assert partial.status_code == 401 and "factura" not in partial.text
        assert client.get("/agent/tickets/1").status_code == 303
        assert client.get("/agent/events").status_code == 401


def test_an_invite_sets_the_password_and_signs_in(inbox: Inbox, chat: ChatSession) -> None:
    chat.send("Quiero hablar con un agente: la factura 4455 tiene un cobro doble")
    client = inbox.signed_in(ANA)
    page = client.get("/agent/")
    assert page.status_code == 200
    assert "factura 4455" in page.text
    cookie = page.request.headers.get("cookie", "")
    assert "atiende_agent=" in cookie


def test_the_session_cookie_is_httponly_and_samesite(inbox: Inbox) -> None:
    with inbox.client() as client:
        page = client.get("/agent/sign-in")
    header = page.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=strict" in header and "path=/agent" in header


def test_an_invite_link_works_once(inbox: Inbox) -> None:
    link = inbox.invite(ANA)
    with inbox.client() as client:
        token = csrf_of(client.get(link))
        first = client.post(link, data={"csrf": token, "password": PASSWORD,
                                        "confirm": PASSWORD})
        again = client.get(link)
    assert first.status_code == 303
    assert again.status_code == 404
    assert "ya no sirve" in again.text


def test_a_short_or_mismatched_password_is_refused_with_the_reason(inbox: Inbox) -> None:
    link = inbox.invite(ANA)
    with inbox.client() as client:
        token = csrf_of(client.get(link))
        short = client.post(link, data={"csrf": token, "password": "corta",
                                        "confirm": "corta"})
        other = client.post(link, data={"csrf": token, "password": PASSWORD,
                                        "confirm": PASSWORD + "x"})
    assert short.status_code == 400 and "al menos 10" in short.text
    assert other.status_code == 400 and "no coinciden" in other.text


def test_only_configured_agents_can_be_invited(inbox: Inbox) -> None:
    import pytest

    from bot.web.agent.accounts import AccountError
    with pytest.raises(AccountError):
        inbox.invite("intruso@example.com")


def sign_in(client, email: str, password: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/agent/sign-in"))
    return client.post("/agent/sign-in", data={"csrf": token, "email": email,
                                               "password": password, "next": "/agent/"})


def test_sign_in_with_the_password_and_wrong_passwords_are_401(inbox: Inbox) -> None:
    inbox.signed_in(ANA).close()
    with inbox.client() as client:
        wrong = sign_in(client, ANA, "not the password")
        assert wrong.status_code == 401 and "incorrectos" in wrong.text
        right = sign_in(client, ANA.upper(), PASSWORD)
        assert right.status_code == 303 and right.headers["location"] == "/agent/"
        assert client.get("/agent/").status_code == 200


def test_a_sign_in_without_the_csrf_token_is_rejected(inbox: Inbox) -> None:
    inbox.signed_in(ANA).close()
    with inbox.client() as client:
        client.get("/agent/sign-in")
        answer = client.post("/agent/sign-in", data={"email": ANA, "password": PASSWORD})
        assert answer.status_code == 403
        assert client.get("/agent/").status_code == 303


def test_repeated_failures_lock_the_account_until_the_time_is_up(
        inbox: Inbox, clock: FixedClock) -> None:
    inbox.signed_in(ANA).close()
    failures = inbox.runtime.config.inbox.lockout_failures
    with inbox.client() as client:
        for _ in range(failures):
            sign_in(client, ANA, "guess")
        locked = sign_in(client, ANA, PASSWORD)
        assert locked.status_code == 429 and "Demasiados intentos" in locked.text
        clock.advance(timedelta(minutes=inbox.runtime.config.inbox.lockout_minutes + 1))
        assert sign_in(client, ANA, PASSWORD).status_code == 303


def test_sign_out_ends_the_session_even_for_a_copied_cookie(inbox: Inbox) -> None:
    client = inbox.signed_in(ANA)
    page = client.get("/agent/")
    copied = dict(client.cookies)
    out = client.post("/agent/sign-out", data={"csrf": csrf_of(page)})
    assert out.status_code == 303
    with inbox.client() as thief:
        thief.cookies.update(copied)
        assert thief.get("/agent/").status_code == 303


def test_a_session_expires_after_the_configured_hours(inbox: Inbox, clock: FixedClock) -> None:
    client = inbox.signed_in(ANA)
    clock.advance(timedelta(hours=inbox.runtime.config.inbox.session_hours, minutes=1))
    assert client.get("/agent/").status_code == 303


def test_a_forged_cookie_is_ignored(inbox: Inbox) -> None:
    with inbox.client() as client:
        client.cookies.set("atiende_agent", "eyJlIjoiYW5hQGV4YW1wbGUuY29tIn0.forged")
        assert client.get("/agent/").status_code == 303


def test_the_ui_language_follows_the_agents_choice(inbox: Inbox) -> None:
    client = inbox.signed_in(ANA)
    page = client.get("/agent/")
    assert "Sin asignar" in page.text
    switched = client.post("/agent/language", data={"csrf": csrf_of(page), "lang": "en",
                                                     "next": "/agent/"})
    assert switched.status_code == 303
    client.cookies.delete("atiende_lang")
    assert "Unassigned" in client.get("/agent/").text  # kept on the account, not the cookie
