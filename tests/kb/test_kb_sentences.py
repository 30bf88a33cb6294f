"""Long messages: only the asked sentences are scored; greetings, sign-offs and quotes go."""

from __future__ import annotations

from kb.sentences import MAX_MESSAGE_CHARS, MAX_PARTS, split_message

EMAIL = """Buenos días,

El contador de la empresa nos pide que el costo de la mercancía se calcule por PEPS.

¿Es posible cambiarlo? ¿Desde cuándo aplicaría?

Gracias por la ayuda.

Atentamente,
Departamento Administrativo
Miscelánea Surtitodo"""

THREAD = """Thanks, that fixed the printer! How do I give my manager her own login?

Carlos

On Tue, Nov 12, 2024 at 10:14 AM Tiendita Support <help@tiendita.app> wrote:
> Hi Carlos, to print on 80 mm paper install Tiendita Print.
> Let us know if it works."""


def test_greeting_sign_off_and_signature_are_dropped() -> None:
    message = split_message(EMAIL)
    assert "Buenos días" not in message.core and "Atentamente" not in message.core
    assert "Surtitodo" not in message.core and "Gracias por la ayuda" not in message.core
    assert "PEPS" in message.core and "¿Es posible cambiarlo?" in message.core
    assert message.parts[0].startswith("El contador")


def test_quoted_thread_is_not_scored() -> None:
    message = split_message(THREAD)
    assert all("80 mm" not in text for text in message.texts)
    assert "own login?" in message.core


def test_a_one_line_question_has_no_separate_parts() -> None:
    message = split_message("hola! como cambio la clave??")
    assert message.parts == ()
    assert message.core == "como cambio la clave??"


def test_chat_lines_without_a_sign_off_are_all_kept() -> None:
    message = split_message("hola\ncomo hago\npara cambiar\nla clave")
    assert message.core == "como hago para cambiar la clave"


def test_a_huge_message_is_cut_to_a_bounded_size() -> None:
    sentence = "Necesito ayuda con el inventario de la bodega principal. "
    message = split_message(sentence * 5000 + "¿Cómo activo las alertas de stock?")
    assert len(message.core) <= MAX_MESSAGE_CHARS
    assert len(message.parts) <= MAX_PARTS


def test_language_detection_of_a_huge_message_costs_what_a_long_one_does() -> None:
    import time

    from kb.language import MAX_CHARS, detect_language

    detect_language("zzz qqq")   # the detector is built once, outside the measure
    start = time.process_time()
    detect_language("x" * MAX_CHARS)
    bounded = time.process_time() - start
    start = time.process_time()
    detect_language("x" * 100 * MAX_CHARS)
    assert time.process_time() - start < 10 * bounded + 0.05


NOTICE_EN = """How do I add a price list for wholesale customers?

Thanks,
Laura Gómez
Distribuidora Gómez

CONFIDENTIALITY NOTICE: This message is for its addressee only. Any unauthorised use,
disclosure or copying is prohibited."""

NOTICE_ES = """¿Cómo agrego una lista de precios para mayoristas?

Saludos,
Laura Gómez

AVISO DE CONFIDENCIALIDAD: este mensaje es solo para su destinatario. Cualquier uso no
autorizado está prohibido."""


def test_a_closing_legal_notice_goes_with_the_signature() -> None:
    assert split_message(NOTICE_EN).core == "How do I add a price list for wholesale customers?"
    assert split_message(NOTICE_ES).core == "¿Cómo agrego una lista de precios para mayoristas?"
    unsigned = NOTICE_EN.replace("Thanks,\nLaura Gómez\nDistribuidora Gómez\n\n", "")
    assert split_message(unsigned).core == "How do I add a price list for wholesale customers?"


def test_what_the_customer_says_of_confidentiality_stays() -> None:
    """One such word, a question, or the only paragraph is the customer's own text."""
    asked = ("We need the March invoices.\n\n"
             "Are the invoices kept confidential for other recipients?")
    assert "confidential" in split_message(asked).core
    assert split_message("Please keep this confidential.").core == "Please keep this confidential."
    closing = "We need the March invoices.\n\nThe March figures are confidential, do not share."
    assert "confidential" in split_message(closing).core


def test_a_message_is_split_once_and_a_huge_one_is_remembered_cut() -> None:
    from kb import sentences

    text = "Hola. Tengo un problema con la impresora de la caja. ¿Cómo la configuro?"
    assert sentences.split_message(text) is sentences.split_message(text)   # remembered
    huge = text + " relleno" * 200_000
    cut = huge[:sentences.MAX_MESSAGE_CHARS]
    assert sentences.split_message(huge) is sentences.split_message(cut)   # kept by its cut
