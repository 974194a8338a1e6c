"""The survey trends' selector on a hand-worked fixture: NPS answers of 3 accounts and 2 contacts
over 2025-Q1 and Q2, the scores, n, intervals (``survey_score``), changes and response rates
per account, person and project; a success manager's book; the page's choices checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tenure.analytics.errors import InvalidInputError
from tenure.analytics.feedback import survey_score
from tenure.customers.models import Contact, Customer
from tenure.feedback.models import SurveyInvitation, SurveyResponse, SurveySend
from tenure.feedback.trend_selectors import (
    survey_trend_card,
    survey_trend_groups,
    trend_query,
)
from tenure.users.models import Role
from tests.factories import make_account, make_customer, make_order, make_user

from .survey_helpers import make_survey

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 7, 15, 12, tzinfo=UTC)
Q1 = datetime(2025, 2, 10, 12, tzinfo=UTC)
Q2 = datetime(2025, 5, 10, 12, tzinfo=UTC)


def _fixture():
    sam = make_user(role=Role.SUCCESS_MANAGER, first_name="Sam", last_name="Book")
    acme, globex, initech = (make_account(name=n) for n in ("Acme", "Globex", "Initech"))
    ca = make_customer(account=acme, owner=sam, first_name="Cara", last_name="A")
    cb = make_customer(account=globex, first_name="Cole", last_name="B")
    cc = make_customer(account=initech, first_name="Cid", last_name="C")
    pia = Contact.objects.create(account=acme, first_name="Pia", last_name="One")
    pete = Contact.objects.create(account=globex, first_name="Pete", last_name="Two")
    survey = make_survey()
    send = SurveySend.objects.create(survey=survey, key="s", source="manual", created_at=Q1)
    order = make_order(customer=ca, external_id="PRJ-1")
    made = iter(range(1000))

    def invite(customer, contact, at, score=None, about=None):
        invitation = SurveyInvitation.objects.create(
            survey=survey, send=send, customer=customer, account=customer.account,
            contact=contact, order=about, key=f"k{next(made)}", sent_at=at,
            expires_at=at + timedelta(days=30),
            answered_at=None if score is None else at + timedelta(hours=1),
        )  # fmt: skip
        if score is not None:
            answer(customer, at + timedelta(hours=1), score, invitation=invitation)

    def answer(customer, at, score, **more):
        SurveyResponse.objects.create(
            customer=customer, kind="nps", score=score, answered_at=at, **more
        )

    invite(ca, pia, Q1, 10, about=order)
    invite(ca, pia, Q1 + timedelta(days=1), 9)
    answer(ca, Q1 + timedelta(days=2), 3)  # shown by link: no invitation, no contact
    invite(ca, pia, Q2, 6)
    invite(cb, pete, Q1, 8)
    invite(cb, pete, Q2, 10)
    invite(cb, pete, Q2 + timedelta(days=1), 10)
    invite(cb, pete, Q2 + timedelta(days=2))  # not answered
    answer(cc, Q2, 0)
    return {"sam": sam, "acme": acme, "globex": globex, "initech": initech, "ca": ca,
            "cb": cb, "cc": cc, "pia": pia, "pete": pete, "order": order}  # fmt: skip


def _groups(user, by, **more):
    groups, total = survey_trend_groups(
        user=user, query=trend_query(kind="nps", by=by, period="quarter"), now=NOW, **more
    )
    assert total == len(groups)
    return {g.label: g for g in groups}


def _same_score(point, answers, kind="nps"):
    expected = survey_score(kind, answers)
    assert point.n == expected.n
    assert point.score == pytest.approx(expected.score)
    assert point.low == pytest.approx(expected.low)
    assert point.high == pytest.approx(expected.high)
    assert point.few_answers is expected.few_answers


def test_per_account_scores_intervals_changes_and_rates():
    f = _fixture()
    groups = _groups(make_user(role=Role.ANALYST), "account")
    assert list(groups) == ["Acme", "Globex", "Initech"]
    acme = groups["Acme"]
    assert [p.period.isoformat() for p in acme.points] == ["2025-01-01", "2025-04-01"]
    q1, q2 = acme.points
    _same_score(q1, [10, 9, 3])  # 2 promoters, 1 detractor of 3: NPS 33.3
    assert q1.score == pytest.approx(100 / 3)
    _same_score(q2, [6])
    assert q2.score == -100
    assert acme.latest == q2
    assert q2.change == pytest.approx(-100 - 100 / 3)
    assert (q1.invited, q1.responded, q1.response_rate) == (2, 2, 100.0)
    assert (q2.invited, q2.responded, q2.response_rate) == (1, 1, 100.0)
    assert q2.caution == "from 1 answer: read with care"
    assert q1.caution == "from 3 answers: read with care"

    globex = groups["Globex"]
    _same_score(globex.points[0], [8])
    _same_score(globex.latest, [10, 10])
    assert globex.latest.score == 100
    assert globex.latest.change == pytest.approx(100.0)  # 0 (a passive) -> 100
    assert (globex.latest.invited, globex.latest.responded) == (3, 2)
    assert globex.latest.response_rate == pytest.approx(200 / 3)

    initech = groups["Initech"]
    assert initech.link == ("web:account", f["initech"].pk)
    assert len(initech.points) == 1
    _same_score(initech.latest, [0])
    assert initech.latest.change is None  # no period before: a gap is not a change
    assert initech.latest.response_rate is None  # answered by link: nobody invited


def test_per_person_is_the_contact_else_the_customer():
    f = _fixture()
    groups = _groups(None, "person")
    assert set(groups) == {"Pia One (Acme)", "Pete Two (Globex)", "Cara A", "Cid C"}
    pia = groups["Pia One (Acme)"]
    _same_score(pia.points[0], [10, 9])
    _same_score(pia.latest, [6])
    assert pia.link == ("web:account", f["acme"].pk)
    _same_score(groups["Cara A"].latest, [3])  # the answer given without an invitation
    assert groups["Cara A"].link == ("web:customer", f["ca"].pk)
    pete = groups["Pete Two (Globex)"]
    assert (pete.latest.invited, pete.latest.responded) == (3, 2)


def test_per_project_leaves_out_answers_about_none():
    f = _fixture()
    groups = _groups(None, "project")
    assert list(groups) == ["Order PRJ-1"]
    _same_score(groups["Order PRJ-1"].latest, [10])
    assert groups["Order PRJ-1"].link == ("web:order", f["order"].pk)


def test_per_owner_and_per_segment():
    f = _fixture()
    owners = _groups(None, "owner")
    assert list(owners) == ["Sam Book"]  # the other customers have no owner
    _same_score(owners["Sam Book"].latest, [6])
    whole = _groups(None, "segment", within=Customer.objects.filter(
        pk__in=[f["ca"].pk, f["cc"].pk]).values("pk"), segment="Two")  # fmt: skip
    assert list(whole) == ["Two"]
    _same_score(whole["Two"].points[0], [10, 9, 3])
    _same_score(whole["Two"].latest, [6, 0])


def test_a_success_manager_sees_only_their_book():
    f = _fixture()
    groups = _groups(f["sam"], "account")
    assert list(groups) == ["Acme"]
    _same_score(groups["Acme"].latest, [6])


def test_the_card_is_by_quarter_for_nps_and_csat():
    f = _fixture()
    of_cb = Customer.objects.filter(pk=f["cb"].pk)
    card = survey_trend_card(user=None, customers=of_cb, now=NOW)
    assert list(card) == ["nps"]  # no CSAT answers yet
    assert [p.score for p in card["nps"]] == [0.0, 100.0]
    for score in (5, 2):
        SurveyResponse.objects.create(customer=f["cb"], kind="csat", score=score, answered_at=Q2)
    card = survey_trend_card(user=None, customers=of_cb, now=NOW)
    assert list(card) == ["nps", "csat"]
    _same_score(card["csat"][0], [5, 2], "csat")  # 1 of 2 satisfied: 50
    assert card["csat"][0].score == 50.0
    assert survey_trend_card(user=f["sam"], customers=of_cb, now=NOW) == {}  # not Sam's


@pytest.mark.parametrize(
    ("choices", "field"),
    [
        ({"kind": "nope", "by": "account", "period": "month"}, "kind"),
        ({"kind": "nps", "by": "<b>x</b>", "period": "month"}, "by"),
        ({"kind": "nps", "by": "account", "period": "year"}, "period"),
    ],
)
def test_unknown_choices_are_refused_on_their_field(choices, field):
    with pytest.raises(InvalidInputError) as refused:
        trend_query(**choices)
    assert refused.value.name == field
