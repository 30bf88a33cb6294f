"""Every text the bot sends, in Spanish and English; code asks for a key, never writes prose."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "greeting": {
        "es": "¡Hola{name}! Soy el asistente de soporte de {company}. Cuéntame en qué te puedo "
              "ayudar: escribe tu pregunta o describe el problema.",
        "en": "Hi{name}! I'm {company}'s support assistant. Tell me how I can help: type your "
              "question or describe the problem.",
    },
    "thanks": {
        "es": "¡Con gusto! Si necesitas algo más, escríbeme cuando quieras.",
        "en": "You're welcome! If you need anything else, just write.",
    },
    "kb_answer": {"es": "{body}\n\n¿Te ayudó? (sí/no)", "en": "{body}\n\nDid this help? (yes/no)"},
    "kb_beside_ticket": {
        "es": "Mientras tanto, este artículo puede servirte: {title}\n\n{body}",
        "en": "Meanwhile, this article may help: {title}\n\n{body}",
    },
    "kb_helpful": {
        "es": "¡Qué bien! Me alegra haberte ayudado. Si necesitas algo más, aquí estoy.",
        "en": "Great, glad I could help! If you need anything else, I'm here.",
    },
    "kb_choices": {
        "es": "Encontré varios temas que podrían servirte. Responde con el número:\n{options}\n"
              "0. Ninguno, quiero hablar con un agente",
        "en": "I found a few topics that might help. Reply with the number:\n{options}\n"
              "0. None of these, I want to talk to an agent",
    },
    "ask_description": {
        "es": "Con gusto te comunico con un agente. Para crear tu ticket, cuéntame brevemente "
              "qué pasó (qué intentabas hacer y qué viste).",
        "en": "Sure, I'll get you to an agent. To open your ticket, tell me briefly what "
              "happened (what you were trying to do and what you saw).",
    },
    "ask_category": {
        "es": "Para dirigir tu ticket #{number} al equipo correcto, ¿de qué se trata? Responde "
              "con el número:\n{options}",
        "en": "To route ticket #{number} to the right team, what is it about? Reply with the "
              "number:\n{options}",
    },
    "ask_impact": {
        "es": "Una pregunta para darle a tu ticket #{number} la prioridad correcta: ¿Está "
              "detenida tu operación o tus ventas? (sí/no)",
        "en": "One question to give ticket #{number} the right priority: Is your operation or "
              "are your sales stopped? (yes/no)",
    },
    "impact_raised": {
        "es": "Entendido: marqué tu ticket #{number} como urgente (prioridad crítica). {promise}",
        "en": "Understood: ticket #{number} is now marked urgent (critical priority). {promise}",
    },
    "ticket_created": {
        "es": "Creé tu ticket #{number} (categoría: {category}, prioridad: {priority}). {promise}",
        "en": "I opened ticket #{number} for you (category: {category}, priority: {priority}). "
              "{promise}",
    },
    "promise_due": {
        "es": "Un agente te responderá a más tardar {when} ({zone}).",
        "en": "An agent will answer you by {when} ({zone}) at the latest.",
    },
    "promise_on_call": {
        "es": "Es una emergencia: ya avisamos al agente de guardia, que te contactará de "
              "inmediato.",
        "en": "This is an emergency: we have paged the on-call agent, who will contact you "
              "right away.",
    },
    "out_of_hours": {
        "es": "Nuestro equipo responde {week} ({zone}). Te responderemos {when}.",
        "en": "Our team answers {week} ({zone}). We will get back to you {when}.",
    },
    "waiting_reminder": {
        "es": "Hola, seguimos esperando tu respuesta en el ticket #{number} ({subject}). "
              "¿Nos cuentas cómo va?",
        "en": "Hi, we are still waiting for your reply on ticket #{number} ({subject}). "
              "How is it going?",
    },
    "ticket_assigned": {
        "es": "{agent} se está encargando de tu ticket #{number} ({subject}) y te escribirá "
              "por aquí.",
        "en": "{agent} is taking care of ticket #{number} ({subject}) and will write to you "
              "here.",
    },
    "ticket_waiting_on_you": {
        "es": "Tu ticket #{number} ({subject}) está esperando tu respuesta: {agent} necesita "
              "más información tuya para seguir. Respóndenos por aquí.",
        "en": "Ticket #{number} ({subject}) is waiting for your reply: {agent} needs more "
              "information from you to go on. Please reply here.",
    },
    "ticket_in_progress": {
        "es": "Tu ticket #{number} ({subject}) está en progreso: {agent} está trabajando en él.",
        "en": "Ticket #{number} ({subject}) is in progress: {agent} is working on it.",
    },
    "ticket_resolved": {
        "es": "Marcamos tu ticket #{number} ({subject}) como resuelto. Si algo sigue igual, "
              "respóndenos aquí y lo reabrimos.",
        "en": "We marked ticket #{number} ({subject}) as resolved. If something is still "
              "wrong, reply here and we will reopen it.",
    },
    "auto_closed": {
        "es": "Cerramos el ticket #{number} porque lo resolvimos y no recibimos más mensajes. "
              "Si necesitas algo más, escríbenos.",
        "en": "We closed ticket #{number} as it was resolved and we heard nothing more. "
              "Write to us if you need anything else.",
    },
    "ticket_updated": {
        "es": "Agregué tu mensaje al ticket #{number}. El agente lo verá junto con el resto.",
        "en": "I added your message to ticket #{number}. The agent will see it with the rest.",
    },
    "vip_only_category": {
        "es": "El servicio de {category} es exclusivo para clientes VIP, así que no puedo abrir "
              "un ticket de {category} para ti. Igual te ayudo: escríbeme tu pregunta y busco la "
              "respuesta en nuestra base de conocimiento, o, si algo no funciona como esperas, "
              "cuéntame qué pasa y abro un ticket en la categoría que corresponda (por ejemplo, "
              "funcional o técnico).",
        "en": "Our {category} service is for VIP customers only, so I can't open a {category} "
              "ticket for you. I can still help: ask me your question and I'll look it up in "
              "our knowledge base, or, if something doesn't work as you expect, tell me what "
              "happens and I'll open a ticket in the category that fits (functional or "
              "technical, for example).",
    },
    "ticket_category_set": {
        "es": "Gracias, dejé el ticket #{number} en la categoría {category}. {promise}",
        "en": "Thanks, ticket #{number} is now in the {category} category. {promise}",
    },
    "ticket_reopened": {
        "es": "Reabrí tu ticket #{number} y agregué tu mensaje. Un agente lo revisará.",
        "en": "I reopened ticket #{number} and added your message. An agent will look at it.",
    },
    "ticket_status": {
        "es": "Ticket #{number}: {subject}\nEstado: {status} · Prioridad: {priority} · "
              "Asignado a: {assignee}\nÚltima actualización: {updated}",
        "en": "Ticket #{number}: {subject}\nStatus: {status} · Priority: {priority} · "
              "Assigned to: {assignee}\nLast update: {updated}",
    },
    "no_tickets": {
        "es": "No encuentro tickets a tu nombre. Si tienes un problema, cuéntamelo y creo uno.",
        "en": "I can't find any tickets for you. If something is wrong, tell me and I'll open one.",
    },
    "ticket_not_found": {
        "es": "No encuentro el ticket #{number} entre los tuyos. Revisa el número o escribe "
              "\"estado\" para ver el último.",
        "en": "I can't find ticket #{number} among yours. Check the number or write \"status\" "
              "to see your latest one.",
    },
    "escalated": {
        "es": "Escalé tu ticket #{number} al nivel {level} ({level_name}). Un responsable lo "
              "revisará con prioridad.",
        "en": "I escalated ticket #{number} to level {level} ({level_name}). Someone senior will "
              "review it as a priority.",
    },
    "escalated_max": {
        "es": "Tu ticket #{number} ya está en el nivel más alto ({level_name}). Avisé de nuevo "
              "a los responsables.",
        "en": "Ticket #{number} is already at the highest level ({level_name}). I notified "
              "the people in charge again.",
    },
    "escalate_without_ticket": {
        "es": "No tienes tickets abiertos para escalar. Cuéntame el problema y lo creo con "
              "prioridad.",
        "en": "You have no open tickets to escalate. Tell me the problem and I'll open one "
              "as a priority.",
    },
    "rating_request": {
        "es": "¿Cómo calificarías la atención de tu ticket #{number} ({subject})? Responde con un "
              "número del 1 al 5:\n1 = muy mala · 2 = mala · 3 = regular · 4 = buena · "
              "5 = excelente",
        "en": "How would you rate the help with ticket #{number} ({subject})? Reply with a "
              "number from 1 to 5:\n1 = very poor · 2 = poor · 3 = fair · 4 = good · "
              "5 = excellent",
    },
    "rating_thanks": {
        "es": "¡Gracias por calificar el ticket #{number} con {stars} ({score}/5)!",
        "en": "Thank you for rating ticket #{number} {stars} ({score}/5)!",
    },
    "rating_sorry": {
        "es": "Gracias por contarnos, y lamentamos que el ticket #{number} no haya quedado bien "
              "({score}/5). Un supervisor lo va a revisar.",
        "en": "Thank you for telling us, and we are sorry ticket #{number} did not go well "
              "({score}/5). A supervisor will review it.",
    },
    "rating_changed": {
        "es": "Listo, cambié la calificación del ticket #{number} a {stars} ({score}/5).",
        "en": "Done, I changed the rating of ticket #{number} to {stars} ({score}/5).",
    },
    "rating_ask_comment": {
        "es": "¿Qué podemos mejorar? Escríbelo en un mensaje (opcional; responde \"no\" para "
              "omitir).",
        "en": "What could we improve? Tell us in a message (optional; reply \"no\" to skip).",
    },
    "rating_comment_thanks": {
        "es": "Gracias por tu comentario: lo compartiremos con el equipo.",
        "en": "Thank you for your comment: we will share it with the team.",
    },
    "rating_done": {
        "es": "Entendido. ¡Gracias por calificarnos!",
        "en": "Got it. Thank you for rating us!",
    },
    "unassigned": {"es": "sin asignar", "en": "unassigned"},
    # To agents (in the desk's language, bot.default_language).
    "agent_new_ticket": {
        "es": "Nuevo ticket #{number} de {contact} por {channel} (prioridad {priority}, "
              "categoría {category}, nivel {level}).\n\n{conversation}\n\nResponde a este "
              "correo para contestarle al cliente. Comandos en líneas propias: #resolve, "
              "#close, #priority high, #assign correo, #note texto, #category billing, #ack.",
        "en": "New ticket #{number} from {contact} via {channel} (priority {priority}, "
              "category {category}, level {level}).\n\n{conversation}\n\nReply to this "
              "email to answer the customer. Commands on their own lines: #resolve, #close, "
              "#priority high, #assign email, #note text, #category billing, #ack.",
    },
    "agent_customer_message": {
        "es": "El cliente {contact} escribió en el ticket #{number} ({subject}):\n\n"
              "{message}\n\nLa conversación hasta ahora:\n{conversation}\n\nResponde a este "
              "correo para contestarle al cliente.",
        "en": "Customer {contact} wrote on ticket #{number} ({subject}):\n\n{message}\n\n"
              "The conversation so far:\n{conversation}\n\nReply to this email to answer "
              "the customer.",
    },
    "agent_escalated": {
        "es": "[#{number}] Ticket escalado al nivel {level} (prioridad {priority}): {subject}\n"
              "Motivo: {reason}",
        "en": "[#{number}] Ticket escalated to level {level} (priority {priority}): {subject}\n"
              "Reason: {reason}",
    },
    "agent_sla_warning": {
        "es": "[#{number}] Quedan {minutes} minutos para incumplir el SLA de {target}: {subject}",
        "en": "[#{number}] {minutes} minutes left before the {target} SLA is breached: "
              "{subject}",
    },
    "agent_priority_raised": {
        "es": "[#{number}] La prioridad subió a {priority} por falta de respuesta: {subject}",
        "en": "[#{number}] Priority raised to {priority} for lack of response: {subject}",
    },
    "agent_low_rating": {
        "es": "[#{number}] Calificación baja del cliente: {score}/5 ({subject}). Atendió: "
              "{agent}. El ticket quedó escalado (nivel {level}).",
        "en": "[#{number}] Low customer rating: {score}/5 ({subject}). Handled by: {agent}. "
              "The ticket was escalated (level {level}).",
    },
    "agent_rating_comment": {
        "es": "[#{number}] Comentario del cliente con la calificación {score}/5 ({subject}):\n\n"
              "{comment}",
        "en": "[#{number}] Customer comment with the {score}/5 rating ({subject}):\n\n{comment}",
    },
    "page_on_call": {
        "es": "EMERGENCIA VIP [#{number}]: {subject}\nResponde #ack (o #ack {number} "
              "desde el chat) para confirmar que la atiendes.",
        "en": "VIP EMERGENCY [#{number}]: {subject}\nReply #ack (or #ack {number} from a chat) "
              "to confirm you are on it.",
    },
    "page_supervisor": {
        "es": "EMERGENCIA VIP sin confirmar [#{number}]: {subject}\nEl agente de guardia no "
              "ha respondido.",
        "en": "Unacknowledged VIP EMERGENCY [#{number}]: {subject}\nThe on-call agent has "
              "not answered.",
    },
}

STATUS_NAMES = {
    "open": {"es": "abierto", "en": "open"},
    "in_progress": {"es": "en progreso", "en": "in progress"},
    "waiting_customer": {"es": "esperando tu respuesta", "en": "waiting for your reply"},
    "resolved": {"es": "resuelto", "en": "resolved"},
    "closed": {"es": "cerrado", "en": "closed"},
}
PRIORITY_NAMES = {
    "low": {"es": "baja", "en": "low"},
    "medium": {"es": "media", "en": "medium"},
    "high": {"es": "alta", "en": "high"},
    "critical": {"es": "crítica", "en": "critical"},
}
CATEGORY_NAMES = {
    "technical": {"es": "técnico", "en": "technical"},
    "functional": {"es": "funcional", "en": "functional"},
    "billing": {"es": "facturación", "en": "billing"},
    "account": {"es": "cuenta", "en": "account"},
    "training": {"es": "capacitación", "en": "training"},
    "customization": {"es": "personalización", "en": "customization"},
    "emergency": {"es": "emergencia", "en": "emergency"},
    "suggestion": {"es": "sugerencia", "en": "suggestion"},
}
LEVEL_NAMES = {
    1: {"es": "agente", "en": "agent"},
    2: {"es": "senior", "en": "senior"},
    3: {"es": "ingeniería", "en": "engineering"},
    4: {"es": "gerencia", "en": "management"},
}
YES_NO_BUTTONS = {"es": ("Sí", "No"), "en": ("Yes", "No")}


def render(key: str, lang: str, **values: Any) -> str:
    """The text for `key` in `lang` (Spanish when the language is unknown), filled in."""
    texts = TEXTS[key]
    return texts.get(lang, texts["es"]).format(**values)


def name_of(table: dict[Any, dict[str, str]], key: Any, lang: str) -> str:
    """A status, priority, category or level name in the customer's language."""
    names = table.get(key)
    if names is None:
        return str(key)
    return names.get(lang, names["es"])


def numbered(options: list[str]) -> str:
    return "\n".join(f"{index}. {option}" for index, option in enumerate(options, start=1))
