"""The everyday words of each category and of impact, es and en, in one table.

Phrases are matched on normalised text (lowercase, no accents or punctuation) at word starts;
a phrase ending in `*` also matches longer words ("sugeren*" → sugerencia, sugerensia).
A category word is a strong signal for the classifier, not a verdict on its own.
"""

from __future__ import annotations

import re
from functools import cache

from kb.normalize import normalize_text

CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "suggestion": (
        "sugerir", "sugeren*", "sugiero", "propongo", "propuesta", "idea", "ideas",
        "seria bueno", "seria genial", "estaria bueno", "estaria bien", "estaria genial",
        "deberian", "ojala", "me gustaria que", "nos gustaria que", "feedback", "suggest*",
        "feature request", "would be nice", "would be great", "would love", "it d be great",
        "wish", "please add", "could you add", "mejora", "una mejora", "dark mode",
        "podrian agregar", "pueden agregar", "podrian sumar", "agreguen", "seria util",
        "seria muy util", "would be useful", "would help", "would be helpful", "me encantaria",
        "nos encantaria", "i d love", "we d love", "nueva funcion", "new feature",
        "add an option", "agregar una opcion", "any plans", "roadmap",
    ),
    "training": (
        "capacitacion", "capacitaciones", "capacitar*", "capaciten", "entrenamiento",
        "entrenar", "onboarding", "curso", "taller", "ensene", "ensenar*", "induccion",
        "training", "train our", "train the", "train my", "walk through", "walk our",
        "walk me", "walkthrough", "webinar", "sesion de formacion", "formacion",
        # a live walkthrough (the label guide's training vs functional boundary)
        "cursos", "videollamada", "en una llamada", "por llamada", "on a call", "over a call",
        "video call", "zoom", "google meet", "refresher", "repaso", "guide her", "guide him",
        "guide them", "guiarla", "guiarlo", "guiarlos",
    ),
    "customization": (
        "personaliz*", "a medida", "integracion con", "integrar", "integrarlo", "api",
        "custom", "customi*", "branding", "logo", "colores", "nuestro formato",
        "su formato", "their format", "our format", "cotiz*", "quote", "build an integration",
        "integration with", "conectar la app con", "conectar el sistema con", "desarrollo",
        "a la medida", "special configuration", "configuracion especial", "webhook",
    ),
    "billing": (
        "factura", "facturas", "cobraron", "cobrando",
        "me cobran", "nos cobran", "reembolso", "reembols*", "mensualidad",
        "suscripcion", "plan anual", "plan basico", "el plan", "de plan", "al plan",
        "prorrate*", "cuanto cuesta", "cuanto me sale", "cuanto sale",
        "invoice*", "refund*", "charged", "billing", "subscription",
        "upgrade", "downgrade*", "pricing", "annual plan", "tax id", "ruc", "nit",
        "falta de pago", "suspendid*", "pagamos", "we paid", "card expired", "tarjeta vencida",
    ),
    "account": (
        "contrasena", "clave", "iniciar sesion", "inicio de sesion", "no puedo entrar",
        "no puedo ingresar", "acceso", "login", "log in", "logged out", "password",
        "2fa", "codigo de verificacion", "codigos de verificacion", "authenticator",
        "autenticador", "desactivado", "bloquearon", "locked out", "cambiar mi correo",
        "correo de acceso", "migrar", "migracion", "importar", "merge", "fusionar",
        "unir las cuentas", "transferir la cuenta", "ownership", "dueno de la cuenta",
        "quitar el acceso", "quitarle el acceso", "sacarlo", "remove access", "lock her out",
        "lock him out", "revoke", "ya no trabaja", "se fue", "left the company", "fired",
        "despedi*", "usuario", "sign in", "two factor", "dos pasos",
    ),
    "emergency": (
        "se cayo todo", "todo caido", "sistema caido", "caido", "caida", "se cayo",
        "no podemos vender", "no estamos vendiendo", "no podemos cobrar", "no pasa ningun",
        "nadie puede", "ningun socio", "ningun cliente", "ninguna sucursal", "everything is down",
        "system down", "is down", "outage", "nobody can", "no one can", "cannot sell",
        "can t sell", "desaparecieron", "desaparecio", "se borraron", "borro todo",
        "disappeared", "wiped", "hacke*", "intrus*", "fraud*", "datos de otros",
        "someone logged", "unknown login", "unauthori*", "estafa", "phishing", "breach",
        "leak*", "gravisimo", "emergencia", "emergency",
    ),
    "technical": (
        "error", "falla", "fallo", "no funciona", "no carga", "lento", "lenta", "cargando",
        "se cuelga", "pantalla blanca", "pantalla en blanco", "not loading", "slow", "stuck",
        "crash*", "bug", "doesn t work", "won t", "no me deja", "no sincroniza", "sync",
        "no imprime", "dejo de", "dejaron de", "stopped working", "stopped", "atrasado",
        "no aparece", "no aparecen", "grey", "gris", "se ven", "broken", "no llegan",
        "no me llegan", "cuts off", "se traba", "trabado",
    ),
    "functional": (
        "como hago", "como se hace", "como se", "como configuro", "como doy", "como registro",
        "como cargo", "como puedo", "how do i", "how do we", "how to", "how can i",
        "best practice", "mejor forma", "mejor manera", "donde se pone", "donde encuentro",
        "donde esta", "where do i", "se puede", "can i", "configure", "set up", "configur*",
        "que significa", "what does", "cual es la diferencia", "me da distinto",
        "reporte", "informe", "report", "modulo", "module", "funcionalidad", "feature",
        "flujo", "workflow",
    ),
}

