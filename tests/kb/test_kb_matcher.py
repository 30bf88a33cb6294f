"""Matching customer messages to articles: answer when sure, abstain or offer choices when not."""

from __future__ import annotations

from kb.matcher import KbIndex, best_match, drop_signature
from kb.normalize import normalize_text, strip_quoted


def answer(index: KbIndex, text: str, lang: str | None = None) -> str | None:
    match = best_match(index, text, lang)
    return match.article_id if match.answered else None


def test_normalize_text_drops_case_accents_emojis_and_punctuation() -> None:
    assert normalize_text("  ¿Cuál es la CONTRASEÑA?? 🙄\n¡Gracias!  ") == \
        "cual es la contrasena gracias"


def test_clean_question_is_answered_in_its_language(sample_index: KbIndex) -> None:
    assert answer(sample_index, "¿Hacen reembolsos?") == "refund-policy-es"
    assert answer(sample_index, "Do you give refunds?") == "refund-policy-en"


def test_typos_are_tolerated(sample_index: KbIndex) -> None:
    assert answer(sample_index, "olvide mi contrasenia") == "password-reset-es"
    assert answer(sample_index, "i forgot my pasword") == "password-reset-en"


def test_accents_case_and_emojis_do_not_matter(sample_index: KbIndex) -> None:
    assert answer(sample_index, "OLVIDÉ MI CONTRASEÑA 😭😭") == "password-reset-es"


def test_informal_chat_message(sample_index: KbIndex) -> None:
    assert answer(sample_index, "hola porfa q hago si olvide la contraseña??") == \
        "password-reset-es"


def test_out_of_scope_messages_abstain(sample_index: KbIndex) -> None:
    for text in ("hola", "listo, mil gracias", "what's the weather like in Bogotá",
                 "me cobraron doble este mes", ""):
        match = best_match(sample_index, text)
        assert not match.answered and match.article_id is None, text


def test_keyword_fitting_two_articles_offers_choices(sample_index: KbIndex) -> None:
    match = best_match(sample_index, "QR porfa")
    assert not match.answered and match.ambiguous
    assert {c.article_id for c in match.candidates[:2]} == {"qr-menu-es", "table-qr-es"}


def test_spanish_message_gets_the_spanish_version(sample_index: KbIndex) -> None:
    match = best_match(sample_index, "quiero un refund de mi plan anual por favor")
    assert match.lang == "es"
    assert match.candidates[0].article_id == "refund-policy-es"


def test_given_language_wins_over_detection(sample_index: KbIndex) -> None:
    match = best_match(sample_index, "refund", lang="en")
    assert match.lang == "en" and match.candidates[0].article_id == "refund-policy-en"


def test_article_only_in_other_language_can_answer(sample_index: KbIndex) -> None:
    assert answer(sample_index, "how do I give an employee limited access?") == "staff-roles-en"
    match = best_match(sample_index, "¿cómo le doy acceso limitado a un empleado? staff roles")
    assert match.candidates[0].article_id == "staff-roles-en"


def test_scores_and_candidates_are_well_formed(sample_index: KbIndex) -> None:
    match = best_match(sample_index, "password")
    assert 0.0 <= match.score <= 1.0
    assert len(match.candidates) <= 5
    scores = [c.score for c in match.candidates]
    assert scores == sorted(scores, reverse=True)
    assert len({c.article_id.rsplit("-", 1)[0] for c in match.candidates}) == len(scores)


def test_quoted_email_thread_is_ignored() -> None:
    text = ("Thanks! How do I add an employee?\n\nCarlos\n\n"
            "On Tue, Nov 12, 2024 at 10:14 AM Support <help@x.app> wrote:\n"
            "> to reset your password tap Forgot password\n")
    assert strip_quoted(text) == "Thanks! How do I add an employee?\n\nCarlos"


def test_quoted_thread_does_not_steer_the_answer(sample_index: KbIndex) -> None:
    text = ("Hi, how do I add an employee with limited access?\n\n"
            "> On Monday you wrote:\n> I forgot my password, reset password please\n"
            "> password password password\n")
    assert answer(sample_index, text) == "staff-roles-en"


def test_sign_off_and_signature_are_dropped() -> None:
    text = ("Hola, quiero saber cómo cambio la clave de mi tienda, no me acuerdo.\n\n"
            "Gracias,\nSebas\nCafé Tinto & Pan")
    assert drop_signature(text) == \
        "Hola, quiero saber cómo cambio la clave de mi tienda, no me acuerdo.\n"


def test_chat_message_split_over_short_lines_is_kept_whole() -> None:
    text = "como hago\npara\ncambiar la clave"
    assert drop_signature(text) == text


def test_the_question_outweighs_the_context(sample_index: KbIndex) -> None:
    text = ("Tenemos un restaurante con menú QR y carta digital. Nos va muy bien. "
            "¿Me devuelven el dinero si cancelo?")
    match = best_match(sample_index, text)
    assert match.candidates[0].article_id == "refund-policy-es"
