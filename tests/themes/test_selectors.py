"""Reading themes over what the reader sees: counts, the trend by month with its share of all
answers and the NPS against every answer's, worked by hand; a success manager reads only the
themes and answers of their book."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.http import Http404

from tenure.themes.models import ThemeAssignment
from tenure.themes.selectors import (
    answers_with_texts,
    theme_customers,
    theme_get,
    theme_rows,
    theme_view,
)
from tenure.themes.sources import SURVEY
from tenure.users.models import Role
from tests.factories import make_customer, make_user
from tests.themes.helpers import answer, make_theme

pytestmark = pytest.mark.django_db
NOW = datetime(2025, 3, 15, 12, tzinfo=UTC)


def _at(month: int, day: int) -> datetime:
    return datetime(2025, month, day, 10, tzinfo=UTC)


@pytest.fixture
def book():
    """Two success managers' customers: Ann's wrote about late parcels (Jan 1, Mar 2 x 2: 9,
    9, 3) and one invoice (Mar 5: 2); Bob's one invoice (Feb 10: 10) and one answer in no
    theme (Mar 9: 8)."""
    ann, bob = make_user(role=Role.SUCCESS_MANAGER), make_user(role=Role.SUCCESS_MANAGER)
    a1, a2, b1 = make_customer(owner=ann), make_customer(owner=ann), make_customer(owner=bob)
    late = make_theme("late, parcel", [
        answer(a1, "parcel late", at=_at(1, 1)), answer(a1, "late again", at=_at(3, 2)),
        answer(a2, "<b>late</b> & lost", score=3, at=_at(3, 2)),
    ])  # fmt: skip
    bill = make_theme("invoice", [
        answer(a2, "invoice wrong", score=2, at=_at(3, 5)),
        answer(b1, "invoice fine now", score=10, at=_at(2, 10)),
    ])  # fmt: skip
    stray = answer(b1, "great", score=8, at=_at(3, 9))
    ThemeAssignment.objects.create(
        theme=None, source=SURVEY, source_id=stray.pk, customer=b1, at=stray.answered_at
    )
    return {"ann": ann, "bob": bob, "late": late, "bill": bill, "a1": a1, "a2": a2, "b1": b1}


def test_the_trend_counts_each_month_with_its_share_of_all_answers(book):
    view = theme_view(user=make_user(role=Role.ANALYST), theme=book["late"], now=NOW, months=3)
    assert [m.month.isoformat() for m in view.trend] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    # January: 1 of 1 answer; February: 0 of 1 (Bob's invoice); March: 2 of 4 (two late, an
    # invoice, one in no theme).
    assert [(m.count, m.answers) for m in view.trend] == [(1, 1), (0, 1), (2, 4)]
    assert [m.share for m in view.trend] == [1.0, 0.0, 0.5]
    assert view.answers == 3 and view.customers == 2


def test_the_nps_of_a_theme_against_every_answer_with_a_comment(book):
    view = theme_view(user=None, theme=book["late"], now=NOW)
    # Late: 9, 9, 3: 2 promoters, 1 detractor of 3 -> NPS 33.3.
    assert view.nps.n == 3 and view.nps.score == pytest.approx(100 / 3)
    # Every answer with a comment: 9, 9, 3, 2, 10, 8: 3 promoters, 2 detractors of 6 -> 16.7.
    assert view.nps_overall.n == 6 and view.nps_overall.score == pytest.approx(100 / 6)
    assert view.nps.low is not None and view.nps.low < view.nps.score < view.nps.high


def test_a_success_manager_reads_only_their_books_themes_and_answers(book):
    ann, bob = book["ann"], book["bob"]
    rows = {row.theme.label: row for row in theme_rows(user=ann, now=NOW)}
    assert set(rows) == {"late, parcel", "invoice"}
    assert (rows["invoice"].answers, rows["invoice"].customers) == (1, 1)  # Bob's is not counted
    bobs = {row.theme.label: row for row in theme_rows(user=bob, now=NOW)}
    assert set(bobs) == {"invoice"}  # no late answer of Bob's customers: not listed
    with pytest.raises(Http404):
        theme_get(user=bob, theme_id=book["late"].pk)
    view = theme_view(user=ann, theme=book["bill"], now=NOW, months=3)
    assert [(m.count, m.answers) for m in view.trend] == [(0, 1), (0, 0), (1, 3)]
    assert [c.customer for c in theme_customers(user=ann, theme=book["bill"])] == [book["a2"]]
    everyone = {row.theme.label: row.answers for row in theme_rows(user=None, now=NOW)}
    assert everyone == {"late, parcel": 3, "invoice": 2}


def test_the_customers_behind_a_theme_most_answers_first(book):
    rows = theme_customers(user=make_user(role=Role.MANAGER), theme=book["late"])
    assert [(row.customer, row.answers) for row in rows] == [(book["a1"], 2), (book["a2"], 1)]


def test_answers_are_read_from_their_source_and_a_gone_one_says_so(book):
    rows = list(ThemeAssignment.objects.filter(theme=book["late"]).order_by("at", "pk"))
    from tenure.feedback.models import SurveyResponse

    SurveyResponse.objects.filter(pk=rows[0].source_id).delete()
    shown = answers_with_texts(rows)
    assert shown[0].text is None and shown[0].source_label == "Survey answer"
    assert {a.text for a in shown[1:]} == {"late again", "<b>late</b> & lost"}


def test_the_spark_line_and_its_words(book):
    row = next(r for r in theme_rows(user=None, now=NOW, months=3) if r.theme == book["late"])
    assert [m.count for m in row.trend] == [1, 0, 2]
    assert row.spark_points == "0.0,12.0 48.0,22.0 96.0,2.0"
    assert row.trend_words == "Answers per month: Jan 2025 1, Feb 2025 0, Mar 2025 2"
