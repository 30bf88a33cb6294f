"""Spanish and English function words and chat fillers, accent-free and lowercase.

These lists hold grammar words (articles, pronouns, prepositions, auxiliaries, question words)
and conversational fillers (greetings, thanks, chat abbreviations). They carry no product
vocabulary: the matcher ignores them and language detection counts them.
"""

from __future__ import annotations

from functools import cache, lru_cache

from kb.normalize import stem_words


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


ES_FUNCTION = _word_set("""
a al algo alguien algun alguna algunas alguno algunos ante antes aqui asi aun aunque cada
como con contra cual cuales cualquier cuando cuanta cuantas cuanto cuantos de del desde donde
durante e el ella ellas ellos en entre era eran es esa esas ese eso esos esta estaba estamos
estan estar estas este esto estos estoy fue fueron ha han has hasta hay he hemos hice la las
le les lo los me mi mis mucho muchos muy nada ni no nos nosotros nuestra nuestro nuestros o
otra otro otros para pero poco por porque pues que quien quienes se sea ser si sido siempre
sin sobre solo son soy su sus tambien tampoco tan tanto te tenemos tener tengo ti tiene tienen
toda todas todo todos tu tus u un una unas uno unos usted ustedes va vamos van voy y ya yo
puedo puede pueden podemos hago hace hacen hacer quiero quiere queremos necesito necesita
debo deberia tendria seria estoy alla aca ahi ahora entonces luego mas menos otro vez veces
cosa cosas mio mia tuyo dice dicen sigue mismo misma mismos mismas
""")

EN_FUNCTION = _word_set("""
a about after again all am an and any are as at be because been before being both but by can
could did do does doing done don down during each either every for from had has have having
he her here hers him his how i if in into is it its itself just let me might mine more most
must my myself no nor not now of off on once only or other our ours out over own same she
should so some such than that the their theirs them then there these they this those through
to too under until up us very was we were what when where which while who whom whose why will
with would you your yours yourself yourselves im ive id dont doesnt cant isnt wont didnt
whats thats theres hows u ur get got getting want wanna need make way thing things still also
anyone someone something anything really already even ever much many else maybe please
""")

FILLERS = _word_set("""
hola buenas buenos tardes noches gracias porfa porfavor favor xfa plis pls please hi
hello hey thanks thank thx ty saludos cordial cordialmente atentamente regards cheers
jaja jajaja jajajaja jeje lol ok okay listo vale bueno oye mira pues q xq pq k pa tb tmb
ud uds dear team equipo señores senores estimado estimados bendiciones
""")


@cache
def _spanish_function_stems() -> frozenset[str]:
    """Stems of Spanish grammar words, so inflections such as 'puedan' count too."""
    return frozenset(stem_words(sorted(w for w in ES_FUNCTION if len(w) > 3), "es"))


@lru_cache(maxsize=1 << 16)
@lru_cache(maxsize=1 << 16)
def is_function_word(token: str) -> bool:
    """True when the (normalised) token is a grammar word or filler in either language."""
    if token in ES_FUNCTION or token in EN_FUNCTION or token in FILLERS:
        return True
    return len(token) > 3 and stem_words([token], "es")[0] in _spanish_function_stems()
