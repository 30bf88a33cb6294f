"""The ticket side of a turn: open, append, ask what is missing, status, escalate, reopen."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.desk import notify, oncall, tickets, vip_only
from bot.engine.acknowledgements import is_acknowledgement
from bot.engine.conversations import reset_state, set_state
from bot.engine.intents import HUMAN_PHRASES, Intent, has_substance
from bot.engine.replies import (
    CATEGORY_NAMES,
    LEVEL_NAMES,
    PRIORITY_NAMES,
    STATUS_NAMES,
    YES_NO_BUTTONS,
    name_of,
    numbered,
    render,
)
from bot.engine.reply_times import render_week, render_when
from bot.engine.triage import explicit_category
from bot.engine.triage.answers import is_unsure, read_impact_answer
from bot.engine.triage.classify import Verdict, at_least
from bot.engine.turn import Turn
from bot.store.deferred_updates import set_columns
from bot.store.models import CATEGORIES, Ticket
from kb.normalize import normalize_text
from scheduler.business_hours import describe_week, is_open, next_opening


def promise(turn: Turn, ticket: Ticket) -> str:
    """When a human will answer: the on-call page, or the first-response due time."""
    if ticket.paged_at is not None:
        return render("promise_on_call", turn.lang)
    if ticket.first_response_due_at is None:
        return ""
    return render("promise_due", turn.lang, when=local_when(turn, ticket.first_response_due_at),
                  zone=zone_label(turn))


def zone_label(turn: Turn) -> str:
    labels = turn.ctx.config.bot.timezone_label
    return labels.get(turn.lang) or turn.ctx.config.business_hours.timezone


def local_when(turn: Turn, at: datetime) -> str:
    zone = ZoneInfo(turn.ctx.config.business_hours.timezone)
    return render_when(at.astimezone(zone), turn.now.astimezone(zone), turn.lang)


def open_or_append(turn: Turn, text: str) -> None:
    """Append to the contact's open ticket on the same topic, or open a new one."""
    current = tickets.find_open_ticket(turn.session, turn.contact.id, turn.thread_ticket)
    append_or_open(turn, text, current)


def append_or_open(turn: Turn, text: str, current: Ticket | None) -> None:
    """open_or_append when the caller has just looked up the open ticket (`current`)."""
    continues_thread = current is not None and current.number == turn.thread_ticket
    if current is not None and (continues_thread or current.category is None
                                or explicit_category(text) in (None, current.category)):
        append(turn, current)
        return
    if not has_substance(without_agent_request(text)):
        set_state(turn.conversation, "awaiting_description", turn.now, request=text)
        turn.say("ask_description")
        turn.decide("asked_description")
        return
    create(turn, text)


def triage(turn: Turn, text: str, excluded: frozenset[str] = frozenset()) -> Verdict:
    """Category and priority of `text` (every ticket gets a best guess), not one of
    `excluded`."""
    return turn.prepared.classify(turn.session, turn.ctx.config, text, excluded)


def without_agent_request(text: str) -> str:
    norm = f" {normalize_text(text)} "
    for phrase in HUMAN_PHRASES:
        norm = norm.replace(f" {phrase} ", " ")
    return norm.strip()


def create(turn: Turn, text: str, excluded: frozenset[str] = frozenset()) -> Ticket | None:
    verdict = triage(turn, text, excluded)
    category = verdict.category
    if vip_only.is_vip_only(turn, category):
        vip_only.decline_request(turn, category, text)
        return None
    ask = verdict.ask_impact and turn.ctx.config.triage.ask_impact
    priority = at_least(verdict.priority, "high") if ask else verdict.priority
    ticket = tickets.create_ticket(
        turn.session, turn.desk, contact=turn.contact, channel=turn.conversation.channel,
        conversation_id=turn.conversation.id, text=text, category=category,
        priority=priority, language=turn.lang, actor=turn.actor,
        now=turn.now, subject=turn.subject)
    turn.ticket = ticket
    set_columns(turn.message, ticket_id=ticket.id)
    notify.new_ticket(turn.session, turn.ctx.config, ticket, turn.message, turn.now,
                      first_message=turn.began_conversation)
    if oncall.is_vip_emergency(ticket, text, turn.ctx.config):
        oncall.start_paging(turn.session, turn.desk, ticket, turn.now)
    else:
        out_of_hours_notice(turn)
    turn.say("ticket_created", number=ticket.number,
             category=name_of(CATEGORY_NAMES, category, turn.lang) if category else "—",
             priority=name_of(PRIORITY_NAMES, ticket.priority, turn.lang),
             promise=promise(turn, ticket))
    if ask:
        ask_impact(turn, ticket, verdict)
    else:
        reset_state(turn.conversation, turn.now)
    return ticket


