"""Test data of the themes: the 500 planted answers as survey answers, small hand-made themes."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from tenure.feedback.models import SurveyResponse
from tenure.themes.models import Theme, ThemeAssignment
from tenure.themes.sources import SURVEY
from tests.factories import T0, make_customer

DATA = Path(__file__).resolve().parents[1] / "analytics" / "data" / "themes_answers.csv"
# An NPS score per planted topic, so a theme's NPS differs from the whole's.
SCORES = {"delivery": 3, "billing": 5, "quality": 10, "support": 9, "usability": 7, "none": 8}


def planted() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_planted(*, customers: int = 20, owner: Any = None) -> tuple[list[int], np.ndarray]:
    """The 500 answers as NPS answers of ``customers`` customers, one a day from 2025-01-01;
    returns their ids (in the file's order) and their planted topics."""
    people = [make_customer(owner=owner) for _ in range(customers)]
    rows = planted()
    made = SurveyResponse.objects.bulk_create(
        SurveyResponse(
            customer=people[n % customers], kind="nps", score=SCORES[row["topic"]],
            comment=row["text"], answered_at=T0 + timedelta(days=n % 150),
        )
        for n, row in enumerate(rows)
    )  # fmt: skip
    ids = [answer.pk for answer in made]
    if None in ids:  # a database that does not return ids from a bulk insert
        ids = list(SurveyResponse.objects.order_by("pk").values_list("pk", flat=True))[-len(rows) :]
    return ids, np.array([row["topic"] for row in rows])


def themes_of(ids: list[int]) -> np.ndarray:
    """Each answer's stored theme id (-1: none), in the order of ``ids``."""
    stored = dict(
        ThemeAssignment.objects.filter(source=SURVEY).values_list("source_id", "theme_id")
    )
    return np.array([stored.get(pk) or -1 for pk in ids])


def make_theme(label: str, answers: list[SurveyResponse], **fields: Any) -> Theme:
    """A stored theme holding ``answers`` (as a run would have left it)."""
    theme = Theme.objects.create(label=label, terms=label.split(), **fields)
    ThemeAssignment.objects.bulk_create(
        ThemeAssignment(
            theme=theme, source=SURVEY, source_id=answer.pk, customer_id=answer.customer_id,
            at=answer.answered_at, weight=0.5,
        )
        for answer in answers
    )  # fmt: skip
    return theme


def answer(
    customer: Any, comment: str, *, score: int = 9, days: int = 0, at: datetime | None = None
) -> SurveyResponse:
    return SurveyResponse.objects.create(
        customer=customer, kind="nps", score=score, comment=comment,
        answered_at=at or T0 + timedelta(days=days),
    )  # fmt: skip
