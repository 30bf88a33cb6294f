"""The help center's words in Spanish and English, and choosing the visitor's language."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "es": {
        "title": "Centro de ayuda", "search": "Buscar", "search_label": "¿Qué necesitas?",
        "placeholder": "Escribe tu pregunta", "articles": "Artículos",
        "general": "General", "helpful": "¿Te ayudó?", "yes": "Sí", "no": "No",
        "thanks": "¡Gracias por contarnos!", "sorry": "Lamentamos que no te ayudara.",
        "write_us": "Escríbenos", "no_match": "No encontramos un artículo para tu pregunta.",
        "best": "La mejor respuesta", "related": "Otros artículos que pueden servir",
        "results_for": "Resultados para", "open_now": "Estamos atendiendo ahora",
        "closed_now": "Ahora estamos fuera de horario", "we_answer": "Atendemos",
        "next_opening": "Volvemos a atender", "chat": "Abre el chat en la esquina de la página",
        "mail": "o escríbenos a", "back": "Volver al centro de ayuda",
        "language": "English", "too_long": "La búsqueda puede tener hasta {n} caracteres.",
        "too_many": "Demasiadas solicitudes seguidas; espera un minuto.",
        "not_found": "Ese artículo no existe.", "bad_form": "El formulario caducó; recarga la "
        "página e inténtalo de nuevo.",
    },
    "en": {
        "title": "Help center", "search": "Search", "search_label": "What do you need?",
        "placeholder": "Type your question", "articles": "Articles",
        "general": "General", "helpful": "Did this help?", "yes": "Yes", "no": "No",
        "thanks": "Thanks for telling us!", "sorry": "Sorry it did not help.",
        "write_us": "Write to us", "no_match": "We found no article for your question.",
        "best": "Best answer", "related": "Other articles that may help",
        "results_for": "Results for", "open_now": "We are answering now",
        "closed_now": "We are closed right now", "we_answer": "We answer",
        "next_opening": "We are back", "chat": "Open the chat in the corner of the page",
        "mail": "or write to", "back": "Back to the help center",
        "language": "Español", "too_long": "A search may have up to {n} characters.",
        "too_many": "Too many requests in a row; wait a minute.",
        "not_found": "That article does not exist.", "bad_form": "The form expired; reload "
        "the page and try again.",
    },
}
LANGS = ("es", "en")


def pick_language(chosen: str | None, cookie: str | None, accept: str | None,
                  default: str) -> str:
    """?lang= first, then the remembered choice, then Accept-Language, then the default."""
    for value in (chosen, cookie):
        if value in LANGS:
            return value  # type: ignore[return-value]
    for part in (accept or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGS:
            return tag
    return default