def ask_impact(turn: Turn, ticket: Ticket, verdict: Verdict) -> None:
    """Unsure whether it is an emergency: one yes/no question instead of guessing low."""
    turn.say("ask_impact", buttons=YES_NO_BUTTONS[turn.lang], number=ticket.number)
    set_state(turn.conversation, "awaiting_impact", turn.now, ticket_id=ticket.id,
              priority=verdict.priority)
    turn.decide("triage_asked_impact", ticket=ticket, detail=f"p_emergency={verdict.emergency:.2f}")


def take_impact(turn: Turn, intent: Intent) -> bool:
    """The yes/no answer: it joins the ticket (it adds to the first message); yes makes the
    ticket an emergency (a billing lock stays billing) at critical priority, no returns it to
    the priority triage gave before asking. An answer in words counts by what it says ("sí, no
    podemos cobrar", "no, it is only slow", or the first message and the answer read together);
    "no sé" / "not sure" joins the ticket and keeps it at high at least."""
    context = turn.conversation.context
    ticket = tickets.find_ticket(turn.session, context.get("ticket_id"))
    reset_state(turn.conversation, turn.now)
    if ticket is None:
        return False
    stopped = impact_answer(turn, ticket, intent)
    if stopped is None and not is_unsure(turn.text):
        return False   # no answer to the question: the message is routed as any other
    turn.ticket = ticket
    tickets.attach_message(turn.session, turn.desk, ticket, turn.message, turn.actor, turn.now)
    if stopped:
        raise_to_emergency(turn, ticket)
    elif stopped is False:
        tickets.set_priority(turn.session, turn.desk, ticket,
                             context.get("priority") or ticket.priority, turn.actor, turn.now,
                             reason="customer: operation not stopped")
        turn.say("ticket_updated", number=ticket.number)
    else:
        turn.say("ticket_updated", number=ticket.number)
    turn.decide("triage_impact_answered", ticket=ticket,
                detail={True: "yes", False: "no", None: "unsure"}[stopped])
    return True


def impact_answer(turn: Turn, ticket: Ticket, intent: Intent) -> bool | None:
    """Yes (stopped), no, or None: the plain yes/no intent, what the answer's words say, then
    the first message and the answer triaged together (an emergency or critical is a yes)."""
    if intent.name in ("yes", "no"):   # read_intent gives neither for "no sé" / "not sure"
        return intent.name == "yes"
    stopped = read_impact_answer(turn.text)
    if (stopped is not None or is_unsure(turn.text)
            or not has_substance(normalize_text(turn.text))):
        return stopped
    together = triage(turn, f"{ticket.description}\n{turn.text}")
    return True if (together.category == "emergency" or together.priority == "critical") \
        else None


def raise_to_emergency(turn: Turn, ticket: Ticket) -> None:
    if ticket.category != "billing":
        tickets.set_category(turn.session, turn.desk, ticket, "emergency", turn.actor, turn.now)
    tickets.set_priority(turn.session, turn.desk, ticket, "critical", turn.actor, turn.now,
                         reason="customer: operation or sales stopped")
    if oncall.is_vip_emergency(ticket, ticket.description, turn.ctx.config):
        oncall.start_paging(turn.session, turn.desk, ticket, turn.now)
    turn.say("impact_raised", number=ticket.number, promise=promise(turn, ticket))


def ask_category(turn: Turn, ticket: Ticket) -> None:
    options = [name_of(CATEGORY_NAMES, c, turn.lang) for c in CATEGORIES]
    turn.say("ask_category", buttons=tuple(str(n) for n in range(1, len(CATEGORIES) + 1)),
             number=ticket.number, options=numbered(options))
    set_state(turn.conversation, "awaiting_category", turn.now, ticket_id=ticket.id)


def append(turn: Turn, ticket: Ticket) -> None:
    turn.ticket = ticket
    tickets.attach_message(turn.session, turn.desk, ticket, turn.message, turn.actor, turn.now)
    notify.customer_follow_up(turn.session, turn.ctx.config, ticket, turn.message, turn.text,
                              turn.now)
    out_of_hours_notice(turn)
    turn.say("ticket_updated", number=ticket.number)


def out_of_hours_notice(turn: Turn) -> None:
    """Outside office hours, say once a day per conversation when agents will answer."""
    calendar, zone = turn.ctx.calendar, ZoneInfo(turn.ctx.config.business_hours.timezone)
    today = turn.now.astimezone(zone).date().isoformat()
    if (is_open(calendar, turn.now) or turn.conversation.out_of_hours_notice_on == today
            or turn.is_automated):
        return
    opening = next_opening(calendar, turn.now)
    if opening is None:
        return
    set_columns(turn.conversation, out_of_hours_notice_on=today)
    turn.say("out_of_hours", week=render_week(describe_week(calendar), turn.lang),
             zone=zone_label(turn), when=local_when(turn, opening))
    turn.decide("out_of_hours_notice", detail=opening.isoformat())


def take_description(turn: Turn, intent: Intent) -> bool:
    """The answer to "tell me what happened": open the ticket with it."""
    request = turn.conversation.context.get("request", "")
    if (intent.name in ("greeting", "thanks", "status", "escalate")
            or is_acknowledgement(turn.text)):
        reset_state(turn.conversation, turn.now)
        return False
    text = turn.text if not request else f"{turn.text}\n\n({request})"
    create(turn, text)   # triaged on both: the answer adds to what was asked first
    return True


