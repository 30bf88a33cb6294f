"""The 106 real-world mails of ../shared/mail-corpus/zammad against their .yml oracle.

The oracle is Zammad's parse; where it keeps a sender's junk or leaves a broken encoded word
undecoded, the table below says what we read instead and why.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from bot.app import Runtime
from bot.store.models import Message, OutboxItem, QuarantineItem
from channels.base import UnparseableEmail
from channels.email.addresses import is_own_address
from channels.email.html_text import html_to_text
from channels.email.ingest import Envelope
from channels.email.parse import ParsedEmail, parse_email
from tests.email.mailkit import intake

CORPUS_SIZE = 106
WORD = re.compile(r"\w+")
SENDER_QUIRKS = {  # the oracle keeps display-name words inside the address
    "mail071": "system@example.com",     # "…" <power quadrant system@example.com>
    "mail087": "test@example.com",       # From: Test test@example.com
}
SUBJECT_QUIRKS = {  # an encoded word folded over two lines: we decode it, the oracle does not
    "mail018": "Benachrichtung zum Übermittlungsstatus (Fehlgeschlagen)",
}
BODY_QUIRKS = {  # multipart/alternative: the oracle shows the HTML part, we read the plain one
    "mail017", "mail026", "mail043", "mail085",
    "mail060",   # the oracle's text is itself mojibake of a mislabelled charset
    "mail099",   # one NEC extension character of ISO-2022-JP that Python's codec lacks
    "mail072",   # HTML alternative, and the oracle misreads windows-1252 as windows-1250
}
AUTOMATIC = {  # bounces, delivery reports, auto-replies, bulk and list mail
    "mail018", "mail033-undelivered-mail-returned-to-sender", "mail043", "mail052", "mail053",
    "mail055", "mail063", "mail078", "mail089", "mail090", "mail092",
}
PEOPLE = {  # ordinary mail from a person: must stay answerable
    "mail002", "mail004", "mail005", "mail007", "mail012", "mail013", "mail014", "mail036",
    "mail038", "mail045", "mail054", "mail072", "mail077", "mail095",
}


class OracleLoader(yaml.SafeLoader):
    """The .yml files carry Ruby type tags; read them as plain mappings."""


def _any_tag(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


OracleLoader.add_multi_constructor("!", _any_tag)


def own(address: str) -> bool:
    return is_own_address(address, "soporte@example.com")


@functools.cache
def corpus(folder: Path) -> list[tuple[str, bytes, dict[str, Any]]]:
    items = []
    for box in sorted(folder.glob("*.box")):
        oracle_file = box.with_suffix(".yml")
        oracle = yaml.load(oracle_file.read_text(encoding="utf-8"), Loader=OracleLoader) or {}
        items.append((box.stem, box.read_bytes(), oracle))
    return items


@functools.cache
def parse_all(folder: Path) -> dict[str, ParsedEmail | UnparseableEmail]:
    results: dict[str, ParsedEmail | UnparseableEmail] = {}
    for name, data, _oracle in corpus(folder):
        try:
            results[name] = parse_email(data, own)
        except UnparseableEmail as exc:
            results[name] = exc
    return results


def norm_address(value: str) -> str:
    return re.sub(r"[\s\"'<>]", "", value).rstrip(".").lower()


def recall(oracle: dict[str, Any], text: str) -> float:
    body = oracle.get("body") or ""
    if oracle.get("content_type") == "text/html":
        body = html_to_text(body)
    expected = {w.lower() for w in WORD.findall(body)}
    found = {w.lower() for w in WORD.findall(text)}
    return len(expected & found) / len(expected) if expected else 1.0


def test_every_mail_parses_or_is_quarantinable(corpus_dir: Path) -> None:
    results = parse_all(corpus_dir)
    assert len(results) == CORPUS_SIZE
    unreadable = {n: str(r) for n, r in results.items() if isinstance(r, UnparseableEmail)}
    assert unreadable == {}  # the whole corpus is readable; garbage is tested elsewhere


def test_sender_and_subject_match_the_oracle(corpus_dir: Path) -> None:
    results = parse_all(corpus_dir)
    wrong = []
    for name, _data, oracle in corpus(corpus_dir):
        result = results[name]
        assert isinstance(result, ParsedEmail)
        sender = SENDER_QUIRKS.get(name, norm_address(oracle.get("from_email") or ""))
        subject = SUBJECT_QUIRKS.get(name, " ".join((oracle.get("subject") or "").split()))
        if norm_address(result.sender) != norm_address(sender):
            wrong.append((name, "from", result.sender, sender))
        if result.subject != subject:
            wrong.append((name, "subject", result.subject, subject))
    assert wrong == []


def test_body_text_loosely_matches_the_oracle(corpus_dir: Path) -> None:
    results = parse_all(corpus_dir)
    poor = {}
    for name, _data, oracle in corpus(corpus_dir):
        result = results[name]
        assert isinstance(result, ParsedEmail)
        if (oracle.get("body") or "").strip() == "no visible content" or name in BODY_QUIRKS:
            continue
        score = recall(oracle, result.text)
        if score < 0.5:
            poor[name] = round(score, 2)
    assert poor == {}


def test_automatic_mail_is_flagged_and_people_are_not(corpus_dir: Path) -> None:
    results = parse_all(corpus_dir)
    flagged = {n for n, r in results.items() if isinstance(r, ParsedEmail) and r.automated}
    assert flagged >= AUTOMATIC
    assert not flagged & PEOPLE


def test_the_whole_corpus_through_the_channel_loses_nothing(corpus_dir: Path,
                                                            email_runtime: Runtime) -> None:
    service = intake(email_runtime)
    kinds: dict[str, str] = {}
    for name, data, _oracle in corpus(corpus_dir):
        kinds[name] = service.receive_sync(data, Envelope(), "email:imap").kind
    with email_runtime.factory() as session:
        stored = {m.provider_message_id: m for m in session.scalars(select(Message))}
        quarantined = session.scalars(select(QuarantineItem)).all()
        answered = set(session.scalars(select(OutboxItem.recipient)))
    assert len(stored) + len(quarantined) + list(kinds.values()).count("duplicate") == CORPUS_SIZE
    for name in AUTOMATIC:  # mail089 and mail090 share a Message-ID: the second is a repeat
        assert kinds[name] in ("automated", "duplicate"), name
    automatic_senders = {m.sender for m in stored.values() if m.status == "automated"}
    assert not automatic_senders & answered
    assert {m.status for m in stored.values()} <= {"processed", "automated"}
