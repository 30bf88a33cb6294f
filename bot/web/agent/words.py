"""The inbox's interface text in Spanish and English (the agent picks; templates call `t`)."""

from __future__ import annotations

LANGUAGES = ("es", "en")

WORDS: dict[str, tuple[str, str]] = {  # key: (es, en)
    "inbox": ("Bandeja", "Inbox"),
    "sign_in": ("Entrar", "Sign in"),
    "sign_out": ("Salir", "Sign out"),
    "email": ("Correo", "Email"),
    "password": ("Contraseña", "Password"),
    "confirm": ("Repita la contraseña", "Repeat the password"),
    "set_password": ("Elija su contraseña", "Choose your password"),
    "save": ("Guardar", "Save"),
    "bad_credentials": ("Correo o contraseña incorrectos.", "Wrong email or password."),
    "locked": ("Demasiados intentos fallidos: espere unos minutos.",
               "Too many failed attempts: wait a few minutes."),
    "bad_invite": ("Este enlace ya no sirve: pida uno nuevo.",
                   "This link no longer works: ask for a new one."),
    "password_short": ("La contraseña necesita al menos {n} caracteres.",
                       "The password needs at least {n} characters."),
    "password_mismatch": ("Las contraseñas no coinciden.", "The passwords do not match."),
    "csrf": ("El formulario caducó: recargue la página e inténtelo de nuevo.",
             "The form expired: reload the page and try again."),
    "mine": ("Míos", "Mine"),
    "unassigned": ("Sin asignar", "Unassigned"),
    "all": ("Todos", "All"),
    "status": ("Estado", "Status"),
    "priority": ("Prioridad", "Priority"),
    "category": ("Categoría", "Category"),
    "channel": ("Canal", "Channel"),
    "any": ("Cualquiera", "Any"),
    "vip": ("VIP", "VIP"),
    "due_soon": ("SLA vence pronto", "SLA due soon"),
    "breached": ("SLA vencido", "SLA breached"),
    "filter": ("Filtrar", "Filter"),
    "customer": ("Cliente", "Customer"),
    "subject": ("Asunto", "Subject"),
    "last_message": ("Último mensaje", "Last message"),
    "waiting": ("Esperando", "Waiting"),
    "sla_due": ("Vence", "Due"),
    "no_tickets": ("No hay tickets con estos filtros.", "No tickets match these filters."),
    "shown": ("{n} mostrados de {total}", "{n} shown of {total}"),
    "reply": ("Responder", "Reply"),
    "note": ("Nota interna", "Internal note"),
    "send_reply": ("Enviar al cliente", "Send to customer"),
    "add_note": ("Guardar nota", "Save note"),
    "resolve": ("Resolver", "Resolve"),
    "assign_me": ("Asignarme", "Assign to me"),
    "assign": ("Asignar", "Assign"),
    "assignee": ("Asignado a", "Assignee"),
    "apply": ("Aplicar", "Apply"),
    "contact": ("Contacto", "Contact"),
    "company": ("Empresa", "Company"),
    "addresses": ("Direcciones", "Addresses"),
    "other_tickets": ("Otros tickets", "Other tickets"),
    "fields": ("Ticket", "Ticket"),
    "created": ("Creado", "Created"),
    "level": ("Nivel", "Level"),
    "language": ("Idioma", "Language"),
    "canned": ("Respuestas guardadas", "Canned responses"),
    "insert": ("Insertar", "Insert"),
    "empty_text": ("Escriba algo antes de enviar.", "Type something before sending."),
    "not_found": ("Ese ticket no existe.", "That ticket does not exist."),
    "window_closed": (
        "Fuera de la ventana de 24 h de WhatsApp: la respuesta saldrá con la plantilla "
        "aprobada «{template}».",
        "Outside WhatsApp's 24 h window: the reply goes out as the approved template "
        "“{template}”."),
    "window_no_template": (
        "Fuera de la ventana de 24 h de WhatsApp y sin plantilla agent_reply configurada: la "
        "respuesta quedará retenida hasta que el cliente escriba.",
        "Outside WhatsApp's 24 h window and no agent_reply template configured: the reply is "
        "held until the customer writes."),
    "bot": ("Bot", "Bot"),
    "article": ("artículo", "article"),
    "agent": ("Agente", "Agent"),
    "event": ("Evento", "Event"),
    "viewing": ("También aquí: {who}", "Also here: {who}"),
    "typing": ("{who} está escribiendo…", "{who} is typing…"),
    "shortcuts": ("Atajos: J/K siguiente/anterior · R responder · N nota · E resolver · / "
                  "respuestas", "Shortcuts: J/K next/previous · R reply · N note · E resolve · "
                  "/ canned"),
    "report": ("Informe", "Report"),
    "download": ("Descargar", "Download"),
    "done": ("Hecho.", "Done."),
    "supervisor_only": ("Solo un supervisor puede cambiar esto.",
                        "Only a supervisor can change this."),
}


def t(key: str, lang: str, **values: object) -> str:
    """The text for `key` in `lang` (Spanish unless 'en'), with {values} filled in."""
    pair = WORDS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**values) if values else text


def pick_language(choice: str | None, default: str) -> str:
    return choice if choice in LANGUAGES else default
