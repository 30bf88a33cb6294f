"""Helpers that write small knowledge bases into a temporary folder for the kb tests."""

from __future__ import annotations

from pathlib import Path

ARTICLES = {
    "refund-policy-es": ("es", "Política de reembolsos",
                         ["¿Hacen reembolsos?", "¿Me devuelven el dinero si cancelo?"],
                         ["reembolso", "devolución"],
                         "Reembolsamos el pago anual completo si cancelas en los primeros 7 días."),
    "refund-policy-en": ("en", "Refund policy",
                         ["Do you give refunds?", "Can I get my money back if I cancel?"],
                         ["refund"],
                         "We refund the full yearly payment if you cancel within 7 days."),
    "password-reset-es": ("es", "Restablecer la contraseña",
                          ["Olvidé mi contraseña", "¿Cómo cambio mi contraseña?"],
                          ["contraseña", "acceso"],
                          "En la pantalla de ingreso toca «¿Olvidaste tu contraseña?» y revisa "
                          "tu correo: el enlace vence en una hora."),
    "password-reset-en": ("en", "Reset your password",
                          ["I forgot my password", "How do I change my password?"],
                          ["password", "login"],
                          "On the login screen tap “Forgot password?” and check your email: "
                          "the link expires in one hour."),
    "qr-menu-es": ("es", "Menú QR para restaurantes",
                   ["¿Cómo creo el menú QR?", "¿Cómo descargo el QR de la carta?"],
                   ["menú", "QR", "carta"],
                   "En Restaurante > Menú QR descargas el código QR que abre tu carta digital."),
    "table-qr-es": ("es", "QR por mesa para pedir desde la mesa",
                    ["¿Cómo hago que pidan desde la mesa?", "¿Cada mesa puede tener su QR?"],
                    ["mesa", "QR", "pedidos"],
                    "En Restaurante > Mesas genera un QR por mesa: el pedido llega con el número "
                    "de la mesa."),
    "staff-roles-en": ("en", "Staff accounts and roles",
                       ["How do I add an employee?", "Can staff have limited access?"],
                       ["staff", "roles", "employees"],
                       "In Settings > Team invite each employee by email and pick a role: "
                       "Admin, Cashier or Viewer."),
}


def article_text(article_id: str, lang: str, title: str, questions: list[str],
                 tags: list[str], body: str) -> str:
    """One article in the KB Markdown format."""
    lines = ["---", f"id: {article_id}", f"lang: {lang}", f"title: {title}", "questions:"]
    lines += [f'  - "{q}"' for q in questions]
    lines += [f"tags: [{', '.join(tags)}]", "---", body, ""]
    return "\n".join(lines)


def write_sample_kb(folder: Path) -> Path:
    """Write the sample articles above into `folder` and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for article_id, (lang, title, questions, tags, body) in ARTICLES.items():
        text = article_text(article_id, lang, title, questions, tags, body)
        (folder / f"{article_id}.md").write_text(text, encoding="utf-8")
    return folder