def take_after_decline(turn: Turn, intent: Intent) -> bool:
    """The message after a VIP-only decline. Greetings, thanks, status and escalation go
    their usual way, and so does a question of its own (the KB may answer it; `False`).
    "Please check", "no sé", a request for an agent or a description that the KB cannot
    answer opens the ticket, triaged on both messages, in the best category this customer
    may open."""
    request = turn.conversation.context.get("request", "")
    reset_state(turn.conversation, turn.now)
    if (intent.name in ("greeting", "thanks", "status", "escalate")
            or is_acknowledgement(turn.text)):
        return False
    if is_own_question(turn, intent):
        return False
    text = turn.text if not request else f"{turn.text}\n\n({request})"
    create(turn, text, excluded=vip_only.excluded(turn))
    return True


def is_own_question(turn: Turn, intent: Intent) -> bool:
    """A message with something to ask of its own, which the KB answers with confidence."""
    if intent.name == "human" or is_unsure(turn.text):
        return False
    if not has_substance(without_agent_request(turn.text)):
        return False
    return turn.prepared.match(turn.ctx.kb_index, turn.text, turn.lang).answered


def take_category(turn: Turn, intent: Intent) -> bool:
    """The answer to "what is it about?": a number or a category name."""
    ticket = tickets.find_ticket(turn.session, turn.conversation.context.get("ticket_id"))
    category = pick_category(turn.text, intent)
    reset_state(turn.conversation, turn.now)
    if ticket is None or category is None:
        return False
    if vip_only.is_vip_only(turn, category):
        vip_only.decline(turn, category)
        ask_category(turn, ticket)
        return True
    turn.ticket = ticket
    set_columns(turn.message, ticket_id=ticket.id)
    tickets.set_category(turn.session, turn.desk, ticket, category, turn.actor, turn.now)
    turn.say("ticket_category_set", number=ticket.number,
             category=name_of(CATEGORY_NAMES, category, turn.lang), promise=promise(turn, ticket))
    return True


def pick_category(text: str, intent: Intent) -> str | None:
    if intent.name == "choice" and intent.number and 1 <= intent.number <= len(CATEGORIES):
        return CATEGORIES[intent.number - 1]
    norm = normalize_text(text)
    for category, names in CATEGORY_NAMES.items():
        if norm in {normalize_text(name) for name in names.values()}:
            return category
    return None


def report_status(turn: Turn, number: int | None) -> None:
    if number is not None:
        ticket = tickets.find_contact_ticket(turn.session, turn.contact.id, number)
        if ticket is None:
            turn.say("ticket_not_found", number=number)
            turn.decide("status_not_found", detail=str(number))
            return
    else:
        ticket = tickets.find_latest_ticket(turn.session, turn.contact.id, turn.thread_ticket)
    if ticket is None:
        turn.say("no_tickets")
        turn.decide("status_no_tickets")
        return
    turn.ticket = ticket
    turn.say("ticket_status", number=ticket.number, subject=ticket.subject,
             status=name_of(STATUS_NAMES, ticket.status, turn.lang),
             priority=name_of(PRIORITY_NAMES, ticket.priority, turn.lang),
             assignee=ticket.assignee or render("unassigned", turn.lang),
             updated=local_time(turn, ticket.updated_at))
    turn.decide("status_reported", ticket=ticket)


def local_time(turn: Turn, at: datetime) -> str:
    zone = ZoneInfo(turn.ctx.config.business_hours.timezone)
    return f"{at.astimezone(zone).strftime('%Y-%m-%d %H:%M')} ({zone_label(turn)})"


def escalate_by_customer(turn: Turn, number: int | None) -> None:
    ticket = (tickets.find_contact_ticket(turn.session, turn.contact.id, number) if number
              else tickets.find_open_ticket(turn.session, turn.contact.id, turn.thread_ticket))
    if ticket is None or ticket.status == "closed":
        turn.say("escalate_without_ticket")
        turn.decide("escalation_without_ticket")
        return
    turn.ticket = ticket
    set_columns(turn.message, ticket_id=ticket.id)
    raised = tickets.escalate(turn.session, turn.desk, ticket, turn.actor, turn.now,
                              reason=f"customer request: {turn.text}")
    key = "escalated" if raised else "escalated_max"
    turn.say(key, number=ticket.number, level=ticket.level,
             level_name=name_of(LEVEL_NAMES, ticket.level, turn.lang))


def reopen_with_message(turn: Turn, ticket: Ticket) -> None:
    turn.ticket = ticket
    tickets.reopen(turn.session, turn.desk, ticket, turn.actor, turn.now)
    tickets.attach_message(turn.session, turn.desk, ticket, turn.message, turn.actor, turn.now)
    turn.say("ticket_reopened", number=ticket.number)
