"""The answer first, from the database: the KPI strip and its sentence on a hand-built book,
the period not over marked partial, and the drill-down's ids as many as each figure counts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tenure.analytics.activity import ActivityRule
from tenure.feedback.models import SurveyKind, SurveyResponse
from tenure.insights.drill import cohort_members, retention_members
from tenure.insights.selectors import cohort_table, retention_series
from tenure.lifecycle.models import StageTransition, TransitionCause
from tenure.lifecycle.overview import kpi_by_key, overview
from tenure.lifecycle.services import active_model
from tenure.users.models import Role
from tests.factories import make_order, make_user
from tests.insights.builders import at
from tests.insights.test_retention import domain_example

pytestmark = pytest.mark.django_db

SIXTY_DAYS = ActivityRule(kind="fixed_days", days=60)
Q2 = (date(2025, 4, 1), date(2025, 6, 30))
Q3 = (date(2025, 7, 1), date(2025, 9, 30))


def _book() -> list:
    """DOMAIN.md's quarter (Q2 2025: S 20, E 24, N 5, lost 1, 95 %), then Q3: of the 24
    active on 1 July, 12 buy again on 1 September for 80.00 each (E 12, lost 12: 50 %)."""
    domain_example()
    from tenure.customers.models import Customer

    active = list(Customer.objects.filter(orders__placed_at__gte=at(date(2025, 6, 1))).distinct())
    assert len(active) == 24
    for customer in sorted(active, key=lambda c: c.pk)[:12]:
        make_order(customer=customer, placed_at=at(date(2025, 9, 1)), amount=Decimal("80.00"))
    return sorted(active, key=lambda c: c.pk)


def _moved(customer, stage: str, day: date) -> None:
    definition, _model = active_model()
    moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    StageTransition.objects.create(
        customer=customer, to_stage=stage, rule="test", effective_at=moment,
        recorded_at=timezone.now(), definition=definition, cause=TransitionCause.RECOMPUTE,
    )  # fmt: skip


def test_the_strip_and_its_sentence_on_hand_worked_quarters():
    active = _book()
    manager = make_user(role=Role.MANAGER)
    old, new = retention_series(user=manager, period="quarter", count=2, end=Q3[1], rule=SIXTY_DAYS)
    assert (old.S, old.E, old.N, old.lost, old.retention_rate) == (20, 24, 5, 1, 95.0)
    assert (new.S, new.E, new.N, new.lost, new.retention_rate) == (24, 12, 0, 12, 50.0)
    # stage moves: 3 became at risk in Q3 (1 in Q2), 2 churned in Q3 (one of them twice)
    for customer in active[:3]:
        _moved(customer, "at_risk", date(2025, 8, 1))
    _moved(active[3], "at_risk", date(2025, 5, 1))
    for customer in active[:2]:
        _moved(customer, "churned", date(2025, 9, 10))
    _moved(active[0], "churned", date(2025, 9, 20))
    SurveyResponse.objects.create(customer=active[0], kind=SurveyKind.NPS, score=10,
                                  answered_at=at(date(2025, 8, 2)))  # fmt: skip
    SurveyResponse.objects.create(customer=active[1], kind=SurveyKind.NPS, score=3,
                                  answered_at=at(date(2025, 8, 3)))  # fmt: skip
    SurveyResponse.objects.create(customer=active[2], kind=SurveyKind.NPS, score=9,
                                  answered_at=at(date(2025, 8, 4)))  # fmt: skip
    found = overview(
        user=manager, bounds=Q3, previous_bounds=Q2, period="2025 Q3", previous="2025 Q2",
        retention=(old, new), money="${}",
    )  # fmt: skip
    strip = kpi_by_key(found)
    # retention ((E - N) / S) x 100: (12 - 0) / 24 = 50 % after (24 - 5) / 20 = 95 %
    assert strip["retention"].value == 50.0 and strip["retention"].change == -45.0
    assert strip["retention"].change_words == "down 45.0 points"
    assert strip["churn"].change_words == "up 45.0 points" and strip["churn"].good is False
    assert (strip["active"].value, strip["active"].previous) == (12, 24)
    # Q2: 25 orders of 50.00 by 25 buyers; Q3: 12 of 80.00 by 12
    assert (strip["revenue"].value, strip["revenue"].previous) == (960.0, 1250.0)
    assert strip["average_order_value"].change_words == "up 60.0 %"
    assert strip["revenue_per_customer"].value == 80.0
    # NPS: 2 promoters, 1 detractor of 3 answers = +33; none in Q2
    assert strip["nps"].value == pytest.approx(100 / 3) and strip["nps"].previous is None
    assert (strip["became_at_risk"].value, strip["became_at_risk"].previous) == (3, 1)
    assert strip["became_at_risk"].change_words == "up 200.0 %"
    assert strip["churned"].value == 2  # customers, not moves
    assert found.sentence == (
        "Retention in 2025 Q3 was 50.0 %, down 45.0 points from 2025 Q2; 3 customers became "
        "at risk; 2 customers churned; 0 customers came back; revenue per buyer $80.00, "
        "up 60.0 %."
    )


def test_a_success_manager_strip_counts_their_own_book_only():
    active = _book()
    sam = make_user(role=Role.SUCCESS_MANAGER)
    active[0].owner = sam
    active[0].save()
    _moved(active[0], "at_risk", date(2025, 8, 1))
    _moved(active[5], "at_risk", date(2025, 8, 1))
    found = overview(user=sam, bounds=Q3, previous_bounds=Q2, period="Q3", previous="Q2")
    strip = kpi_by_key(found)
    assert strip["became_at_risk"].value == 1
    assert strip["revenue"].value == 80.0 and strip["revenue"].previous == 50.0
    assert "retention" not in strip


def test_the_period_not_over_is_added_so_far_and_marked_partial():
    _book()
    shown = retention_series(
        user=None, period="quarter", count=2, end=date(2025, 8, 15), rule=SIXTY_DAYS, so_far=True
    )
    assert [f.partial for f in shown] == [False, False, True]
    running = shown[-1]
    assert (running.start, running.end) == (date(2025, 7, 1), date(2025, 8, 15))
    # judged at the end of 15 August: the 19 buyers of 20 June are 56 days silent (active),
    # the 5 of 10 June 66 days (lost, so far)
    assert (running.S, running.E, running.lost) == (24, 19, 5)
    whole = retention_series(user=None, period="quarter", count=2, end=date(2025, 8, 15),
                             rule=SIXTY_DAYS)  # fmt: skip
    assert [f.partial for f in whole] == [False, False]
    ended = retention_series(user=None, period="quarter", count=2, end=Q3[1], rule=SIXTY_DAYS,
                             so_far=True)  # fmt: skip
    assert [f.partial for f in ended] == [False, False]  # the quarter is over on its last day


def test_the_drill_down_ids_are_as_many_as_each_figure_counts():
    _book()
    manager = make_user(role=Role.MANAGER)
    series = retention_series(user=manager, period="quarter", count=2, end=Q3[1], rule=SIXTY_DAYS)
    for figures in series:
        ids = {
            part: retention_members(
                user=manager, start=figures.start, end=figures.end, rule=SIXTY_DAYS, part=part
            )
            for part in ("retained", "lost", "joined")
        }
        assert ids["lost"].size == figures.lost
        assert ids["retained"].size == figures.S - figures.lost
        assert ids["joined"].size == figures.N
    table = cohort_table(user=manager, period="month", end=Q3[1])
    assert len(table) > 5
    for row in table.itertuples(index=False):
        members = cohort_members(user=manager, cohort=row.cohort.date(), k=int(row.period),
                                 period="month", end=Q3[1])  # fmt: skip
        assert members.size == row.active, (row.cohort, row.period)
