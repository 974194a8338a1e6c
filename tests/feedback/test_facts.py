"""The lifecycle facts read from feedback: the latest answer as of ``now`` (not a later one),
referrals made by ``now``, for a few customers or a whole chunk, with one query per source."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenure.lifecycle.facts import facts_frame
from tests.factories import T0, make_customer

from .helpers import answer, referral

pytestmark = pytest.mark.django_db
FEEDBACK = frozenset({"latest_nps", "latest_csat", "referrals_count"})
DAY = timedelta(days=1)


def _facts(customers, now):
    return facts_frame(customer_ids=[c.pk for c in customers], now=now, needed=FEEDBACK)


def test_the_latest_answer_as_of_now_not_a_later_one():
    ada, bob = make_customer(), make_customer()
    answer(ada, 9, at=T0)
    answer(ada, 3, at=T0 + 2 * DAY)
    answer(ada, 2, kind="csat", at=T0 + DAY)
    answer(ada, 5, kind="csat", at=T0 + 3 * DAY)

    before = _facts([ada, bob], T0 - DAY)
    assert np.isnan(before.loc[ada.pk, "latest_nps"]) and np.isnan(
        before.loc[ada.pk, "latest_csat"]
    )
    assert _facts([ada], T0).loc[ada.pk, "latest_nps"] == 9  # answered at that very moment
    middle = _facts([ada, bob], T0 + DAY)
    assert (middle.loc[ada.pk, "latest_nps"], middle.loc[ada.pk, "latest_csat"]) == (9, 2)
    later = _facts([ada, bob], T0 + 4 * DAY)
    assert (later.loc[ada.pk, "latest_nps"], later.loc[ada.pk, "latest_csat"]) == (3, 5)
    assert np.isnan(later.loc[bob.pk, "latest_nps"])  # never answered: missing, not 0


def test_answers_at_the_same_moment_the_later_record_wins():
    ada = make_customer()
    answer(ada, 4, at=T0)
    answer(ada, 10, at=T0)
    assert _facts([ada], T0).loc[ada.pk, "latest_nps"] == 10


def test_referrals_made_by_now_counted_for_the_referrer_only():
    ada, bob = make_customer(), make_customer()
    referral(ada, at=T0, referred_customer=bob)
    referral(ada, at=T0 + 2 * DAY, referred_email="friend@example.com", status="purchased")
    referral(bob, at=T0 + 5 * DAY)
    counts = _facts([ada, bob], T0 + DAY)["referrals_count"]
    assert counts.to_dict() == {ada.pk: 1, bob.pk: 0}
    counts = _facts([ada, bob], T0 + 9 * DAY)["referrals_count"]
    assert counts.to_dict() == {ada.pk: 2, bob.pk: 1}


@pytest.mark.parametrize("spread", [False, True], ids=["id range", "id list"])
def test_one_query_per_source_whatever_the_number_of_customers(spread):
    customers = [make_customer() for _ in range(30)]
    for n, customer in enumerate(customers):
        answer(customer, n % 11, at=T0 + n * DAY)
        answer(customer, 1 + n % 5, kind="csat", at=T0)
        if n % 3 == 0:
            referral(customer, at=T0)
    wanted = customers[::10] if spread else customers  # far-apart ids: an id list
    with CaptureQueriesContext(connection) as queries:
        facts = _facts(wanted, T0 + 100 * DAY)
    feedback = [q for q in queries if "feedback_" in q["sql"]]
    assert len(feedback) == 2, [q["sql"] for q in feedback]
    for customer in wanted:
        n = customers.index(customer)
        row = facts.loc[customer.pk]
        expected = (n % 11, 1 + n % 5, 1 if n % 3 == 0 else 0)
        assert (row["latest_nps"], row["latest_csat"], row["referrals_count"]) == expected
