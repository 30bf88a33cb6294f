"""The two mails the customers' pages send: "confirm your ticket" and "your sign-in link"."""

from __future__ import annotations

MAILS = {
    "confirm": {
        "es": ("Confirme su solicitud: {title}",
               "Recibimos su solicitud «{title}». Para que llegue a nuestro equipo, confírmela "
               "aquí (el enlace vence en {hours} horas):\n\n{link}\n\n"
               "Si usted no la envió, ignore este correo."),
        "en": ("Confirm your request: {title}",
               "We received your request \"{title}\". To pass it to our team, confirm it here "
               "(the link expires in {hours} hours):\n\n{link}\n\n"
               "If you did not send it, ignore this mail."),
    },
    "sign_in": {
        "es": ("Su enlace para ver sus tickets",
               "Entre a sus tickets con este enlace (sirve una vez y vence en {minutes} "
               "minutos):\n\n{link}\n\nSi usted no lo pidió, ignore este correo."),
        "en": ("Your link to see your tickets",
               "Sign in to your tickets with this link (it works once and expires in {minutes} "
               "minutes):\n\n{link}\n\nIf you did not ask for it, ignore this mail."),
    },
}


def mail(name: str, lang: str, **values: object) -> tuple[str, str]:
    subject, body = MAILS[name]["en" if lang == "en" else "es"]
    return subject.format(**values), body.format(**values)


def confirm_mail(lang: str, title: str, link: str, hours: int) -> tuple[str, str]:
    return mail("confirm", lang, title=title, link=link, hours=hours)


def sign_in_mail(lang: str, link: str, minutes: int) -> tuple[str, str]:
    return mail("sign_in", lang, link=link, minutes=minutes)
