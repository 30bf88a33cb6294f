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
    "window_pick_template": (
        "Fuera de la ventana de 24 h solo se puede enviar una plantilla aprobada: elija una.",
        "Outside the 24 h window only an approved template can be sent: choose one."),
    "window_text_long": ("En una plantilla el texto tiene como máximo {n} caracteres.",
                         "In a template the text has at most {n} characters."),
    "template": ("Plantilla aprobada", "Approved template"),
    "template_text": ("Texto para la plantilla (variable {text})",
                      "Text for the template ({text} variable)"),
    "send_template": ("Enviar con la plantilla", "Send as template"),
    "queue_held": ("Dejar en espera hasta que el cliente escriba",
                   "Hold until the customer writes"),
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
    "supervisor_only_page": (
        "Esta página es solo para supervisores (supervisor: true en config.yaml). Pida a un "
        "supervisor el cambio que necesita.",
        "This page is for supervisors only (supervisor: true in config.yaml). Ask a supervisor "
        "for the change you need."),
    "settings": ("Ajustes", "Settings"),
    "agents": ("Agentes", "Agents"),
    "role": ("Rol", "Role"),
    "supervisor": ("Supervisor", "Supervisor"),
    "account": ("Cuenta", "Account"),
    "password_set": ("Con contraseña", "Password set"),
    "invited": ("Invitado", "Invited"),
    "not_invited": ("Sin invitar", "Not invited"),
    "locked_now": ("bloqueado", "locked"),
    "invite": ("Invitar", "Invite"),
    "unlock": ("Desbloquear", "Unlock"),
    "invite_made": ("Enlace de un solo uso para {who}:", "One-time link for {who}:"),
    "invite_mailed": ("También se envió por correo.", "Also sent by email."),
    "not_an_agent": ("Esa dirección no está en agents: de config.yaml.",
                     "That address is not under agents: in config.yaml."),
    "agents_in_config": ("La lista de agentes, sus niveles y roles se editan en {file}.",
                         "The agents, their levels and roles are edited in {file}."),
    "new_canned": ("Nueva respuesta guardada", "New canned response"),
    "edit": ("Editar", "Edit"),
    "delete": ("Borrar", "Delete"),
    "file_name": ("Nombre de archivo (a-z, 0-9, - y _)", "File name (a-z, 0-9, - and _)"),
    "title": ("Título", "Title"),
    "text": ("Texto", "Text"),
    "canned_vars": ("Variables: {nombre} (o {name}) y {ticket}.",
                    "Variables: {nombre} (or {name}) and {ticket}."),
    "canned_bad_id": ("Nombre de archivo no válido: use a-z, 0-9, - y _ (máx. 64).",
                      "Invalid file name: use a-z, 0-9, - and _ (max 64)."),
    "canned_bad_title": ("El título es obligatorio (una línea, máx. 120 caracteres).",
                         "The title is required (one line, max 120 characters)."),
    "canned_bad_lang": ("Idioma no válido: es, en o vacío.", "Invalid language: es, en or empty."),
    "canned_bad_body": ("El texto es obligatorio (máx. 5000 caracteres).",
                        "The text is required (max 5000 characters)."),
    "canned_exists": ("Ya existe una respuesta con ese nombre de archivo.",
                      "A canned response with that file name already exists."),
    "canned_missing": ("Esa respuesta guardada no existe.", "That canned response does not exist."),
    "business_hours": ("Horario de atención", "Business hours"),
    "timezone": ("Zona horaria", "Time zone"),
    "holidays": ("Festivos", "Holidays"),
    "extra_closed": ("Días cerrados adicionales", "Extra closed days"),
    "hours_in_config": ("El horario y los festivos se editan en {file} (business_hours:) y se "
                        "aplican al reiniciar.",
                        "Hours and holidays are edited in {file} (business_hours:) and apply "
                        "after a restart."),
    "any_language": ("Cualquiera", "Any"),
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


def error_text(code: str, lang: str) -> str:
    """A words key, or 'key:n' for a text with a number in it."""
    name, _, number = code.partition(":")
    return t(name, lang, n=number) if number else t(name, lang)


def pick_language(choice: str | None, default: str) -> str:
    return choice if choice in LANGUAGES else default
