"""One timeline: orders, interactions, emails, tasks, stage moves, field changes, survey
answers and referrals merged newest first, narrowed by type (checkboxes in the URL, htmx),
paged by the cursor; the account's over its customers; and the cockpit header."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from tenure.customers.models import Customer, Subscription
from tenure.customers.selectors import account_timeline, customer_timeline
from tenure.customers.services import customer_update
from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit
from tenure.interactions.models import Interaction
from tenure.lifecycle.models import (
    AccountHealthScore,
    AccountHealthSnapshot,
    CustomerStage,
    HealthScore,
    HealthSnapshot,
    StageTransition,
)
from tenure.lifecycle.services import active_definition
from tenure.mail.models import Message
from tenure.notifications.cockpit import account_cockpit
from tenure.todos.models import Task
from tests.factories import T0, make_account, make_customer, make_order
from tests.feedback.helpers import answer, referral
from tests.web.conftest import htmx


def _history(customer, by):
    """One entry of every kind, an hour apart, oldest first."""
    at = [T0 + timedelta(hours=h) for h in range(8)]
    make_order(customer=customer, external_id="O-1", placed_at=at[0])
    Interaction.objects.create(customer=customer, kind="call", occurred_at=at[1], subject="Hi")
    Message.objects.create(
        key=f"welcome:{customer.pk}", source="welcome", customer=customer, kind="marketing",
        subject="Welcome aboard", text="t", due_at=at[2], next_at=at[2], created_at=at[2],
        status="sent",
    )  # fmt: skip
    task = Task.objects.create(title="Call back", owner=by, due=at[3].date(), customer=customer)
    Task.objects.filter(pk=task.pk).update(created_at=at[3])
    StageTransition.objects.create(
        customer=customer, from_stage="acquisition", to_stage="retention", rule="first_order",
        effective_at=at[4], recorded_at=at[4], definition=active_definition(), cause="event",
    )  # fmt: skip
    customer_update(by=by, customer_id=customer.pk, changes={"category": "vip"})
    LogEntry.objects.filter(object_id=customer.pk, action=LogEntry.Action.UPDATE).update(
        timestamp=at[5]
    )
    answer(customer, 9, at=at[6])
    referral(customer, at=at[7], referred_email="friend@example.com")


EVERY_KIND_NEWEST_FIRST = [
    "referral", "survey", "change", "stage", "task", "message", "interaction", "order",
]  # fmt: skip


def test_the_timeline_merges_every_kind_newest_first(manager):
    grace = make_customer(owner=manager)
    _history(grace, manager)
    page = customer_timeline(customer=grace, limit=20)
    assert [entry.kind for entry in page.entries] == EVERY_KIND_NEWEST_FIRST
    # Three at a time, following the cursor: the same order, nothing twice.
    seen, cursor = [], None
    for _ in range(5):
        found = customer_timeline(customer=grace, limit=3, before=cursor)
        seen += [entry.kind for entry in found.entries]
        cursor = found.next_cursor
        if cursor is None:
            break
    assert seen == EVERY_KIND_NEWEST_FIRST
    only = customer_timeline(customer=grace, kinds={"task", "stage", "change"})
    assert [entry.kind for entry in only.entries] == ["change", "stage", "task"]


def test_the_page_filters_by_type_in_the_url_and_with_htmx(signed_in, manager):
    grace = make_customer(owner=manager)
    _history(grace, manager)
    page = signed_in.get(reverse("web:customer", args=[grace.pk]), {"kind": ["task", "stage"]})
    body = page.content.decode()
    assert (
        "Task: Call back" in body
        and 'Stage: Retention <span class="muted">from Acquisition' in body
    )
    assert "Order O-1" not in body
    assert 'name="kind" value="task" checked' in body
    emails = signed_in.get(reverse("web:customer", args=[grace.pk]), {"kind": "message"})
    assert "Email “Welcome aboard”" in emails.content.decode()  # its subject, not its key
    assert 'name="kind" value="order">' in body  # off
    fragment = signed_in.get(
        reverse("web:customer-timeline", args=[grace.pk]),
        {"kind": "change"},
        **htmx("timeline-entries"),
    ).content.decode()
    assert "category: — → vip" in fragment and "Task: Call back" not in fragment
    # Without htmx the fragment's URL (pushed into the history) is the page with the filters.
    plain = signed_in.get(reverse("web:customer-timeline", args=[grace.pk]), {"kind": "change"})
    assert plain["Location"] == reverse("web:customer", args=[grace.pk]) + "?kind=change#timeline"
    # Unknown kinds are dropped; none left means every kind.
    every = signed_in.get(reverse("web:customer", args=[grace.pk]), {"kind": "<script>"})
    assert "Order O-1" in every.content.decode() and "&lt;script&gt;" not in every.content.decode()


def test_the_account_timeline_covers_its_customers_and_itself(signed_in, manager):
    acme = make_account(name="Acme", owner=manager)
    grace = make_customer(first_name="Grace", last_name="Hopper", account=acme, owner=manager)
    alan = make_customer(first_name="Alan", last_name="Turing", account=acme)
    elsewhere = make_customer()
    make_order(customer=grace, external_id="G-1", placed_at=T0)
    make_order(customer=alan, external_id="A-1", placed_at=T0 + timedelta(days=1))
    make_order(customer=elsewhere, external_id="E-1", placed_at=T0 + timedelta(days=2))
    Interaction.objects.create(account=acme, kind="meeting", occurred_at=T0 + timedelta(days=3),
                               subject="QBR")  # fmt: skip
    page = account_timeline(
        account=acme, customers=acme.customers.all(), kinds={"order", "interaction"}
    )
    assert [(e.kind, e.item.pk) for e in page.entries] == [
        ("interaction", Interaction.objects.get().pk),
        ("order", alan.orders.get().pk),
        ("order", grace.orders.get().pk),
    ]
    body = signed_in.get(reverse("web:account", args=[acme.pk])).content.decode()
    assert "QBR" in body and "A-1" in body and "E-1" not in body
    assert f'href="/customers/{alan.pk}/">Alan Turing</a>' in body


def test_the_cockpit_header(signed_in, manager):
    grace = make_customer(first_name="Grace", last_name="Hopper", owner=manager)
    today = timezone.localdate()
    HealthScore.objects.create(
        customer=grace, score=42.0, band="red", computed_at=timezone.now(),
        components={"recency": 20.0, "complaints": 50.0, "sentiment": None},
    )  # fmt: skip
    HealthSnapshot.objects.create(
        customer=grace, day=today - timedelta(days=40), score=70.0, band="yellow",
        components={"recency": 65.0, "complaints": 50.0},
    )  # fmt: skip
    HealthSnapshot.objects.create(
        customer=grace, day=today - timedelta(days=10), score=55.0, band="yellow"
    )
    fit = ModelFit.objects.create(status=FitStatus.DONE, observation_end=today)
    CustomerPrediction.objects.create(
        customer=grace, fit=fit, frequency=1, recency=10.0, T=100.0, p_alive=0.3,
        churn_risk=0.7, expected_purchases_365=1.0, expected_average_spend=Decimal("10"),
        predicted_clv_365=Decimal("1234.50"), value_if_stays_365=None, historic_clv=Decimal("0"),
    )  # fmt: skip
    Subscription.objects.create(
        customer=grace, plan="Pro", amount="10.00", currency="USD", interval="month",
        started_at=T0, renews_at=timezone.now() + timedelta(days=12),
    )  # fmt: skip
    StageTransition.objects.create(
        customer=grace, to_stage="at_risk", rule="r", effective_at=T0, recorded_at=T0,
        definition=active_definition(), cause="event",
    )  # fmt: skip
    CustomerStage.objects.create(customer=grace, stage="at_risk", entered_at=T0,
                                 definition=active_definition())  # fmt: skip
    body = signed_in.get(reverse("web:customer", args=[grace.pk])).content.decode()
    header = body[body.index('id="cockpit"') : body.index('aria-label="Key figures"')]
    assert "42 · Red" in header
    assert "-28 in 30 days" in header  # against 70 on the last snapshot 30 or more days ago
    assert "1,234.50" in header and "70 %" in header and "Pro" in header
    assert "Mia Manager" in header and "At risk" in header
    # Each factor with its weight (the defaults: recency 25, complaints 15, sentiment 15).
    assert (
        'Recency against their own rhythm</td><td class="num">25</td><td class="num">20' in header
    )
    assert 'Open complaints</td><td class="num">15</td><td class="num">50' in header
    # Each factor's change against the snapshot 30 or more days ago: recency 65 -> 20 (-45),
    # complaints unchanged; sentiment had no data, then or now.
    rows = {row.split("</td>")[0].rsplit(">", 1)[-1]: row for row in header.split("<tr><td>")[1:]}
    assert 'class="trend-down">-45 ↓</span>' in rows["Recency against their own rhythm"]
    assert 'class="muted">0</span>' in rows["Open complaints"]
    assert 'class="muted">—</span></td></tr>' in rows["Latest NPS / CSAT"]


def _predicted(customer, fit, clv: str, risk: float) -> None:
    CustomerPrediction.objects.create(
        customer=customer, fit=fit, frequency=1, recency=10.0, T=100.0, p_alive=1 - risk,
        churn_risk=risk, expected_purchases_365=1.0, expected_average_spend=Decimal("10"),
        predicted_clv_365=Decimal(clv), value_if_stays_365=None, historic_clv=Decimal("0"),
    )  # fmt: skip


def _renews(customer, plan: str, days: int, *, cancelled: bool = False) -> None:
    now = timezone.now()
    Subscription.objects.create(
        customer=customer, plan=plan, amount="10.00", currency="USD", interval="month",
        started_at=T0, renews_at=now + timedelta(days=days),
        cancelled_at=now if cancelled else None,
    )  # fmt: skip


def _placed(customer, stage: str) -> None:
    CustomerStage.objects.create(
        customer=customer, stage=stage, entered_at=T0, definition=active_definition()
    )


def test_the_account_cockpit_header(signed_in, manager):
    acme = make_account(name="Acme", owner=manager)
    grace = make_customer(first_name="Grace", last_name="Hopper", account=acme)
    alan = make_customer(first_name="Alan", last_name="Turing", account=acme)
    ada = make_customer(first_name="Ada", last_name="Lovelace", account=acme)
    elsewhere = make_customer(first_name="Edsger", last_name="Dijkstra")  # in no account
    today = timezone.localdate()
    fit = ModelFit.objects.create(status=FitStatus.DONE, observation_end=today)
    _predicted(grace, fit, "1000.00", 0.8)
    _predicted(alan, fit, "3000.00", 0.2)  # Ada has no prediction: she counts for neither
    _predicted(elsewhere, fit, "9999.00", 0.99)
    _placed(grace, "at_risk")
    _placed(alan, "at_risk")
    _placed(ada, "retention")
    _placed(elsewhere, "churned")
    _renews(grace, "Pro", 20)
    _renews(alan, "Team", 5)
    _renews(alan, "Old", 2, cancelled=True)  # cancelled: renews no more
    _renews(ada, "Lapsed", -3)  # its date has passed
    _renews(elsewhere, "Other", 1)  # not the account's
    AccountHealthScore.objects.create(
        account=acme, score=61.0, band="yellow", computed_at=timezone.now(),
        components={"recency": 40.0},
    )  # fmt: skip
    AccountHealthSnapshot.objects.create(
        account=acme, day=today - timedelta(days=35), score=73.0, band="green"
    )
    AccountHealthSnapshot.objects.create(  # too recent to be the one 30 days ago
        account=acme, day=today - timedelta(days=5), score=50.0, band="yellow"
    )

    cockpit = account_cockpit(account=acme, customers=acme.customers.all(), today=today)
    assert cockpit.stages == [("At risk", 2), ("Retention", 1)]
    assert cockpit.predicted_clv == Decimal("4000.00")  # 1,000 + 3,000; Edsger's not counted
    # Weighted by predicted CLV: (1,000 x 0.8 + 3,000 x 0.2) / 4,000 = 0.35; the plain mean
    # of the two risks would be 0.5.
    assert cockpit.churn_risk == pytest.approx(0.35)
    assert cockpit.next_renewal is not None and cockpit.next_renewal.plan == "Team"
    assert cockpit.health_score == 61.0 and cockpit.score_before == 73.0
    assert cockpit.change == -12.0 and cockpit.owner == manager

    body = signed_in.get(reverse("web:account", args=[acme.pk])).content.decode()
    header = body[body.index('id="cockpit"') : body.index("</section>", body.index('id="cockpit"'))]
    assert "At risk · 2</span>" in header and "Retention · 1</span>" in header
    assert "Churned" not in header
    assert "4,000.00" in header and "9,999" not in header
    assert ">35 %</span>" in header
    assert "Team · Alan Turing" in header and "Other" not in header
    assert "61 · Yellow" in header and "-12 in 30 days" in header
    assert "Mia Manager" in header


def test_the_account_churn_risk_is_the_plain_mean_when_no_value_is_predicted(manager):
    acme = make_account(name="Acme", owner=manager)
    fit = ModelFit.objects.create(status=FitStatus.DONE, observation_end=timezone.localdate())
    _predicted(make_customer(account=acme), fit, "0.00", 0.9)
    _predicted(make_customer(account=acme), fit, "0.00", 0.3)
    cockpit = account_cockpit(account=acme, customers=acme.customers.all())
    assert cockpit.predicted_clv == Decimal("0.00")
    assert cockpit.churn_risk == pytest.approx(0.6)
    assert cockpit.stages == [] and cockpit.health_score is None and cockpit.next_renewal is None
    empty = account_cockpit(account=make_account(name="Empty"), customers=Customer.objects.none())
    assert empty.predicted_clv is None and empty.churn_risk is None


def test_the_api_timeline_has_every_kind_and_the_same_filter(client, manager):
    from tests.api.helpers import Api

    api = Api(client)
    grace = make_customer(owner=manager)
    _history(grace, manager)
    body = api.get(f"/customers/{grace.pk}/timeline").json()
    assert [item["kind"] for item in body["items"]] == EVERY_KIND_NEWEST_FIRST
    summaries = {item["kind"]: item["summary"] for item in body["items"]}
    assert summaries["task"] == "Task: Call back"
    assert summaries["stage"] == "Stage: acquisition -> retention"
    assert summaries["change"] == "Changed: category"
    narrowed = api.get(f"/customers/{grace.pk}/timeline", kinds="task,change,bogus").json()
    assert [item["kind"] for item in narrowed["items"]] == ["change", "task"]
