"""The help center over real HTTP: articles by tag, sanitised pages, search, votes, es/en."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from bot.app import Runtime
from bot.config.root import AtiendeConfig
from bot.store.models import KbFeedback
from bot.web.app import create_web_app
from scheduler.clock import FixedClock
from tests.conftest import REPO
from tests.fakes.loopback import LoopbackServer

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
EVIL = """---
id: evil-es
lang: es
title: Artículo <b>peligroso</b>
questions:
  - ¿Cómo pruebo la seguridad del centro de ayuda?
tags: [seguridad]
---
Texto <script>alert(1)</script> y <img src=x onerror=alert(2)> y [malo](javascript:alert(3))
y [bueno](https://example.com/guia) y **negrita**.
"""


@pytest.fixture
def config(config: AtiendeConfig, tmp_path: Path) -> AtiendeConfig:
    kb = tmp_path / "kb"
    shutil.copytree(REPO / "kb" / "articles", kb)
    (kb / "evil-es.md").write_text(EVIL, encoding="utf-8")
    data = config.model_dump(by_alias=True)
    data["kb"]["path"] = str(kb)
    data["branding"] = {"logo_url": "/logo.png", "color": "#aa3300",
                        "support_email": "ayuda@example.com"}
    return AtiendeConfig.model_validate({**data, "source": config.source})


@pytest.fixture
def site(runtime: Runtime) -> Iterator[httpx.Client]:
    with LoopbackServer(create_web_app(runtime)) as server, \
            httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def test_home_groups_articles_by_tag_in_the_visitors_language(site: httpx.Client) -> None:
    spanish = site.get("/help/", headers={"Accept-Language": "es-CO,es;q=0.9"})
    assert spanish.status_code == 200
    assert '<html lang="es">' in spanish.text
    assert "Horario de atención" in spanish.text and ">soporte</h2>" in spanish.text
    english = site.get("/help/", headers={"Accept-Language": "en-US,en;q=0.8"})
    assert '<html lang="en">' in english.text and "Horario de atención" not in english.text
    assert "Help center" in english.text


def test_a_chosen_language_is_remembered(site: httpx.Client) -> None:
    chosen = site.get("/help/?lang=en", headers={"Accept-Language": "es"})
    assert chosen.cookies.get("atiende_help_lang") == "en"
    again = site.get("/help/", headers={"Accept-Language": "es"})
    assert '<html lang="en">' in again.text


def test_an_article_is_sanitised_html(site: httpx.Client) -> None:
    page = site.get("/help/articles/evil-es")
    assert page.status_code == 200
    body = page.text.split("<main>")[1]
    assert "<script>alert" not in body and "&lt;script&gt;alert(1)" in body   # shown as text
    assert not re.search(r"<[a-z][^>]*onerror", body)                 # no live attribute
    assert 'href="javascript:' not in body
    assert "Artículo &lt;b&gt;peligroso&lt;/b&gt;" in body          # titles are escaped
    assert '<a href="https://example.com/guia" rel="noopener noreferrer nofollow">' in body
    assert "<strong>negrita</strong>" in body
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert site.get("/help/articles/nope").status_code == 404


def test_search_answers_with_the_bots_matcher_or_offers_to_write(site: httpx.Client) -> None:
    found = site.get("/help/search", params={"q": "¿Cuál es el horario de soporte?"})
    assert found.status_code == 200
    assert 'id="best"' in found.text and "Horario de atención" in found.text
    nothing = site.get("/help/search", params={"q": "zxqw plomkrt vbnaa"})
    assert 'id="no-match"' in nothing.text and "Escríbenos" in nothing.text
    assert "mailto:ayuda@example.com" in nothing.text
    assert site.get("/help/search", params={"q": "x" * 301}).status_code == 400
    assert site.get("/help/search", params={"q": "<script>x</script>"}).text.count(
        "<script>x") == 0


def test_searches_are_rate_limited_per_address(site: httpx.Client) -> None:
    codes = [site.get("/help/search", params={"q": f"horario {n}"}).status_code
             for n in range(61)]
    assert codes[:60] == [200] * 60 and codes[60] == 429


def test_a_vote_is_counted_in_the_kb_feedback(site: httpx.Client, runtime: Runtime) -> None:
    page = site.get("/help/articles/support-hours-es?q=horario")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    forged = site.post("/help/articles/support-hours-es/feedback",
                       data={"csrf": "forged", "helpful": "yes"})
    assert forged.status_code == 400
    voted = site.post("/help/articles/support-hours-es/feedback",
                      data={"csrf": token, "helpful": "no", "q": "horario"})
    assert voted.status_code == 303
    after = site.get(voted.headers["location"])
    assert "Escríbenos" in after.text and 'id="vote-result"' in after.text
    with runtime.factory() as session:
        rows = session.scalars(select(KbFeedback)).all()
    assert [(r.article_id, r.helpful, r.question, r.lang) for r in rows] == [
        ("support-hours-es", False, "horario", "es")]


def test_hours_and_branding_are_shown(site: httpx.Client, clock: FixedClock) -> None:
    page = site.get("/help/")
    assert "Estamos atendiendo ahora" in page.text
    assert "--brand:#aa3300" in page.text and '<img src="/logo.png"' in page.text
    clock.set(datetime(2026, 11, 28, 11, 0, tzinfo=ZoneInfo("America/Bogota")))   # Saturday
    closed = site.get("/help/")
    assert "fuera de horario" in closed.text
    assert "Volvemos a atender el lunes a las 8:00" in closed.text
