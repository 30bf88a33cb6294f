"""RFC 3834 loop brakes: is this mail automatic (bounce, auto-reply, list, bulk)? Say why."""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import Message

from channels.email.headers import header_text, raw_header

BULK_PRECEDENCE = {"bulk", "list", "junk", "auto_reply"}
BOUNCE_LOCAL_PARTS = {"mailer-daemon", "postmaster"}
NO_REPLY = re.compile(r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?)(?:[-+.].*)?$")
AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-auto-reply", "x-autoresponder")
AUTO_SUBJECT = re.compile(
    r"^\s*(?:auto(?:matic)?[- ]?(?:reply|response|antwort)\b|auto:|out of (?:the )?office|"
    r"respuesta autom[aá]tica|fuera de la oficina|ausencia|abwesenheit|r[ée]ponse automatique|"
    r"undeliver(?:ed|able)|delivery status notification|mail delivery failed|returned mail|"
    r"delivery failure)", re.IGNORECASE)


def automated_reasons(msg: Message, sender: str, subject: str,
                      is_own_address: Callable[[str], bool],
                      envelope_sender: str | None = None) -> tuple[str, ...]:
    """Every reason to treat this mail as automatic; empty for a person's mail."""
    reasons = [*header_reasons(msg), *sender_reasons(sender, is_own_address)]
    if envelope_sender == "" or (raw_header(msg, "Return-Path") or "").strip() == "<>":
        reasons.append("null sender")
    if is_report(msg):
        reasons.append("delivery report")
    if AUTO_SUBJECT.search(subject):
        reasons.append("auto-reply subject")
    return tuple(dict.fromkeys(reasons))


def header_reasons(msg: Message) -> list[str]:
    reasons = []
    auto = header_text(msg, "Auto-Submitted").lower()
    if auto and not auto.startswith("no"):
        reasons.append(f"Auto-Submitted: {auto}")
    precedence = header_text(msg, "Precedence").lower()
    if precedence in BULK_PRECEDENCE:
        reasons.append(f"Precedence: {precedence}")
    for name in ("List-Id", "List-Unsubscribe", "X-Auto-Response-Suppress"):
        if raw_header(msg, name) is not None:
            reasons.append(f"has {name}")
    for name in AUTO_HEADERS:
        value = header_text(msg, name).lower()
        if value and value not in ("no", "false", "0"):
            reasons.append(f"has {name}")
    if header_text(msg, "X-Spam-Flag").lower().startswith("yes"):
        reasons.append("marked as spam")
    return reasons


def sender_reasons(sender: str, is_own_address: Callable[[str], bool]) -> list[str]:
    if not sender:
        return ["no sender address"]
    local = sender.partition("@")[0]
    reasons = []
    if local in BOUNCE_LOCAL_PARTS:
        reasons.append(f"bounce sender {local}")
    if NO_REPLY.match(local):
        reasons.append("no-reply sender")
    if is_own_address(sender):
        reasons.append("from our own address")
    return reasons


def is_report(msg: Message) -> bool:
    """A delivery or disposition report (DSN/MDN), at the top or inside."""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("multipart/report", "message/delivery-status",
                     "message/disposition-notification"):
            return True
    return False
