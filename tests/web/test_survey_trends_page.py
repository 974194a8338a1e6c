"""The survey Trends page by role and with hostile choices, the Survey trend card of the
customer and account pages, the single-threaded accounts list and the cockpit's flag."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from tenure.customers.models import Contact
from tenure.feedback.models import SurveyResponse
from tenure.interactions.models import Interaction
from tenure.segments.services import segment_create, segment_members_add
from tenure.users.models import Role
from tests.factories import make_account, make_customer, make_order, make_user

pytestmark = pytest.mark.django_db
URL = "/surveys/trends/"


def _answered(customer, *scores, kind="nps", days_ago=3):
    for score in scores:
        SurveyResponse.objects.create(
            customer=customer, kind=kind, score=score,
            answered_at=timezone.now() - timedelta(days=days_ago),
        )  # fmt: skip


@pytest.fixture
def two_books():
    sam = make_user(role=Role.SUCCESS_MANAGER, username="sam")
    mine = make_account(name="Mine Ltd", owner=sam)
    theirs = make_account(name="Theirs Inc")
    _answered(make_customer(account=mine, owner=sam), 10, 9, 2)
    _answered(make_customer(account=theirs), 5)
    return {"sam": sam, "mine": mine, "theirs": theirs}


def _as(role, user=None):
    client = Client()
    client.force_login(user or make_user(role=role))
    return client


def test_an_analyst_reads_every_account(two_books):
    response = _as(Role.ANALYST).get(URL, {"kind": "nps", "by": "account", "period": "month"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Mine Ltd" in body and "Theirs Inc" in body
    assert "from 3 answers: read with care" in body
    assert "from 1 answer: read with care" in body


def test_a_success_manager_sees_only_their_book(two_books):
    response = _as(None, two_books["sam"]).get(URL, {"by": "account"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Mine Ltd" in body and "Theirs Inc" not in body
    assert ">33<" in body  # 2 promoters, 1 detractor of 3


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"kind": "bogus"}, "kind: must be nps, csat or ces"),
        ({"by": "<script>x</script>"}, "by: must be one of account, person, project"),
        ({"period": "decade"}, "period: must be week, month or quarter"),
        ({"kind": "n" * 5000}, "kind: must be nps, csat or ces"),
    ],
)
def test_unknown_choices_are_a_400_in_words(two_books, query, words):
    response = _as(Role.MANAGER).get(URL, query)
    body = response.content.decode()
    assert response.status_code == 400
    assert words in body
    assert "<script>x" not in body


def test_a_segment_the_user_may_not_see_is_refused_in_words(two_books):
    response = _as(Role.MANAGER).get(URL, {"segment": "no-such-segment"})
    assert response.status_code == 404
    assert "no segment" in response.content.decode()


def test_per_segment_counts_its_members_only(two_books):
    manager = make_user(role=Role.MANAGER)
    segment = segment_create(by=manager, name="Picked", definition=None, shared=True, kind="static")
    member = make_customer(account=two_books["theirs"])
    _answered(member, 10)
    segment_members_add(by=manager, segment_id=segment.pk, customer_ids=[member.pk])
    client = _as(None, manager)
    body = client.get(URL, {"by": "segment", "segment": segment.pk}).content.decode()
    assert "Picked" in body and "from 1 answer" in body
    body = client.get(URL, {"by": "account", "segment": segment.pk}).content.decode()
    assert "Theirs Inc" in body and "Mine Ltd" not in body


def test_the_sparkline_and_periods_are_drawn(two_books):
    _answered(make_customer(account=two_books["mine"], owner=two_books["sam"]), 10, days_ago=100)
    body = _as(Role.MANAGER).get(URL, {"by": "account", "period": "month"}).content.decode()
    assert "<polyline" in body and "Scores, oldest first: " in body


def test_the_customer_and_account_pages_carry_the_card(two_books):
    client = _as(None, two_books["sam"])
    customer = two_books["mine"].customers.get()
    body = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="survey-trend"' in body and "NPS " in body
    body = client.get(f"/accounts/{two_books['mine'].pk}/").content.decode()
    assert 'id="survey-trend"' in body and ">33<" in body


# --- the whole customer team -------------------------------------------------------------


def _single_and_broad():
    sam = make_user(role=Role.SUCCESS_MANAGER, username="sam2", first_name="Sam", last_name="S")
    kim = make_user(role=Role.SUCCESS_MANAGER, username="kim", first_name="Kim", last_name="K")
    now = timezone.now()
    thin = make_account(name="Thin Threads", owner=sam)
    small = make_account(name="Small Thin", owner=sam)
    broad = make_account(name="Broad Base", owner=sam)
    ana = Contact.objects.create(account=thin, first_name="Ana", role="user")
    Contact.objects.create(account=thin, first_name="Bo", role="decision_maker")
    for account, value in ((thin, "900.00"), (small, "10.00"), (broad, "500.00")):
        make_order(customer=make_customer(account=account), amount=Decimal(value))
    Interaction.objects.create(
        account=thin, contact=ana, kind="call", occurred_at=now - timedelta(days=5), author=sam
    )
    for first, role in (("Cy", "decision_maker"), ("Di", "champion")):
        contact = Contact.objects.create(account=broad, first_name=first, role=role)
        for author in (sam, kim):
            Interaction.objects.create(
                account=broad, contact=contact, kind="meeting",
                occurred_at=now - timedelta(days=3), author=author,
            )  # fmt: skip
    return {"sam": sam, "thin": thin, "small": small, "broad": broad}


def test_the_single_threaded_list_most_valuable_first():
    f = _single_and_broad()
    body = _as(None, f["sam"]).get("/accounts/single-threaded/").content.decode()
    assert "Thin Threads" in body and "Small Thin" in body and "Broad Base" not in body
    assert body.index("Thin Threads") < body.index("Small Thin")  # 900 before 10
    assert "Rests on one contact: only Ana was engaged in the last 90 days" in body
    assert "Who else to meet: Bo (decision maker, never engaged); no champion on record" in body
    assert "Rests on one team member: only Sam S looked after it" in body


def test_the_list_is_the_users_book():
    _single_and_broad()
    body = (
        _as(None, make_user(role=Role.SUCCESS_MANAGER))
        .get("/accounts/single-threaded/")
        .content.decode()
    )
    assert "Thin Threads" not in body and "No account of yours rests on one person" in body
    assert "Thin Threads" in _as(Role.ANALYST).get("/accounts/single-threaded/").content.decode()


def test_the_account_cockpit_shows_the_flag_in_words():
    f = _single_and_broad()
    client = _as(None, f["sam"])
    body = client.get(f"/accounts/{f['thin'].pk}/").content.decode()
    assert 'id="cockpit-relationship"' in body and "Single-threaded" in body
    assert "only Ana was engaged" in body
    body = client.get(f"/accounts/{f['broad'].pk}/").content.decode()
    assert "Single-threaded" not in body and "2 contacts, 2 of the team" in body
