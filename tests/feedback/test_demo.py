"""The demo business's feedback: deterministic, on the scales, and telling the planted story
(promoters among frequent buyers still buying, detractors after complaints, referrers who
were customers before the people they brought)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from django.db.models import F

from tenure.demo.generator import generate_business
from tenure.demo.records import DemoBusiness
from tenure.demo.services import demo_load
from tenure.feedback.models import SCALES, Referral, SurveyResponse

TODAY = date(2026, 3, 15)
END = datetime(2026, 3, 15, tzinfo=UTC)
SMALL = {"customers": 150, "accounts": 4}


@pytest.fixture(scope="module")
def business() -> DemoBusiness:
    return generate_business(today=TODAY)


def test_the_same_seed_gives_the_same_answers_and_referrals(business):
    again = generate_business(today=TODAY)
    assert again.survey_responses == business.survey_responses
    assert again.referrals == business.referrals
    later = generate_business(today=TODAY + timedelta(days=3))
    assert [a.answered_at - timedelta(days=3) for a in later.survey_responses] == [
        a.answered_at for a in business.survey_responses
    ]


def test_answers_are_on_their_scales_inside_the_window(business):
    answers = business.survey_responses
    assert 1500 <= len(answers) <= 3500
    assert {a.kind for a in answers} == {"nps", "csat"}
    for a in answers:
        low, high = SCALES[a.kind]
        assert low <= a.score <= high
        assert business.customers[a.customer].created_at < a.answered_at < END
        if a.order is not None:
            order = business.orders[a.order]
            assert order.customer == a.customer and order.placed_at < a.answered_at
    assert len({(a.kind, a.external_id) for a in answers}) == len(answers)


def _nps_by(business, who) -> np.ndarray:
    return np.array([a.score for a in business.survey_responses if a.kind == "nps" and who(a)])


def test_promoters_buy_often_and_detractors_complained(business):
    truths = business.truths
    rates = np.array([t.purchases_per_year for t in truths])
    frequent = rates >= np.quantile(rates, 0.6)

    def buying(a) -> bool:
        gone = truths[a.customer].dropped_out_at
        return gone is None or a.answered_at < gone

    complained = {}
    for i in business.interactions:
        if i.kind == "complaint" and i.customer is not None:
            complained.setdefault(i.customer, []).append(i.occurred_at)

    def after_complaint(a) -> bool:
        days = [(a.answered_at - at).days for at in complained.get(a.customer, [])]
        return any(0 <= d < 120 for d in days)

    fans = _nps_by(
        business, lambda a: frequent[a.customer] and buying(a) and not after_complaint(a)
    )
    unhappy = _nps_by(business, after_complaint)
    others = _nps_by(business, lambda a: not frequent[a.customer] and not after_complaint(a))
    assert min(fans.size, unhappy.size, others.size) >= 30
    assert (fans >= 9).mean() > 0.6 > (others >= 9).mean()
    assert (unhappy <= 6).mean() > 0.6 > (others <= 6).mean()


def test_referrers_came_first_and_bring_referral_customers(business):
    linked = [r for r in business.referrals if r.referred_customer is not None]
    assert len(linked) >= 150
    for r in linked:
        referred = business.customers[r.referred_customer]
        assert referred.channel == "Referral" and r.referred_email == referred.email
        assert business.customers[r.referrer].created_at < r.referred_at < referred.created_at
        assert r.status == "purchased"
    assert len({(r.referrer, r.referred_customer) for r in linked}) == len(linked)
    assert any(r.status == "invited" and r.referred_customer is None for r in business.referrals)


@pytest.mark.django_db
def test_loading_writes_every_answer_and_referral_once():
    expected = generate_business(seed=11, today=TODAY, **SMALL).counts()
    assert demo_load(seed=11, today=TODAY, **SMALL).created
    assert SurveyResponse.objects.count() == expected["survey_responses"] > 0
    assert Referral.objects.count() == expected["referrals"] > 0
    linked = SurveyResponse.objects.exclude(order=None)
    assert linked.exists() and not linked.exclude(order__customer=F("customer")).exists()
    demo_load(seed=11, today=TODAY, **SMALL)
    assert SurveyResponse.objects.count() == expected["survey_responses"]
    assert Referral.objects.count() == expected["referrals"]