IMPACT_WORDS: dict[str, tuple[str, ...]] = {
    # Sales or payments stopped for the business.
    "no_sales": (
        "no podemos vender", "no estamos vendiendo", "no podemos cobrar", "no puedo vender",
        "no puedo cobrar", "no pasa ningun cobro", "perdiendo ventas", "perdiendo casi",
        "no pueden pagar", "nadie puede pagar", "no se puede cobrar", "cannot sell",
        "can t sell", "cant sell", "losing sales", "no sales", "can t take payments",
        "cannot take payments", "nobody can pay", "can t pay", "cannot pay", "sales are blocked",
        "ventas bloqueadas", "no podemos facturar",
    ),
    # The whole product or everyone.
    "everyone": (
        "nadie puede", "ningun", "ninguna", "ninguno", "todos los", "todas las", "todo",
        "en ninguna", "nobody", "no one", "everyone", "everything", "all of", "all our",
        "whole", "entire", "every branch", "cada venta", "for every",
    ),
    "down": (
        "caido", "caida", "se cayo", "no carga", "no abre", "pantalla blanca", "down",
        "outage", "not loading", "no funciona nada", "nothing works",
    ),
    "data_lost": (
        "desaparecieron", "desaparecio", "se borraron", "se borro", "borraron", "perdimos",
        "perdio", "disappeared", "deleted", "wiped", "lost all", "data loss", "we have no list",
        "esta vacia", "is empty", "vacio",
    ),
    "security": (
        "hacke*", "intrus*", "fraud*", "estafa", "phishing", "alguien entro", "alguien ingreso",
        "no reconoc*", "don t recognize", "don t recognise", "someone logged", "unknown login",
        "unauthori*", "breach", "leak*", "datos de otros", "other customers data",
        "none of us changed", "nadie de nosotros", "le dio el codigo", "gave the code",
        "amenaz*", "threaten*", "bad terms", "quedo mal", "malos terminos",
    ),
    # Staff cannot do their normal work, or their customers feel it.
    "cannot_work": (
        "a mano", "en papel", "en un papel", "by hand", "on paper", "paper list",
        "es un caos", "it s chaos", "no podemos trabajar", "no puedo trabajar",
        "can t work", "cannot work", "esta esperando", "estan esperando", "waiting",
        "no lo puedo cargar", "we can t", "no podemos", "no pueden", "can t", "cannot",
        "unable", "no me deja", "won t let", "nobody can approve", "lo piden",
        "clientes lo piden", "se quejan", "reclamaron", "complaints",
    ),
    "end_customers": (
        "socios", "clientes", "papas", "padres", "pacientes", "duenos", "members",
        "parents", "customers", "clients", "patients", "recipients", "shoppers",
    ),
    "deadline": (
        "lunes", "martes", "miercoles", "jueves", "viernes", "manana", "esta semana",
        "la semana que viene", "proximo", "antes del", "antes de", "cierre", "vence",
        "monday", "tuesday", "wednesday", "thursday", "friday", "tomorrow", "next week",
        "this week", "before", "due", "deadline", "audit*", "auditor*", "payroll",
    ),
    "minor": (
        "cosmetic", "lo demas", "everything else", "se entiende igual", "workaround",
        "for now", "por ahora", "con tarjeta si", "still work", "todavia reservan",
        "solo en", "only on", "a veces", "sometimes",
    ),
    "urgent": (
        "urgente", "urgent", "asap", "ya", "inmediatamente", "immediately", "right now",
        "lo antes posible", "hoy", "today", "ahora",
    ),
    "request": (
        "quisiera", "quisieramos", "necesito", "necesitamos", "queremos", "nos pueden",
        "pueden", "podrian", "could you", "can you", "would like", "we need", "i need",
        "looking for", "pls", "please",
    ),
}


@cache
def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    parts = [re.escape(p[:-1]) + r"\w*" if p.endswith("*") else re.escape(p) + r"\b"
             for p in phrases]
    return re.compile(r"\b(?:" + "|".join(parts) + ")")


def count_hits(norm: str, phrases: tuple[str, ...]) -> int:
    """How many times any of `phrases` occurs in already-normalised text."""
    return len(_pattern(phrases).findall(norm))


def category_hits(text: str) -> dict[str, int]:
    norm = normalize_text(text)
    return {name: count_hits(norm, words) for name, words in CATEGORY_WORDS.items()}


def impact_hits(text: str) -> dict[str, int]:
    norm = normalize_text(text)
    return {name: count_hits(norm, words) for name, words in IMPACT_WORDS.items()}
