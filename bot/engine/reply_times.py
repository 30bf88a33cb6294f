"""Weekly hours and due times as the customer reads them, in Spanish and English."""

from __future__ import annotations

from datetime import datetime, time

DAY_NAMES = {
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTH_NAMES = {
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}
JOINERS = {"es": (" y ", "de {first} a {last}", "{first} y {last}", "de {start} a {end}"),
           "en": (" and ", "{first} to {last}", "{first} and {last}", "{start}–{end}")}


def clock_time(value: time | datetime) -> str:
    """8:00, 17:30 — no leading zero, 24-hour clock."""
    return f"{value.hour}:{value.minute:02d}"


def render_days(days: tuple[int, ...], lang: str) -> str:
    names = DAY_NAMES.get(lang, DAY_NAMES["es"])
    _, span, pair, _ = JOINERS.get(lang, JOINERS["es"])
    if len(days) == 1:
        return names[days[0]]
    template = pair if len(days) == 2 else span
    return template.format(first=names[days[0]], last=names[days[-1]])


def render_week(groups: list[tuple[tuple[int, ...], tuple[tuple[time, time], ...]]],
                lang: str) -> str:
    """[((0,1,2,3), ((8:00, 17:00),)), ((4,), …)] → 'de lunes a jueves de 8:00 a 17:00 y …'."""
    joiner, _, _, span = JOINERS.get(lang, JOINERS["es"])
    parts = []
    for days, ranges in groups:
        hours = joiner.join(span.format(start=clock_time(a), end=clock_time(b))
                            for a, b in ranges)
        parts.append(f"{render_days(days, lang)} {hours}")
    return joiner.join(parts)


def render_when(at: datetime, now: datetime, lang: str) -> str:
    """'hoy a las 14:00', 'mañana a las 8:00', 'el lunes a las 8:00', or with the date."""
    days = (at.date() - now.date()).days
    hour = clock_time(at)
    if lang == "en":
        day = ("today" if days == 0 else "tomorrow" if days == 1 else
               f"on {DAY_NAMES['en'][at.weekday()]}" if days < 7 else
               f"on {DAY_NAMES['en'][at.weekday()]}, {MONTH_NAMES['en'][at.month - 1]} {at.day}")
        return f"{day} at {hour}"
    article = "a la" if at.hour == 1 else "a las"
    day = ("hoy" if days == 0 else "mañana" if days == 1 else
           f"el {DAY_NAMES['es'][at.weekday()]}" if days < 7 else
           f"el {DAY_NAMES['es'][at.weekday()]} {at.day} de {MONTH_NAMES['es'][at.month - 1]}")
    return f"{day} {article} {hour}"
