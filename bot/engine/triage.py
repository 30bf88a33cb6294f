"""Infer a ticket's category and priority from the customer's words (es/en), or say unknown."""

from __future__ import annotations

from kb.normalize import normalize_text

CATEGORY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "emergency": ("sistema caido", "no podemos vender", "no podemos facturar", "todo caido",
                  "se cayo", "caida total", "system down", "is down", "outage", "cannot sell",
                  "can t sell", "cant sell", "perdimos datos", "data loss", "emergencia",
                  "emergency"),
    "billing": ("factura", "facturacion", "cobro", "cobraron", "pago", "tarjeta", "reembolso",
                "precio", "plan", "suscripcion", "mensualidad", "debitaron", "debito", "devolucion",
                "dinero", "invoice", "billing", "charged", "charge",
                "payment", "refund", "subscription", "receipt", "recibo"),
    "account": ("contrasena", "clave", "usuario", "cuenta", "acceso", "login", "iniciar sesion",
                "password", "account", "username", "sign in", "log in", "2fa", "bloqueado",
                "locked"),
    "technical": ("error", "falla", "no funciona", "no carga", "lento", "se cierra", "bug",
                  "crash", "crashes", "not working", "doesn t work", "broken", "slow",
                  "no abre", "pantalla en blanco", "blank screen", "no sincroniza", "sync"),
    "training": ("como hago", "como se", "capacitacion", "tutorial", "aprender", "ensenar",
                 "how do i", "how to", "training", "learn", "manual", "guia"),
    "customization": ("personalizar", "personalizacion", "logo", "colores", "plantilla",
                      "campo personalizado", "customize", "customization", "custom field",
                      "branding", "template"),
    "suggestion": ("sugerencia", "sugiero", "seria bueno", "propuesta", "mejora", "suggestion",
                   "suggest", "feature request", "would be nice", "it would be great"),
    "functional": ("reporte", "modulo", "funcionalidad", "inventario", "pedido", "orden",
                   "report", "feature", "module", "order", "workflow", "flujo"),
}
PRIORITY_KEYWORDS: dict[str, tuple[str, ...]] = {
    "critical": ("sistema caido", "no podemos vender", "no podemos facturar", "todo caido",
                 "caida total", "perdimos datos", "system down", "outage", "cannot sell",
                 "cant sell", "data loss", "emergencia", "emergency", "urgentisimo"),
    "high": ("urgente", "urgent", "asap", "lo antes posible", "no puedo trabajar", "bloqueado",
             "bloqueados", "cannot work", "can t work", "blocked", "importante", "critical"),
    "low": ("cuando puedan", "sin prisa", "no es urgente", "whenever", "no rush", "not urgent",
            "sugerencia", "suggestion", "duda", "pregunta"),
}


def infer_category(text: str) -> str | None:
    """The first category whose keywords appear, in order of urgency; None when unsure."""
    norm = f" {normalize_text(text)} "
    for category, keywords in CATEGORY_KEYWORDS.items():
        if any(f" {keyword} " in norm for keyword in keywords):
            return category
    return None


def infer_priority(text: str, category: str | None) -> str:
    """critical/high/low from explicit words; emergencies are critical; medium otherwise."""
    if category == "emergency":
        return "critical"
    norm = f" {normalize_text(text)} "
    for priority, keywords in PRIORITY_KEYWORDS.items():
        if any(f" {keyword} " in norm for keyword in keywords):
            return priority
    return "medium"


def subject_from(text: str, limit: int = 80) -> str:
    """A one-line subject: the first line of the message, cut at a word boundary."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first) <= limit:
        return first or "(sin texto)"
    return first[:limit].rsplit(" ", 1)[0] + "…"
