"""The customers' pages in Spanish and English (Accept-Language or the visitor's choice)."""

from __future__ import annotations

LANGUAGES = ("es", "en")

WORDS: dict[str, tuple[str, str]] = {  # key: (es, en)
    "new_ticket": ("Crear un ticket", "Create a ticket"),
    "my_tickets": ("Mis tickets", "My tickets"),
    "email": ("Su correo", "Your email"),
    "name": ("Su nombre (opcional)", "Your name (optional)"),
    "category": ("Tipo", "Type"),
    "priority": ("Prioridad", "Priority"),
    "title": ("Título", "Title"),
    "description": ("Descripción", "Description"),
    "module": ("Módulo o sección (opcional)", "Module or section (optional)"),
    "browser": ("Navegador y sistema (opcional)", "Browser and OS (optional)"),
    "attachments": ("Adjuntos", "Attachments"),
    "attachment": ("Adjunto", "Attachment"),
    "attachments_hint": ("Hasta {n} archivos de {size} como máximo: {types}.",
                         "Up to {n} files of at most {size} each: {types}."),
    "send": ("Enviar", "Send"),
    "suggested": ("¿Le sirve alguno de estos artículos?", "Does one of these articles help?"),
    "more_help": ("Buscar en el centro de ayuda", "Search the help center"),
    "check_mail": ("Revise su correo: le enviamos un enlace a {email} para confirmar el ticket. "
                   "Vence en {hours} horas.",
                   "Check your mail: we sent a link to {email} to confirm the ticket. "
                   "It expires in {hours} hours."),
    "pending_exists": ("Ya hay una solicitud sin confirmar para esta dirección: use el enlace "
                       "que le enviamos (o espere a que venza).",
                       "There is already an unconfirmed request for this address: use the "
                       "link we sent you (or wait until it expires)."),
    "confirm_ticket": ("Confirmar el ticket", "Confirm the ticket"),
    "confirm_intro": ("Confirme para que su solicitud llegue a nuestro equipo:",
                      "Confirm so that your request reaches our team:"),
    "bad_link": ("Este enlace ya no sirve (venció o ya se usó).",
                 "This link no longer works (it expired or was used)."),
    "confirmed": ("Listo: creamos el ticket #{number}. Le escribiremos a su correo.",
                  "Done: we opened ticket #{number}. We will write to your email."),
    "see_my": ("Ver mis tickets", "See my tickets"),
    "sign_in": ("Entrar a mis tickets", "Sign in to my tickets"),
    "sign_in_intro": ("Escriba su correo y le enviaremos un enlace para entrar (sin contraseña).",
                      "Type your email and we will send you a sign-in link (no password)."),
    "send_link": ("Enviar el enlace", "Send the link"),
    "link_sent": ("Si esa dirección tiene tickets con nosotros, le llegará un enlace que vence "
                  "en {minutes} minutos.",
                  "If that address has tickets with us, a link will arrive; it expires in "
                  "{minutes} minutes."),
    "enter": ("Entrar", "Sign in"),
    "sign_out": ("Salir", "Sign out"),
    "no_tickets": ("No tiene tickets.", "You have no tickets."),
    "status": ("Estado", "Status"),
    "assignee": ("Lo atiende", "Handled by"),
    "unassigned": ("Sin asignar", "Unassigned"),
    "updated": ("Actualizado", "Updated"),
    "history": ("Historial", "History"),
    "you": ("Usted", "You"),
    "support": ("Soporte", "Support"),
    "add_info": ("Agregar información", "Add information"),
    "add": ("Agregar", "Add"),
    "confirm_fix": ("Confirmar que quedó resuelto", "Confirm it is solved"),
    "reopen": ("No está resuelto: reabrir", "Not solved: reopen"),
    "rate": ("Califique la atención", "Rate our support"),
    "comment": ("Comentario (opcional)", "Comment (optional)"),
    "your_rating": ("Su calificación: {score}/5", "Your rating: {score}/5"),
    "closed_note": ("Este ticket está cerrado. Para algo nuevo, cree otro ticket.",
                    "This ticket is closed. For something new, create another ticket."),
    "csrf": ("El formulario caducó: recargue la página e inténtelo de nuevo.",
             "The form expired: reload the page and try again."),
    "rate_limited": ("Demasiadas solicitudes desde su conexión: espere un rato.",
                     "Too many requests from your connection: please wait a while."),
    "too_large": ("El envío es demasiado grande: como máximo {n} archivos de {size}.",
                  "The upload is too large: at most {n} files of {size} each."),
    "bad_type": ("Tipo de archivo no permitido: {name}. Se aceptan: {types}.",
                 "File type not allowed: {name}. Accepted: {types}."),
    "too_many_files": ("Demasiados archivos: como máximo {n}.", "Too many files: at most {n}."),
    "file_too_large": ("El archivo {name} pasa de {size}.", "The file {name} is over {size}."),
    "bad_email": ("Escriba un correo válido.", "Type a valid email address."),
    "required": ("Falta: {field}.", "Missing: {field}."),
    "too_long": ("Demasiado largo: {field} (máximo {n} caracteres).",
                 "Too long: {field} (at most {n} characters)."),
    "bad_choice": ("Valor no válido: {field}.", "Not a valid value: {field}."),
    "not_resolved": ("Solo un ticket resuelto se puede confirmar o reabrir.",
                     "Only a resolved ticket can be confirmed or reopened."),
    "not_ratable": ("Podrá calificar cuando el ticket esté resuelto.",
                    "You can rate once the ticket is resolved."),
    "is_closed": ("El ticket está cerrado.", "The ticket is closed."),
    "empty_text": ("Escriba algo o adjunte un archivo.", "Write something or attach a file."),
    "not_found": ("No encontramos ese ticket.", "We could not find that ticket."),
    "thanks": ("Gracias.", "Thank you."),
}

CHOICE_NAMES: dict[str, tuple[str, str]] = {
    "technical": ("Técnico", "Technical"), "functional": ("Funcional", "Functional"),
    "billing": ("Facturación", "Billing"), "account": ("Cuenta", "Account"),
    "training": ("Capacitación", "Training"), "customization": ("Personalización", "Customization"),
    "emergency": ("Emergencia", "Emergency"), "suggestion": ("Sugerencia", "Suggestion"),
    "low": ("Baja", "Low"), "medium": ("Media", "Medium"), "high": ("Alta", "High"),
    "critical": ("Crítica", "Critical"), "open": ("Abierto", "Open"),
    "in_progress": ("En curso", "In progress"),
    "waiting_customer": ("Esperando su respuesta", "Waiting for you"),
    "resolved": ("Resuelto", "Resolved"), "closed": ("Cerrado", "Closed"),
}


def t(key: str, lang: str, **values: object) -> str:
    """The text for `key` in `lang` (Spanish unless 'en'), with {values} filled in."""
    pair = WORDS.get(key) or CHOICE_NAMES.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**values) if values else text


def from_accept_language(header: str | None, default: str) -> str:
    """The first of es/en in the Accept-Language header, else `default`."""
    for part in (header or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default
