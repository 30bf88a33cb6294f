"""Agent replies with `channels.email.require_dmarc_for_agents`: relayed only when a trusted
receiving server wrote dmarc=pass for the agent's domain — over real SMTP in and out."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.app import Runtime
from bot.config.root import AtiendeConfig
from bot.store.models import Message
from channels.email.config import EmailConfig
from tests.email.conftest import with_email
from tests.email.mailkit import AGENT, MailDesk, events, mail, reply, rows, run, ticket

CUSTOMER = "carla@cliente.co"
PROBLEM = ("Nos debitaron dos veces la mensualidad y necesitamos la devolución del dinero, "
           "ya revisamos el extracto")
ANSWER = "Hola Carla, ya pedimos la devolución."
TRUSTED = "mx.example.com"
PASS = f"{TRUSTED}; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com; " \
       "dmarc=pass (p=reject) header.from=example.com"


@pytest.fixture
def dmarc_required() -> bool:
    return True


@pytest.fixture
def email_config(email_config: AtiendeConfig, dmarc_required: bool) -> AtiendeConfig:
    return with_email(email_config, require_dmarc_for_agents=dmarc_required,
                      trusted_authserv_ids=(TRUSTED, "mx2.example.com"))


def agent_answers(desk: MailDesk, results: list[str]) -> tuple[str, list[str]]:
    """A customer mails, the agent answers the ticket's notice with these
    Authentication-Results headers; the SMTP reply and what reached the customer."""
    async def scenario() -> tuple[str, list[str]]:
        async with desk.running():
            notice = await desk.open_ticket(mail(CUSTOMER, "Cobro doble", PROBLEM))
            answer = reply(notice, AGENT, ANSWER)
            for value in results:
                answer["Authentication-Results"] = value
            outcome = await desk.send(answer)
            await desk.deliver()
        return outcome, [r.message.get_content().strip() for r in desk.inbox(CUSTOMER)[1:]]

    return run(scenario())  # type: ignore[return-value]


def test_an_agent_reply_with_dmarc_pass_from_the_trusted_server_is_relayed(
        desk: MailDesk, email_runtime: Runtime) -> None:
    outcome, received = agent_answers(desk, [PASS])
    assert "agent_relayed" in outcome
    assert received == [ANSWER]
    assert ticket(email_runtime, 1).first_response_at is not None
    [stored] = rows(email_runtime, Message, Message.sender == AGENT)
    assert stored.raw["dmarc_results"][0] == {
        "authserv_id": TRUSTED, "dmarc": "pass", "header_from": "example.com"}


@pytest.mark.parametrize("results", [
    pytest.param([f"{TRUSTED}; dmarc=fail (p=reject) header.from=example.com"], id="fail"),
    pytest.param([], id="missing"),
    pytest.param(["relay.attacker.org; dmarc=pass header.from=example.com"], id="untrusted"),
    pytest.param([f"{TRUSTED}; dmarc=pass header.from=elsewhere.org"], id="other-domain"),
    pytest.param([f"{TRUSTED}; spf=pass smtp.mailfrom=example.com"], id="no-dmarc-method"),
])
def test_an_agent_reply_without_a_trusted_dmarc_pass_is_flagged_not_relayed(
        desk: MailDesk, email_runtime: Runtime, results: list[str]) -> None:
    outcome, received = agent_answers(desk, results)
    assert "agent_flagged" in outcome
    assert received == []
    [event] = events(email_runtime, "spoofed_agent_mail")
    assert "no dmarc=pass from a trusted authserv-id" in event.detail
    [stored] = rows(email_runtime, Message, Message.sender == AGENT)
    assert (stored.status, stored.text) == ("flagged", ANSWER)   # kept for the agents to see
    assert ticket(email_runtime, 1).first_response_at is None


def test_a_forged_pass_below_the_trusted_servers_fail_does_not_count(
        desk: MailDesk, email_runtime: Runtime) -> None:
    outcome, received = agent_answers(desk, [
        f"{TRUSTED}; dmarc=fail header.from=example.com",
        "attacker.example.org; dmarc=pass header.from=example.com"])
    assert "agent_flagged" in outcome and received == []


def test_the_second_trusted_server_counts_too(desk: MailDesk) -> None:
    outcome, received = agent_answers(desk, [
        "mx2.example.com; dmarc=pass header.from=example.com"])
    assert "agent_relayed" in outcome and received == [ANSWER]


@pytest.mark.parametrize("dmarc_required", [False])
def test_with_the_option_off_a_signed_agent_reply_is_relayed_without_the_header(
        desk: MailDesk, dmarc_required: bool) -> None:
    outcome, received = agent_answers(desk, [])
    assert "agent_relayed" in outcome and received == [ANSWER]


def test_the_customer_answering_the_tickets_address_is_not_held_to_dmarc(
        desk: MailDesk, email_runtime: Runtime) -> None:
    async def scenario() -> str:
        async with desk.running():
            notice = await desk.open_ticket(mail(CUSTOMER, "Cobro doble", PROBLEM))
            follow_up = mail(CUSTOMER, "Re: [#1] Cobro doble", "Adjunto el extracto del banco "
                             "con los dos cobros del mes", to=str(notice.message["Reply-To"]))
            return await desk.send(follow_up)

    assert "agent" not in run(scenario())
    assert events(email_runtime, "spoofed_agent_mail") == []


def test_the_option_without_a_trusted_server_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="trusted_authserv_ids"):
        EmailConfig(require_dmarc_for_agents=True)
    assert EmailConfig(require_dmarc_for_agents=True,
                       trusted_authserv_ids=("mx.example.com",)).require_dmarc_for_agents
