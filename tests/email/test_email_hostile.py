"""Hostile mail: a 100 kB mail of endless words is handled in bounded time and memory."""

from __future__ import annotations

import random
import string
import time
import tracemalloc

import pytest

from bot.store.models import Message
from channels.email.quotes import latest_reply
from tests.email.mailkit import MailDesk, mail, rows, run

MEGABYTE = 1024 * 1024


def long_word(length: int, seed: int) -> str:
    pick = random.Random(seed).choice
    return "".join(pick(string.ascii_lowercase) for _ in range(length))


def hostile_mail(sender: str, seed: int) -> bytes:
    body = "Hola, necesito ayuda con mi factura.\n" + "\n".join(
        long_word(25_000, seed * 10 + n) for n in range(4))
    return bytes(mail(sender, "ayuda", body))


def test_a_100_kb_mail_of_endless_words_costs_under_2_s_and_100_mb(desk: MailDesk) -> None:
    timed, traced = hostile_mail("carla@cliente.co", 1), hostile_mail("dora@cliente.co", 2)
    assert len(timed) > 100_000

    async def scenario() -> tuple[list[str], float, float]:
        async with desk.running():
            await desk.send(mail("warm@cliente.co", "hola", "¿Cuál es el horario?"))
            started = time.perf_counter()
            replies = [await desk.send(timed, sender="carla@cliente.co")]  # stored and routed
            elapsed = time.perf_counter() - started
            tracemalloc.start()   # (it slows Python down: time is measured without it)
            try:
                replies.append(await desk.send(traced, sender="dora@cliente.co"))
                peak = tracemalloc.get_traced_memory()[1] / MEGABYTE
            finally:
                tracemalloc.stop()
            return replies, elapsed, peak

    replies, elapsed, peak = run(scenario())  # type: ignore[misc]
    assert all(reply.startswith("2.0.0") for reply in replies), replies
    for sender in ("carla@cliente.co", "dora@cliente.co"):
        stored = rows(desk.runtime, Message, Message.sender == sender)
        assert [m.status for m in stored] == ["processed"]
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    assert peak < 100, f"{peak:.0f} MB"


BACKTRACKING = {
    "50,000 spaces": "hola" + " " * 50_000 + "chao",
    "20,000 blank lines": "hola" + "\n" * 20_000 + "chao",
    "blank lines with spaces": "hola" + " \n" * 20_000 + "chao",
    "quote marks": "hola\n" + "\n>" * 30_000,
    "100 kB of short lines": "\n".join(long_word(40, seed) for seed in range(2_500)),
}


@pytest.mark.parametrize("name", BACKTRACKING)
def test_finding_the_latest_reply_is_bounded(name: str) -> None:
    started = time.perf_counter()
    found = latest_reply(BACKTRACKING[name])
    assert time.perf_counter() - started < 1.0, name
    assert found.split()[0] in BACKTRACKING[name]


def test_the_latest_reply_of_a_long_mail_keeps_all_of_its_new_text() -> None:
    words = [long_word(8, seed) for seed in range(4_000)]
    text = "\n".join(" ".join(words[i:i + 10]) for i in range(0, len(words), 10))
    quoted = f"{text}\n\nOn Tue, 24 Nov 2026 at 10:00, Ana <ana@example.com> wrote:\n> hola\n"
    assert latest_reply(text).split() == words
    # past MAX_QUOTE_SCAN quote headers are not looked for: the new text is kept whole
    assert latest_reply(quoted).split()[:len(words)] == words
