"""Long messages: meaning is read from the sentence that singles out a topic, not the one that
is merely close to everything (a generic "How do I set it up?")."""

from __future__ import annotations

from pathlib import Path

import numpy
from kb_samples import write_sample_kb

from kb.knowledge import open_index
from kb.matcher import _by_topic, _decisive, best_match


def test_the_peaked_row_wins_over_a_higher_but_flat_one(tmp_path: Path) -> None:
    index = open_index(write_sample_kb(tmp_path / "kb"))
    topics = len(index.members)
    # the highest cosine, but each topic only a little below the one before: close to all
    flat = numpy.array([0.56 - 0.01 * topic for topic in index.topic_of_article.tolist()])
    peaked = numpy.full(len(index.articles), 0.20)
    target = index.members[topics - 1][0]
    peaked[target] = 0.50                            # lower, but it stands alone
    chosen = _decisive(index, numpy.stack([flat, peaked]))
    assert numpy.array_equal(chosen, peaked)
    assert int(numpy.argmax(_by_topic(index, chosen))) == topics - 1
    assert numpy.array_equal(_decisive(index, flat[None, :]), flat)   # one text: itself


def test_a_long_email_is_matched_by_its_telling_sentence(tmp_path: Path) -> None:
    index = open_index(write_sample_kb(tmp_path / "kb"))
    assert index.meaning is not None
    email = ("Buenas tardes.\n\nAbrimos un bar con diez mesas y queremos que cada cliente pida "
             "desde su mesa con el celular escaneando un código, y que el pedido llegue a la "
             "barra con el número de la mesa. ¿Se puede? ¿Cómo se configura?\n\n"
             "Gracias,\nSebastián")
    match = best_match(index, email)
    assert match.candidates[0].article_id == "table-qr-es"


def test_a_message_with_nothing_to_read_gets_no_answer_and_no_error(tmp_path: Path) -> None:
    """An empty mail body, only a quoted thread, only a signature: no text is left to encode."""
    index = open_index(write_sample_kb(tmp_path / "kb"))
    for text in ("", "   ", "> Escribió el soporte:\n> hola", "--\nAna Pérez\nGerente"):
        assert not best_match(index, text, "es").answered
