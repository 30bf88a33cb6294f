"""Impact reasoning (issue 20), es and en: one user or one payment method failing while the
rest works is no emergency; an intrusion is one even when money or invoices are its topic;
the classifier reads how close a message is to each kind of impact."""

from __future__ import annotations

from pathlib import Path

import numpy
import pytest

from bot.config.root import load_config
from bot.engine.triage.classify import Triager
from bot.engine.triage.impact import EMERGENCY_GATE, adjust_priority, decide_category, read
from bot.engine.triage.meaning import GROUPS

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def triager() -> Triager:
    return Triager.from_config(load_config(REPO / "config.yaml", environ={}))


@pytest.mark.parametrize("text", [
    "a la cajera de la mañana le dice usuario bloqueado, los demás sí pueden entrar",
    "Our front desk girl is locked out since the update, everyone else works normally",
    "Google Pay fails at checkout but cards and cash are fine",
    # "nobody can pay" said of one method while another works: sales still go through
    "nadie puede pagar con Mercado Pago en la tienda, en efectivo sí",
    "Customers can't pay by bank transfer on the site, the rest works",
])
def test_a_partial_failure_is_not_an_emergency(triager: Triager, text: str) -> None:
    assert read(text).partial and not read(text).stopped
    verdict = triager.classify(text)
    assert verdict.category != "emergency" and verdict.priority != "critical"


@pytest.mark.parametrize("text", [
    "alguien cambió la cuenta bancaria del cobro y no fuimos nosotros, se llevaron lo de la semana",
    "The portal is showing another company's invoices and customer addresses to our users",
    # someone else's personal records shown to a customer: exposure, whatever the records are
    "una socia abrió su perfil y le salen los teléfonos y direcciones de otros socios",
    "A patient opened her receipt and it had another patient's name and card on it",
])
def test_an_intrusion_or_exposure_is_an_emergency_though_money_is_the_topic(
        triager: Triager, text: str) -> None:
    assert read(text).intrusion
    verdict = triager.classify(text)
    assert (verdict.category, verdict.priority) == ("emergency", "critical")


@pytest.mark.parametrize("text", [
    "la terminal les cobra dos veces a los socios en cada pago desde ayer",
    "Our members are charged twice for every class pack they buy online",
])
def test_every_end_customer_charged_wrongly_is_an_emergency(triager: Triager, text: str) -> None:
    assert read(text).customers_charged and read(text).stopped
    verdict = triager.classify(text)
    assert (verdict.category, verdict.priority) == ("emergency", "critical")


@pytest.mark.parametrize("text", [
    "me cobraron dos veces la suscripción, todos los meses pasa lo mismo",
    "We were charged twice this month for all our branches",
    "a un cliente le cobramos doble por error, cómo hago la devolución?",
])
def test_the_desk_charged_or_one_customer_charged_is_no_emergency(text: str) -> None:
    assert not read(text).customers_charged and not read(text).stopped


@pytest.mark.parametrize("text", [
    "soy el único usuario del local y no me llega el código de acceso, no podemos cobrar nada",
    "I'm the only admin and I lost my authenticator, nobody can approve today's orders",
])
def test_the_customers_own_only_user_locked_out_is_account(triager: Triager, text: str) -> None:
    assert read(text).own_lockout
    assert triager.classify(text).category == "account"


@pytest.mark.parametrize(("text", "priority"), [
    ("nos suspendieron la cuenta aunque ya pagamos la factura del mes", "high"),
    ("Our plan was downgraded even though the payment went through on Monday", "high"),
    ("una cajera que renunció el mes pasado todavía puede entrar, la dan de baja?", "medium"),
    ("A former receptionist still has a login, she left on good terms", "medium"),
    ("un ex empleado que se fue enojado sigue con acceso y amenaza con borrar todo", "high"),
])
def test_the_label_guides_priorities_for_a_paid_lock_and_a_former_employee(
        text: str, priority: str) -> None:
    category = "billing" if read(text).locked_though_paid else "account"
    assert adjust_priority(category, "low", read(text)) == priority


@pytest.mark.parametrize(("text", "medium"), [
    ("puse que la agenda cierre a las 20 pero igual se pueden reservar turnos a las 21", True),
    ("We set the tip to 10% but the receipts still show 15%", True),
    ("¿cómo configuro la propina para que salga en el recibo?", False),
])
def test_a_setting_the_product_does_not_follow_is_medium(text: str, medium: bool) -> None:
    assert read(text).setting_ignored == medium
    assert adjust_priority("functional", "low", read(text)) == ("medium" if medium else "low")


