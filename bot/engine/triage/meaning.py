"""Impact by meaning: how close a message is to short statements of each kind of impact
(es/en, written for any small business, not for one product). Their closeness is a feature
beside the word signals, so a paraphrase of "nobody can pay" counts without its words."""

from __future__ import annotations

import numpy

IMPACTS: dict[str, tuple[str, ...]] = {
    "everything_down": (
        "el sistema está caído para todos", "no funciona nada, ni la app ni la web",
        "la plataforma no abre en ningún local", "nadie de nuestro equipo puede entrar al sistema",
        "the whole system is down for everyone", "nothing works, neither the app nor the website",
        "the platform will not open at any of our locations", "none of our staff can get in",
    ),
    "sales_stopped": (
        "no podemos vender ni cobrar nada", "ningún cliente puede pagar", "la caja no deja cobrar",
        "se rechazan todos los pagos", "los clientes no pueden comprar ni reservar",
        "we cannot sell or take any payment", "no customer can pay us right now",
        "every payment is being declined", "our customers cannot buy or book anything",
    ),
    "data_lost": (
        "se borraron todos los registros", "desapareció toda la información de la semana",
        "la lista está vacía y ayer estaba llena", "perdimos los datos de los clientes",
        "all our records were deleted", "the whole week's data has disappeared",
        "the list is empty and yesterday it was full", "we lost our customers' data",
    ),
    "intrusion": (
        "alguien entró a nuestra cuenta sin permiso",
        "cambiaron los datos bancarios sin que fuéramos nosotros",
        "se ven datos personales de otra empresa", "un estafador consiguió el código de acceso",
        "someone got into our account without permission",
        "the bank details were changed and it wasn't us",
        "we can see personal data of another company", "a scammer got our access code",
    ),
    "one_function": (
        "una pantalla da error pero lo demás funciona", "un reporte sale con números mal",
        "está lento al buscar", "one screen shows an error but the rest works",
        "a report shows the wrong numbers", "searching is slow",
    ),
    "one_user": (
        "un usuario no puede iniciar sesión, los demás sí", "olvidé mi contraseña",
        "one user cannot log in, the others can", "I forgot my password",
    ),
    # The priority's questions: do end customers feel it, can staff work, is there a way
    # around it, is there a date, is it only a question.
    "customers_feel_it": (
        "a nuestros clientes les sale un error", "los clientes se quejan y no pueden usarlo",
        "our customers get an error", "our clients are complaining they cannot use it",
    ),
    "work_by_hand": (
        "tenemos que hacerlo a mano en papel", "el equipo no puede hacer su trabajo",
        "we are doing it by hand on paper", "our staff cannot do their work",
    ),
    "workaround": (
        "es solo estético, se puede usar igual", "por ahora lo hacemos de otra forma",
        "it is only cosmetic, we can still use it", "there is a workaround for now",
    ),
    "deadline": (
        "lo necesitamos antes del lunes", "empezamos la semana que viene",
        "we need it before Monday", "we go live next week",
    ),
    "just_asking": (
        "solo una consulta, ¿cómo se hace?", "una idea para mejorar la aplicación",
        "just a question, how do I do this?", "an idea to improve the app",
    ),
}
GROUPS = tuple(IMPACTS)


class ImpactMeaning:
    """Each group's statements as unit vectors; a message's closeness to each group."""

    def __init__(self, vectors: numpy.ndarray) -> None:
        self.vectors = vectors
        sizes = [len(IMPACTS[name]) for name in GROUPS]
        self.bounds = numpy.cumsum([0, *sizes])

    def closeness(self, x: numpy.ndarray) -> numpy.ndarray:
        """(n, groups): the best cosine of each row with any statement of each group."""
        if x.shape[1] == 0 or self.vectors.shape[0] == 0:
            return numpy.zeros((x.shape[0], len(GROUPS)), dtype=numpy.float32)
        sims = x @ self.vectors.T
        return numpy.stack([sims[:, a:b].max(axis=1) for a, b in
                            zip(self.bounds[:-1], self.bounds[1:], strict=True)],
                           axis=1).astype(numpy.float32)


def statements() -> list[str]:
    return [text for name in GROUPS for text in IMPACTS[name]]
