"""The customer page shows the latest NPS and CSAT among the key figures, and answers and
referrals in the timeline, as text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from tenure.customers.selectors import customer_timeline
from tenure.users.models import Role
from tests.factories import T0, make_customer, make_order, make_user

from .helpers import answer, referral

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def signed_in(client, db):
    client.force_login(make_user(role=Role.MANAGER))
    return client


def _page(client, customer) -> str:
    return client.get(reverse("web:customer", args=[customer.pk])).content.decode()


def test_latest_answers_among_the_key_figures(signed_in):
    customer = make_customer()
    before = _page(signed_in, customer)
    assert before.count("no answer yet") == 2
    answer(customer, 3, at=T0)
    answer(customer, 10, at=T0 + timedelta(days=40))
    answer(customer, 2, kind="csat", at=T0 + timedelta(days=3))
    page = _page(signed_in, customer)
    assert "no answer yet" not in page
    nps = page[page.index('id="latest-nps"') :][:400]
    assert ">10<" in nps and "Promoter · Feb 10, 2025" in nps
    csat = page[page.index('id="latest-csat"') :][:400]
    assert ">2<" in csat and "Unsatisfied · Jan 4, 2025" in csat


def test_answers_and_referrals_in_the_timeline_as_text(signed_in):
    customer, friend = make_customer(), make_customer()
    answer(customer, 9, at=T0, comment=f"Great {SCRIPT}", channel=SCRIPT)
    referral(customer, at=T0, referred_email="pal@example.com", status="purchased")
    referral(friend, at=T0, referred_customer=customer)
    page = _page(signed_in, customer)
    assert SCRIPT not in page and ESCAPED in page
    for text in ("NPS 9", "Promoter", "Referred pal@example.com", "Purchased",
                 "Came through a referral"):  # fmt: skip
        assert text in page, text


@pytest.mark.django_db
def test_the_timeline_walks_every_source_once_newest_first():
    customer, friend = make_customer(), make_customer()
    # Everything at two instants, so that the sources tie and the cursor must break the ties.
    for hours in (0, 0, 1):
        at = T0 + timedelta(hours=hours)
        make_order(customer=customer, placed_at=at)
        answer(customer, 5, at=at)
        referral(customer, at=at, referred_email=f"f{hours}@example.com")
    referral(friend, at=T0, referred_customer=customer)
    seen, times, cursor = [], [], None
    while True:
        page = customer_timeline(customer=customer, before=cursor, limit=2)
        seen += [(entry.kind, entry.item.pk) for entry in page.entries]
        times += [entry.at for entry in page.entries]
        if (cursor := page.next_cursor) is None:
            break
    assert len(seen) == len(set(seen)) == 10
    assert times == sorted(times, reverse=True)
    assert sorted(kind for kind, _ in seen) == ["order"] * 3 + ["referral"] * 4 + ["survey"] * 3