def test_exposure_is_harm_done_not_a_suspicion() -> None:
    signs = read("A patient opened her receipt and it had another patient's name and card on it")
    assert signs.intrusion and signs.harm


@pytest.mark.parametrize("text", [
    "¿cómo veo las reservas de otro usuario del equipo?",
    "How do I copy the price list from another branch?",
    "cuando atiendo a otro cliente se me borra el carrito",
])
def test_another_person_named_without_their_records_shown_is_no_exposure(text: str) -> None:
    assert not read(text).intrusion


@pytest.mark.parametrize("text", [
    "el sistema está muerto en todas las cajas, ni una venta desde las 9",
    "Our store has been offline all day, zero orders so far",
])
def test_everything_down_or_no_sale_at_all_is_critical(triager: Triager, text: str) -> None:
    assert read(text).stopped
    assert (triager.classify(text).category, triager.classify(text).priority) == (
        "emergency", "critical")


def test_a_low_emergency_score_lowers_an_emergency_verdict_unless_a_stop_is_said() -> None:
    ranked = ["emergency", "suggestion", "technical", "account"]
    vague = read("algo anda raro en la plataforma, alguien lo puede mirar")
    # lowered to the likeliest problem category: it reads as a problem report, not an idea
    assert decide_category(ranked, 0.5, vague, EMERGENCY_GATE - 0.01) == "technical"
    assert decide_category(ranked, 0.5, vague, EMERGENCY_GATE + 0.01) == "emergency"
    stop = read("no podemos vender nada, la caja no deja cobrar")
    assert stop.stopped
    assert decide_category(ranked, 0.5, stop, 0.0) == "emergency"


@pytest.mark.parametrize("text", [
    "el buscador de clientes tarda como un minuto en mostrar resultados",
    "Something looks off in the app, can someone check it?",
])
def test_a_slow_screen_or_a_vague_report_is_no_emergency(triager: Triager, text: str) -> None:
    verdict = triager.classify(text)
    assert verdict.category == "technical" and verdict.priority in ("medium", "high")


@pytest.mark.parametrize("text", [
    "no funciona nada desde las 8, avisen", "Nothing works since this morning, help",
])
def test_nothing_works_is_the_whole_product_down(triager: Triager, text: str) -> None:
    assert read(text).stopped
    assert triager.classify(text).category == "emergency"


@pytest.mark.parametrize("text", [
    "hay un usuario en la cuenta que nadie creó", "There is an admin user nobody created",
])
def test_an_unknown_user_is_a_suspected_intrusion(text: str) -> None:
    assert read(text).intrusion


def test_closeness_to_each_kind_of_impact_is_a_feature(triager: Triager) -> None:
    vectors = triager._vectors(["nadie puede pagar, todas las tarjetas rechazadas",
                                "olvidé mi contraseña"])
    closeness = triager.meaning.closeness(vectors)
    assert closeness.shape == (2, len(GROUPS))
    sales, one_user = GROUPS.index("sales_stopped"), GROUPS.index("one_user")
    assert closeness[0, sales] > closeness[1, sales]
    assert closeness[1, one_user] > closeness[0, one_user]
    assert numpy.all(closeness <= 1.0001)


@pytest.mark.parametrize(("short", "long"), [
    ("nadie puede pagar en la caja",
     "Buenas tardes, les escribo desde la sucursal del centro. Ayer hicimos el cambio de "
     "turno y reorganizamos los productos de la vitrina como cada mes. Nadie puede pagar en "
     "la caja. Quedo atenta, gracias."),
    ("no customer can pay us",
     "Hello team, I manage the downtown branch and we moved the shelves around yesterday "
     "as we do every month. No customer can pay us. Thanks in advance, Maria"),
])
def test_an_impact_sentence_counts_inside_a_long_message(
        triager: Triager, short: str, long: str) -> None:
    """The closest sentence decides each kind of impact, not the diluted whole email."""
    sales = GROUPS.index("sales_stopped")
    whole = triager.meaning.closeness(triager._vectors([long]))[0, sales]
    by_sentence = triager._sentence_closeness([long])[0, sales]
    alone = triager._sentence_closeness([short])[0, sales]
    assert by_sentence - whole > 0.5 * (alone - whole) > 0


