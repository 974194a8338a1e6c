"""Customers' health in the database: drivers stored, words when read, history on change,
the trend over a week, and the scoring set-wise (the same queries for 2 customers or 20)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenure.interactions.models import Interaction
from tenure.lifecycle.health import health_recompute
from tenure.lifecycle.models import HealthScore, HealthSnapshot
from tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
TIMES = "\N{MULTIPLICATION SIGN}"


def _lapsing(*, complaints: int = 1):
    """Orders 160 and 110 days ago (50.00 each), ``complaints`` open complaints."""
    customer = make_customer()
    for days in (160, 110):
        make_order(customer=customer, placed_at=NOW - timedelta(days=days), amount=Decimal("50"))
    for _ in range(complaints):
        _complain(customer)
    return customer


def _complain(customer, days_ago: int = 5):
    return Interaction.objects.create(
        customer=customer, kind="complaint", status="open",
        occurred_at=NOW - timedelta(days=days_ago), subject="Late",
    )  # fmt: skip


def test_scores_keep_the_drivers_and_say_them_when_read():
    customer = _lapsing()
    result = health_recompute(now=NOW, customer_ids=[customer.pk], accounts=False)
    assert (result.customers, result.scored, result.bands) == (1, 1, {"red": 1})
    health = HealthScore.objects.get(customer=customer)
    # Recency: 110 days against a gap of 50 = 2.2 gaps: 100 * (3 - 2.2) / 2 = 40. Orders 0
    # against 2 in the 90 days before: 0; spend 0.00 against 100.00: 0; one open complaint:
    # 50. No answers, emails, contacts or renewal: weights 25 + 15 + 10 + 15 = 65, so
    # (25 * 40 + 15 * 50) / 65 = 26.92: red.
    assert health.score == pytest.approx(26.92)
    assert health.band == "red"
    assert health.components == {
        "recency": 40.0, "frequency_trend": 0.0, "spend_trend": 0.0, "complaints": 50.0
    }  # fmt: skip
    # Points lost: recency 25 * 60 = 1500, orders 15 * 100 = 1500 (recency first in a tie),
    # spend 10 * 100 = 1000, complaints 15 * 50 = 750.
    assert health.drivers == [
        ["recency", {"days_since_last_order": 110.0, "typical_gap_days": 50.0}],
        ["frequency_trend", {"orders_last_90d": 0.0, "orders_prior_90d": 2.0}],
        ["spend_trend", {"spend_last_90d": 0.0, "spend_prior_90d": 100.0}],
    ]
    assert health.explanation == (
        f"27 (red). No order for 110 days, 2.2 {TIMES} their usual gap. Ordered 0 in the last "
        "90 days against 2 in the 90 before (-100 %). Spent 0.00 in the last 90 days against "
        "100.00 in the 90 before (-100 %). No data for latest NPS / CSAT, engagement with "
        "emails, relationship breadth (single-threaded), renewal coming up: their weight went "
        "to the others."
    )


def test_history_keeps_a_row_per_change_and_the_trend_looks_a_week_back():
    customer = _lapsing()
    health_recompute(now=NOW, customer_ids=[customer.pk], accounts=False)
    health_recompute(now=NOW, customer_ids=[customer.pk], accounts=False)  # a second run today
    health_recompute(now=NOW + timedelta(days=1), customer_ids=[customer.pk], accounts=False)
    # The next day: 111 days = 2.22 gaps -> 39, (975 + 750) / 65 = 26.54: still 27 points.
    assert list(HealthSnapshot.objects.values_list("day", "score", "band")) == [
        (NOW.date(), pytest.approx(26.92), "red")
    ]
    assert HealthScore.objects.get(customer=customer).score == pytest.approx(26.54)

    _complain(customer, days_ago=-6)  # a second complaint, a week later
    week = NOW + timedelta(days=8)
    health_recompute(now=week, customer_ids=[customer.pk], accounts=False)
    # 118 days = 2.36 gaps -> 32; two complaints -> 0: 25 * 32 / 65 = 12.31, down 14.6
    # points from the score of 7 or more days before (26.92, the first day): worsening.
    health = HealthScore.objects.get(customer=customer)
    assert health.score == pytest.approx(12.31) and health.trend == -1
    assert list(HealthSnapshot.objects.values_list("day", "score")) == [
        (NOW.date(), pytest.approx(26.92)),
        (week.date(), pytest.approx(12.31)),
    ]
    assert "2 open complaints" in health.explanation


def test_a_snapshot_keeps_the_factors_and_a_factor_that_moved_keeps_a_new_one():
    customer = _lapsing()
    health_recompute(now=NOW, customer_ids=[customer.pk], accounts=False)
    first = HealthSnapshot.objects.get(customer=customer)
    assert first.components == {
        "recency": 40.0, "frequency_trend": 0.0, "spend_trend": 0.0, "complaints": 50.0
    }  # fmt: skip
    # The next day the score 26.54 rounds to 27 as before and recency is 39 (111 days = 2.22
    # gaps): a snapshot from before factors were kept ({}) asks for no new row...
    HealthSnapshot.objects.update(components={})
    day = NOW + timedelta(days=1)
    health_recompute(now=day, customer_ids=[customer.pk], accounts=False)
    assert HealthSnapshot.objects.count() == 1
    # ... but had recency stood at 50 (its fall made up elsewhere), the 11 points it moved
    # are kept, though the score did not move a point.
    HealthSnapshot.objects.update(components={**first.components, "recency": 50.0})
    health_recompute(now=day, customer_ids=[customer.pk], accounts=False)
    latest = HealthSnapshot.objects.order_by("day").last()
    assert latest.day == day.date() and latest.score == pytest.approx(26.54)
    assert latest.components["recency"] == 39.0
    assert HealthSnapshot.objects.count() == 2


def test_a_score_stored_before_the_drivers_has_no_words_until_rescored():
    customer = _lapsing()
    health_recompute(now=NOW, customer_ids=[customer.pk], accounts=False)
    HealthScore.objects.filter(customer=customer).update(drivers=None)
    assert HealthScore.objects.get(customer=customer).explanation == ""
    health_recompute(now=NOW, customer_ids=[customer.pk], accounts=False)
    assert HealthScore.objects.get(customer=customer).explanation.startswith("27 (red).")


def test_scoring_is_set_wise():
    few = [_lapsing().pk for _ in range(2)]
    many = [_lapsing(complaints=n % 3).pk for n in range(20)]
    counts = []
    for ids in (few, many):
        with CaptureQueriesContext(connection) as queries:
            health_recompute(now=NOW, customer_ids=ids, accounts=False)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert HealthScore.objects.count() == 22
    assert HealthSnapshot.objects.count() == 22  # the first day: everyone


def test_a_csat_of_1_recorded_live_takes_a_green_customer_out_of_green(
    django_capture_on_commit_callbacks,
):
    from django.utils import timezone

    from tenure.feedback.services import survey_response_create

    now = timezone.now()
    customer = make_customer()
    for days in range(175, 0, -15):  # every 15 days, the last 10 days ago: 6 and 6 in 90 days
        make_order(customer=customer, placed_at=now - timedelta(days=days), amount=Decimal("50"))
    health_recompute(now=now, customer_ids=[customer.pk], accounts=False)
    assert HealthScore.objects.get(customer=customer).band == "green"
    with django_capture_on_commit_callbacks(execute=True):
        survey_response_create(
            customer_id=customer.pk, kind="csat", score=1, answered_at=now - timedelta(hours=1)
        )
    health = HealthScore.objects.get(customer=customer)
    # Uncapped: (25 * 100 + 15 * 100 + 10 * 100 + 15 * 100 + 15 * 0) / 80 = 81.25, green.
    assert health.band == "yellow" and health.score == 75
    assert health.explanation.startswith("75 (yellow). Capped at yellow: latest CSAT 1 out of 5")


def test_a_customer_of_an_account_looked_after_by_one_member_is_single_threaded():
    from tenure.customers.models import Contact
    from tenure.lifecycle.facts import facts_frame
    from tests.factories import make_account, make_user

    owner, colleague = make_user(role="success_manager"), make_user(role="success_manager")
    account = make_account(name="Acme")
    x, y, z = (Contact.objects.create(account=account, first_name=n) for n in "XYZ")
    alone = make_customer(account=account, owner=owner)
    helped = make_customer(account=account, owner=owner)
    person = make_customer(owner=owner)  # no account: the relationship is not a company's
    for customer in (alone, helped, person):
        make_order(customer=customer, placed_at=NOW - timedelta(days=5), amount=Decimal("50"))
    for contact in (x, y, z):  # three contacts: that side is broad (100)
        for customer in (alone, helped):
            Interaction.objects.create(
                customer=customer, contact=contact, kind="call", author=owner,
                occurred_at=NOW - timedelta(days=10),
            )  # fmt: skip
    Interaction.objects.create(
        customer=helped, kind="meeting", author=colleague, occurred_at=NOW - timedelta(days=20)
    )
    Interaction.objects.create(  # 100 days ago: out of the window
        customer=alone, kind="meeting", author=colleague, occurred_at=NOW - timedelta(days=100)
    )
    ids = [alone.pk, helped.pk, person.pk]
    facts = facts_frame(
        customer_ids=ids, now=NOW, needed={"team_engaged_90d", "contacts_engaged_90d"}
    )
    assert facts["team_engaged_90d"].tolist()[:2] == [1.0, 2.0]  # the owner once; + colleague
    assert np.isnan(facts.loc[person.pk, "team_engaged_90d"])
    assert facts["contacts_engaged_90d"].tolist()[:2] == [3.0, 3.0]
    health_recompute(now=NOW, customer_ids=ids, accounts=False)
    scores = {h.customer_id: h for h in HealthScore.objects.filter(customer_id__in=ids)}
    assert scores[alone.pk].components["relationship"] == 0.0  # the thinner side: one member
    assert scores[helped.pk].components["relationship"] == 100.0
    assert "relationship" not in scores[person.pk].components  # no data: left out
    assert "one team member alone looks after them" in scores[alone.pk].explanation
