"""KB feedback figures: views and helpful % per article, and the top unanswered questions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.reports.sql import count_if, ratio
from bot.store.models import KbFeedback, TicketEvent
from kb.loader import Article

ANSWERED_ACTION = "kb_answered"


@dataclass(frozen=True)
class ArticleStats:
    article_id: str
    lang: str | None
    title: str | None  # None: the article is no longer in the KB folder
    views: int
    helpful: int
    not_helpful: int

    @property
    def helpful_rate(self) -> float | None:
        return ratio(self.helpful, self.helpful + self.not_helpful)

    def to_json(self) -> dict[str, Any]:
        return {"article_id": self.article_id, "lang": self.lang, "title": self.title,
                "views": self.views, "helpful": self.helpful, "not_helpful": self.not_helpful,
                "helpful_rate": self.helpful_rate}


@dataclass(frozen=True)
class UnansweredQuestion:
    question: str
    lang: str
    count: int
    last_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "lang": self.lang, "count": self.count,
                "last_at": self.last_at.isoformat()}


def since_filter(column: Any, since: datetime | None) -> list[Any]:
    return [column >= since] if since is not None else []


def article_views(session: Session, since: datetime | None) -> dict[str, int]:
    """How many times the bot answered with each article."""
    stmt = (select(TicketEvent.detail, func.count())
            .where(TicketEvent.action == ANSWERED_ACTION, TicketEvent.detail.is_not(None),
                   *since_filter(TicketEvent.at, since))
            .group_by(TicketEvent.detail))
    return {str(article): int(count) for article, count in session.execute(stmt)}


def article_feedback(session: Session, since: datetime | None) -> dict[str, tuple[str, int, int]]:
    """{article: (language, yes, no)} from the "¿Te ayudó?" answers."""
    stmt = (select(KbFeedback.article_id, func.max(KbFeedback.lang),
                   count_if(KbFeedback.helpful.is_(True)), count_if(KbFeedback.helpful.is_(False)))
            .where(KbFeedback.article_id.is_not(None), *since_filter(KbFeedback.at, since))
            .group_by(KbFeedback.article_id))
    return {str(a): (lang, int(yes), int(no)) for a, lang, yes, no in session.execute(stmt)}


def article_stats(session: Session, articles: dict[str, Article],
                  since: datetime | None = None) -> list[ArticleStats]:
    """Every KB article (unseen ones with 0 views) and any retired one that was used, most
    viewed first."""
    views = article_views(session, since)
    feedback = article_feedback(session, since)
    rows = []
    for article_id in set(articles) | set(views) | set(feedback):
        article = articles.get(article_id)
        lang, yes, no = feedback.get(article_id, (None, 0, 0))
        rows.append(ArticleStats(article_id, article.lang if article else lang,
                                 article.title if article else None,
                                 views.get(article_id, 0), yes, no))
    return sorted(rows, key=lambda row: (-row.views, -row.helpful, row.article_id))


def top_unanswered(session: Session, since: datetime | None = None,
                   limit: int = 10) -> list[UnansweredQuestion]:
    """Questions no article matched (they became tickets), grouped case-insensitively."""
    key = func.lower(func.trim(KbFeedback.question))
    stmt = (select(func.min(KbFeedback.question), KbFeedback.lang, func.count(),
                   func.max(KbFeedback.at))
            .where(KbFeedback.article_id.is_(None), KbFeedback.helpful.is_(None),
                   KbFeedback.question != "", *since_filter(KbFeedback.at, since))
            .group_by(key, KbFeedback.lang)
            .order_by(func.count().desc(), func.max(KbFeedback.at).desc()).limit(limit))
    return [UnansweredQuestion(question.strip(), lang, int(count), last)
            for question, lang, count, last in session.execute(stmt)]


def unanswered_texts(session: Session, since: datetime | None = None,
                     limit: int = 5000) -> list[tuple[str, str]]:
    """(question, language) of the latest questions no article answered, oldest first."""
    stmt = (select(KbFeedback.question, KbFeedback.lang)
            .where(KbFeedback.article_id.is_(None), KbFeedback.helpful.is_(None),
                   KbFeedback.question != "", *since_filter(KbFeedback.at, since))
            .order_by(KbFeedback.at.desc(), KbFeedback.id.desc()).limit(limit))
    return [(question, lang) for question, lang in session.execute(stmt)][::-1]