def test_the_priority_model_reads_impact_within_each_category() -> None:
    """Each impact signal gets one column per category, filled only in the row's category."""
    from bot.engine.triage.model import CATEGORIES, IMPACT_COLUMNS, priority_inputs
    x = numpy.arange(2 * 40, dtype=numpy.float32).reshape(2, 40) / 80
    rows = priority_inputs(x, ["technical", "suggestion"])
    assert rows.shape == (2, 40 + len(CATEGORIES) * (1 + IMPACT_COLUMNS))
    within = rows[:, 40 + len(CATEGORIES):].reshape(2, len(CATEGORIES), IMPACT_COLUMNS)
    impact = x[:, -IMPACT_COLUMNS:]
    assert numpy.allclose(within[0, CATEGORIES.index("technical")], impact[0])
    assert numpy.allclose(within[1, CATEGORIES.index("suggestion")], impact[1])
    assert within[0].sum() == pytest.approx(impact[0].sum())
    assert within[1].sum() == pytest.approx(impact[1].sum())


def test_a_shared_direction_is_removed_only_when_it_dominates() -> None:
    """e5-like vectors (every cosine near 0.8) are compared without their common part;
    USE-like spread vectors are used as they are."""
    from bot.engine.triage.classify import shared_direction
    rng = numpy.random.default_rng(7)
    noise = rng.normal(size=(40, 16)).astype(numpy.float32)
    common = numpy.zeros(16, numpy.float32)
    common[0] = 1.0
    squeezed = common + 0.08 * noise
    squeezed /= numpy.linalg.norm(squeezed, axis=1, keepdims=True)
    spread = noise / numpy.linalg.norm(noise, axis=1, keepdims=True)
    assert shared_direction(squeezed).shape == (16,)
    assert shared_direction(spread).shape == (0,)
    assert shared_direction(numpy.zeros((0, 16), numpy.float32)).shape == (0,)


@pytest.mark.parametrize(("text", "category"), [
    ("Thanks, that worked! One more thing: how do I export the customer list?\n\n"
     "> On Mon, Nov 3, Support wrote:\n> Nobody can pay since 9am, everything is down",
     "functional"),
    ("¡Gracias, ya quedó! Otra cosa: ¿cómo exporto la lista de clientes?\n\n"
     "> El lun, 3 nov, Soporte escribió:\n> Nadie puede pagar desde las 9, todo está caído",
     "functional"),
])
def test_a_quoted_earlier_message_is_not_this_tickets_impact(
        triager: Triager, text: str, category: str) -> None:
    """Words and impact are read from what the customer wrote now, as the meaning is."""
    verdict = triager.classify(text)
    assert (verdict.category, verdict.priority) == (category, "low")


def test_a_huge_message_is_read_as_far_as_the_matcher_reads(triager: Triager) -> None:
    """Triage reads the first 4,000 characters, like the KB matcher: its cost is bounded,
    and what comes after that does not make a how-to question an emergency."""
    question = "How do I export the customer list to a spreadsheet? " * 80   # 4,160 characters
    verdict = triager.classify(question + "Nobody can pay, everything is down. " * 2000)
    assert verdict.category != "emergency" and verdict.priority != "critical"


def test_a_signatures_legal_notice_is_no_intrusion(triager: Triager) -> None:
    """"Any unauthorised use … is prohibited" under a how-to question says nothing of it."""
    text = ("How do I add a price list for wholesale customers?\n\nThanks,\nLaura\n\n"
            "CONFIDENTIALITY NOTICE: This message is for its addressee only. Any unauthorised "
            "use, disclosure or copying is prohibited.")
    verdict = triager.classify(text)
    assert verdict.category != "emergency" and verdict.priority != "critical"


@pytest.mark.parametrize("text", [
    "necesitamos una capacitación para el equipo nuevo de recepción",
    "We would like an onboarding session for our new staff next week",
])
def test_excluded_categories_give_the_best_of_the_others(triager: Triager, text: str) -> None:
    assert triager.classify(text).category == "training"
    verdict = triager.classify(text, excluded=frozenset({"training", "customization"}))
    assert verdict.category not in ("training", "customization")


def test_excluding_every_problem_category_is_ignored(triager: Triager) -> None:
    text = "the app shows error 500 every time we save a work order"
    everything = frozenset({"technical", "billing", "account", "emergency", "functional"})
    assert triager.classify(text, excluded=everything) == triager.classify(text)
