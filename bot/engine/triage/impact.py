"""Impact read from the customer's words (es/en): sales stopped, everyone or one user, data lost,
a security breach. The rules mostly raise (an emergency is found with high recall); a part that
fails while the rest works, the customer's own lock-out or a former employee's access lower."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.engine.triage.model import PRIORITIES
from bot.engine.triage.words import count_hits
from kb.normalize import normalize_text

NO_SALES = (
    "no podemos vender", "no estamos vendiendo", "no podemos cobrar", "no puedo vender",
    "no puedo cobrar", "no pasa ningun cobro", "perdiendo ventas", "perdiendo casi todas",
    "nadie puede pagar", "no pueden pagar", "no se puede cobrar", "no podemos facturar",
    "no vendemos nada", "ventas bloqueadas", "ventas paradas", "cannot sell", "can t sell",
    "cant sell", "losing sales", "losing every sale", "no sales", "can t take payments",
    "cannot take payments", "nobody can pay", "no one can pay", "sales are blocked",
    "sales have stopped", "can t charge", "cannot charge", "ningun pago", "ninguna venta",
    "rechaza todas", "rechaza todo", "rechazan todas", "no entra ningun pago", "no pasa ningun",
    "no podemos despachar", "no podemos entregar", "no podemos atender",
    "all payments", "every payment", "no payment goes", "no payments", "every card",
    "all cards", "can t process", "cannot process", "no orders can", "can t ship", "cannot ship",
    "no deja vender", "no nos deja vender", "no deja cobrar", "no nos deja cobrar",
    "no deja facturar", "caja bloqueada", "won t let us sell", "doesn t let us sell",
    "checkout is blocked", "checkout blocked", "till is blocked", "zero orders", "zero sales",
    "no orders", "not a single order", "not a single sale", "ni un pedido", "ni una venta",
    "ni un envio", "cero ventas", "cero pedidos", "can t ring", "cannot ring",
    "turning customers away", "turning people away",
)
DOWN = (
    "se cayo", "caido", "caida", "todo caido", "no carga", "no abre", "no funciona nada",
    "pantalla blanca", "fuera de servicio", "down", "outage", "not loading", "won t load",
    "nothing works", "won t open", "doesn t open", "offline", "no responde", "no anda",
    "no levanta", "no conecta", "sin servicio", "no hay sistema", "no funciona", "se cae",
    "error 500", "error 502", "error 503", "not responding", "unreachable", "can t connect",
    "cannot connect", "not working", "doesn t work", "stopped working", "no entra",
    "no podemos entrar", "no puede entrar", "no pueden entrar", "no pueden ingresar",
    "can t log in", "cannot log in", "can t access", "cannot access", "locked out",
    "no podemos abrir", "no se puede abrir", "can t open", "cannot open", "muerto", "muerta",
    "is dead", "totally dead", "unusable", "inutilizable",
)
OUTAGE = ("se cayo", "caido", "caida", "no carga", "no abre", "pantalla blanca", "down",
          "outage", "not loading", "won t load", "won t open", "fuera de servicio",
          "no responde", "not responding", "no levanta", "unreachable", "offline",
          "is dead", "muerto", "muerta", "unusable", "inutilizable")
# The whole product down in one phrase ("nothing works"): no "everyone" word needed beside it.
ALL_DOWN = (
    "no funciona nada", "no anda nada", "no carga nada", "no abre nada", "no sirve nada",
    "nada funciona", "nada anda", "nada carga", "todo caido", "se cayo todo", "sistema caido",
    "nothing works", "nothing is working", "nothing loads", "nothing opens", "nothing will load",
    "everything is down", "everything s down", "system down", "system is down",
)
EVERYONE = (
    "nadie", "ningun", "ninguna", "ninguno", "todos los usuarios", "todos los clientes",
    "todos los socios", "todos los papas", "todos nuestros", "todas las sucursales",
    "todas las sedes", "todos los locales", "en todas", "se cayo todo", "todo el sistema",
    "toda la", "ni la app ni", "completamente", "por completo", "totalmente", "nobody",
    "no one", "none of us", "everyone", "everybody", "everything", "all users",
    "all our", "all of our", "all of us", "all branches", "all locations", "whole", "entire",
    "completely", "totally", "cada venta", "every sale", "every order", "every customer",
    "every register", "every till", "every branch", "every store", "every location",
    "all registers", "all tills", "all stores", "todas las cajas", "todos los puntos",
)
DATA_LOST = (
    "desaparecieron", "desaparecio", "se borraron", "se borro", "borraron", "perdimos",
    "perdieron", "se perdio", "se perdieron", "esta vacia", "quedo vacia", "disappeared",
    "deleted", "wiped", "data loss", "lost all", "we have no list", "is empty", "gone",
    "vanished", "missing", "faltan todos", "faltan todas", "se esfumaron", "perdida de datos",
    "perdida de informacion", "perdimos la informacion", "no aparece nada", "en blanco",
)
INTRUSION = (
    "hacke*", "jacke*", "intrus*", "fraud*", "estafa*", "phishing", "alguien entro",
    "alguien ingreso", "alguien se metio", "no reconoc*", "don t recognize", "don t recognise",
    "someone logged", "someone got into", "someone accessed", "unknown login",
    "unknown admin", "unauthori*", "breach", "leak*", "datos de otros", "de otros clientes",
    "de otros gimnasios", "other customers data", "none of us", "ninguno de nosotros",
    "nadie de nosotros", "le dio el codigo", "dio el codigo", "gave the code", "gave them the code",
    "suplant*", "impersonat*", "se lo dio", "se lo di", "decia ser", "haciendose pasar",
    "pretending to be", "claiming to be", "robaron", "stole", "stolen",
    "cambiaron los datos bancarios", "changed the bank", "expuest*", "exposed",
    "comprometid*", "compromised", "ransomware", "virus", "malware", "accedieron",
    "accessed our", "sin autorizacion", "without authori*", "sin permiso", "without permission",
    "desde otro pais", "from another country", "alguien cambio", "alguien cambiaron",
    "someone changed", "no fuimos nosotros", "no fui yo", "wasn t us", "wasn t me",
    "we didn t do", "i didn t do", "cambiaron la contrasena", "cambiaron la clave",
    "changed the password", "changed our password", "password was changed",
    "no autorizamos", "didn t authori*", "never authori*", "dispositivo que no",
    "device we don t", "got into our", "got into my", "broke into", "de otras empresas",
    "de otra empresa", "de otros negocios", "other companies", "another company",
    "other businesses", "another business", "sesiones que no", "sessions we don t",
    "logins we don t", "inicios de sesion", "suspicious", "sospechos*",
    # an unknown user or admin (the label guide's suspected intrusion)
    "nadie creo", "no creamos", "nadie de nosotros creo", "nobody created", "no one created",
    "we didn t create", "none of us created", "usuario desconocido", "usuarios desconocidos",
    "administrador desconocido", "admin desconocido", "unknown user", "unknown users",
)
HOSTILE = ("amenaz*", "threaten*", "bad terms", "quedo mal", "malos terminos", "revenge",
           "venganza")
BILLING_LOCK = (
    "falta de pago", "adeudo", "deuda", "suspendid*", "suspended", "billing", "inactive",
    "pagamos", "we paid", "ya pague", "already paid", "factura", "invoice", "card expired",
    "tarjeta vencida", "cobro pendiente", "payment pending", "moroso", "mora",
)
HARM = ("borraron", "borro", "deleted", "moved", "transfirio", "transferred", "refunds",
        "reembolsos", "cobraron", "charged", "datos bancarios", "bank details", "robaron",
        "stole", "issued", "emitio", "datos de otros", "exposed", "expuest*", "mostrando",
        "showing")
# Someone else's personal data shown to a customer (the label guide's exposure): a kind of
# record, then whose it is ("las facturas de otros clientes", "other guests' documents").
_RECORDS_ES = (r"(datos|facturas?|documentos?|nombres?|telefonos?|direcciones|historias?|"
               r"recibos?|tarjetas?|informacion)")
_PEOPLE_ES = r"(personas?|clientes?|usuarios?|pacientes?|huespedes|socios?|empresas?|negocios?)"
_PEOPLE_EN = (r"(people|persons?|customers?|clients?|guests?|users?|patients?|members?|"
              r"compan(y|ies)|business(es)?)")
_RECORDS_EN = (r"(data|details|invoices?|documents?|names?|addresses|phone|records?|receipts?|"
               r"information|info|ids?|cards?)")
EXPOSURE = re.compile(
    rf"\b{_RECORDS_ES}( \w+){{0,3}} de otr[oa]s? {_PEOPLE_ES}\b"
    rf"|\b(other|another) {_PEOPLE_EN}( s)? (\w+ ){{0,2}}{_RECORDS_EN}\b")
CRITICAL_DAY = ("hoy vence", "ultimo dia", "vence hoy", "due today", "last day", "hoy es el")
# Wrong or double charges, charges after cancelling, refunds: billing at medium at least.
CHARGE_PROBLEM = (
    "dos veces", "doble", "duplicad*", "twice", "double", "reembols*", "devolucion",
    "devuelvan", "devolver el dinero", "refund*", "no reconozco", "don t recognize",
    "don t recognise", "de mas", "overcharg*", "wrong amount", "monto incorrecto",
    "despues de cancelar", "after we cancelled", "after cancelling", "after canceling",
    "siguen cobrando", "still charging", "seguimos pagando", "still being charged",
)
# The desk's own customers charged wrongly, every one of them (a failure that hits sales, not
# the desk's subscription): "les cobra doble a los clientes en cada venta".
END_CUSTOMERS = ("clientes", "socios", "papas", "padres", "pacientes", "alumnos", "huespedes",
                 "customers", "clients", "members", "parents", "patients", "guests", "students")
EVERY_PAYMENT = ("for every", "cada pago", "cada cobro", "cada compra", "cada venta",
                 "every payment", "every charge", "every purchase", "every sale", "each payment",
                 "each sale", "todos los pagos", "todos los cobros", "all payments", "all charges")
# The lock-out is the customer's own: their only user, admin or cashier (the label guide keeps
# it in account, critical when it stops all sales), not a fault that locks everyone out.
OWN_LOCKOUT = (
    "la unica cuenta", "unica cuenta", "el unico usuario", "la unica usuaria", "unico admin*",
    "unica admin*", "soy la unica", "soy el unico", "es la unica", "es el unico",
    "only admin", "only user", "only account", "only login", "sole admin*", "sole user",
    "i m the only", "she s the only", "he s the only",
)
# Suspended, locked or downgraded though the customer paid (the label guide: billing, high).
LOCKED = ("suspendid*", "suspended", "suspend*", "bloquearon", "bloquead*", "locked",
          "downgrad*", "bajaron de plan", "inactive", "inactiva", "desactivad*", "cortan",
          "cortaron", "cut off", "disabled", "deshabilitad*", "deactivated")
PAID = ("pagamos", "ya pague", "ya pagamos", "we paid", "i paid", "already paid",
        "payment went through", "el pago paso", "transferimos", "updated the card",
        "actualice la tarjeta", "even though", "aunque ya", "pero ya", "pero pagamos")
# A former employee who still has access (the label guide: medium on good terms, high when
# hostile).
FORMER = ("se fue", "renuncio", "renuncia", "ex empleado", "ex empleada", "ya no trabaja",
          "dejo de trabajar", "left the company", "left us", "who left", "former", "quit",
          "resigned", "no longer works")
# A setting the customer made that the product does not follow (the label guide: functional,
# medium): "configuré X pero sale Y", "we set X but it still does Y".
CONFIGURED = ("configure que", "configure el", "configure la", "configure los", "configure las",
              "configuramos", "puse que", "puse el", "puse la", "pusimos", "cambie el",
              "cambie la", "i set", "we set", "i configured", "we configured", "i changed the",
              "we changed the", "i turned on", "we turned on", "active la", "activamos")
CONTRARY = ("pero", "but", "sigue", "siguen", "still", "igual", "aun asi")
FIRED = ("despedi*", "echamos", "echaron", "fired", "let go", "dismissed")
STILL = ("todavia", "sigue", "siguen", "aun", "still")
WORK_STOPPED = (
    "no podemos trabajar", "no puedo trabajar", "no podemos atender", "no podemos operar",
    "can t work", "cannot work", "can t operate", "cannot operate", "operation stopped",
    "operacion detenida", "todo parado", "estamos parados", "parados", "detenid*",
    "clientes esperando", "customers waiting", "esperando en la puerta", "showing up",
    "llegando", "a mano", "by hand", "en papel", "on paper",
)
# Only part of it fails, the rest works: one user, one payment method, one screen.
PARTIAL = (
    "los demas si", "las demas si", "los demas pueden", "las demas pueden", "el resto si",
    "el resto funciona", "el resto anda", "lo demas funciona", "lo demas anda", "solo a mi",
    "solo a uno", "solo a una", "solo en una", "solo en un", "con tarjeta si", "en efectivo si",
    "everyone else", "everybody else", "the others can", "others can", "the others are fine",
    "the rest works", "the rest is fine", "the rest of us", "only one user", "only for one",
    "just one user", "just for one", "only me", "just me", "still work*", "are fine",
    "is fine", "work fine", "works fine", "todavia funciona", "sigue funcionando",
)


@dataclass(frozen=True)
class Signs:
    no_sales: bool
    down: bool
    everyone: bool
    data_lost: bool
    intrusion: bool
    hostile: bool
    billing_lock: bool
    harm: bool
    work_stopped: bool
    critical_day: bool
    charge_problem: bool = False
    outage: bool = False
    partial: bool = False
    all_down: bool = False
    customers_charged: bool = False   # every end customer charged wrongly
    own_lockout: bool = False   # their only user, admin or cashier locked out
    locked_though_paid: bool = False
    former_with_access: bool = False
    fired: bool = False   # dismissed, not left: the model reads how it ended
    setting_ignored: bool = False   # a setting they made that the product does not follow

    @property
    def stopped(self) -> bool:
        """Clearly an emergency: sales stopped, all down, data lost in bulk, an intrusion."""
        whole = self.everyone and not self.partial
        return ((self.no_sales and not self.partial) or self.intrusion or (self.down and whole)
                or (self.all_down and not self.partial) or (self.data_lost and whole)
                or (self.customers_charged and not self.partial))

    @property
    def maybe_stopped(self) -> bool:
        """Could be one: worth the yes/no question before guessing lower."""
        return (self.outage or self.data_lost or self.critical_day
                or (self.everyone and self.work_stopped))


ASKED_IN = ("technical", "billing", "account", "emergency")


def read(text: str) -> Signs:
    norm = normalize_text(text)

    def has(words: tuple[str, ...]) -> bool:
        return count_hits(norm, words) > 0
    exposed = EXPOSURE.search(norm) is not None
    everyone, charge_problem = has(EVERYONE), has(CHARGE_PROBLEM)
    return Signs(has(NO_SALES), has(DOWN), everyone, has(DATA_LOST),
                 has(INTRUSION) or exposed, has(HOSTILE), has(BILLING_LOCK),
                 has(HARM) or exposed, has(WORK_STOPPED),
                 has(CRITICAL_DAY), charge_problem, has(OUTAGE), has(PARTIAL),
                 has(ALL_DOWN), charge_problem and has(END_CUSTOMERS)
                 and (has(EVERY_PAYMENT) or everyone), has(OWN_LOCKOUT),
                 has(LOCKED) and has(PAID), has(FORMER) and has(STILL), has(FIRED),
                 has(CONFIGURED) and has(CONTRARY))


EMERGENCY_FLOOR = 0.35   # P(emergency) from which it is one, even when another class leads
# Below this dedicated emergency score (a two-class model fitted beside the category model), a
# verdict of emergency without a clear stop in the words falls to the next category: the
# category model leans to emergency on a vague or short message. Chosen on the config examples
# triaged by a fit on dev only (false emergencies 11 → 2 of 28, one emergency fewer found) with
# leave-one-product-out on dev unchanged.
EMERGENCY_GATE = 0.2
PROBLEMS = ("technical", "billing", "account")


def decide_category(ranked: Sequence[str], p_emergency: float, signs: Signs,
                    emergency_score: float = 1.0) -> str:
    """The classifier's best, raised to emergency when the impact rules say so, lowered to the
    likeliest problem category (technical, billing, account: it reads as a problem report) when
    the emergency score is low and no clear stop is said."""
    best = raised_category(ranked, p_emergency, signs)
    if best == "emergency" and emergency_score < EMERGENCY_GATE and not signs.stopped:
        return next(name for name in ranked if name in PROBLEMS)
    return best


def raised_category(ranked: Sequence[str], p_emergency: float, signs: Signs) -> str:
    """The classifier's best, raised to emergency when the impact rules say so. A lock-out the
    customer caused (account) or a billing lock that stops sales stay in their category."""
    best = ranked[0]
    if (best != "emergency" and p_emergency >= EMERGENCY_FLOOR and not signs.hostile
            and not (signs.partial and not signs.intrusion)):
        best = "emergency"
    if best == "emergency" and signs.hostile and not (signs.intrusion and signs.harm):
        return ranked[1]   # a hostile ex-employee who still has access: account, not yet harm
    if best == "emergency" and signs.partial and not (signs.intrusion or signs.data_lost):
        return ranked[1]   # one user, one method, one screen: the rest works
    if best == "emergency" and signs.own_lockout and not (signs.intrusion or signs.data_lost):
        return "account"   # their only user locked out: account, however much it stops
    if best == "emergency" or not signs.stopped:
        return best
    if signs.intrusion or signs.data_lost:
        return "emergency"
    if best == "billing" and signs.billing_lock:
        return best
    if best == "account" and (signs.own_lockout or (signs.no_sales and not signs.everyone)):
        return best
    return "emergency"


def at_least(priority: str, floor: str) -> str:
    """`priority`, raised to `floor` when lower."""
    return priority if PRIORITIES.index(priority) >= PRIORITIES.index(floor) else floor


def adjust_priority(category: str, priority: str, signs: Signs) -> str:
    """Impact over the priority model: what stops sales or loses data is critical."""
    if category == "emergency":
        if signs.intrusion and not signs.harm and not signs.no_sales and not signs.data_lost:
            return priority   # a suspected intrusion, no harm seen yet: the model says
        if signs.stopped or signs.no_sales or signs.critical_day:
            return "critical"
        return priority
    if category in ("billing", "account") and signs.no_sales and not signs.partial:
        return "critical"
    if signs.partial and not (signs.intrusion or signs.data_lost) and priority == "critical":
        return "high"   # the rest works: sales still go through, nothing is lost
    if category == "billing" and signs.charge_problem and priority == "low":
        return "medium"
    if category == "functional" and signs.setting_ignored:
        return at_least(priority, "medium")
    if category == "billing" and signs.locked_though_paid:
        return at_least(priority, "high")
    if category == "account" and signs.former_with_access and not signs.fired:
        return "high" if signs.hostile else "medium"
    return priority
