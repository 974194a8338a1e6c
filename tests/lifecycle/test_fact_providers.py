"""Facts by registration against the database: an app's provider is registered and used, the
providers of facts nobody asked for run no query, category and attribute facts read back as
written, and a rule on them moves customers through ``lifecycle_update`` and the whole-base
recompute alike, and through the definition API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenure.customers.models import Customer
from tenure.customers.services import customer_update
from tenure.domain.facts import REGISTRY, Fact, FactProvider
from tenure.domain.lifecycle.facts import rule_facts
from tenure.facts import FactRequest, fact_provider_register, fetch_numbers, scatter
from tenure.lifecycle.facts import facts_frame
from tenure.lifecycle.models import CustomerStage, StageTransition
from tenure.lifecycle.services import definition_save, lifecycle_recompute, lifecycle_update
from tenure.orders.models import Order, OrderStatus
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_account, make_customer, make_order

pytestmark = pytest.mark.django_db


def _big_orders(request: FactRequest) -> dict[str, Any]:
    rows = fetch_numbers(
        Order.objects.filter(
            request.chunk.where("customer_id"),
            status=OrderStatus.COMPLETED,
            placed_at__lte=request.now,
            amount__gte=100,
        )
        .order_by()
        .values("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n"),
        2,
    )
    return {"big_orders": scatter(request.ids, rows[:, 0].astype(np.int64), rows[:, 1], 0.0)}


BIG_ORDERS = FactProvider(
    "big_orders_test",
    (Fact("big_orders", "count", "Completed orders of 100 or more (a test's provider)."),),
    _big_orders,
)


@pytest.fixture
def big_orders():
    fact_provider_register(BIG_ORDERS)
    yield
    REGISTRY.unregister(BIG_ORDERS.name)


def test_an_apps_provider_is_registered_and_used(big_orders):
    now = timezone.now()
    ann, bob, cy = make_customer(), make_customer(), make_customer()
    for amount in ("120.00", "99.99", "100.00"):
        make_order(customer=ann, placed_at=now - timedelta(days=3), amount=Decimal(amount))
    make_order(customer=bob, placed_at=now + timedelta(days=1), amount=Decimal("500.00"))
    frame = facts_frame(customer_ids=[ann.pk, bob.pk, cy.pk], now=now, needed={"big_orders"})
    assert frame["big_orders"].to_dict() == {ann.pk: 2.0, bob.pk: 0.0, cy.pk: 0.0}
    assert list(frame.columns) == ["big_orders"]


def _tables(queries: list[dict[str, str]]) -> set[str]:
    names = ("orders_order", "customers_subscription", "interactions_interaction",
             "feedback_surveyresponse", "feedback_referral", "insights_customerprediction",
             "lifecycle_customerstage", "customers_account")  # fmt: skip
    return {name for name in names for query in queries if name in query["sql"]}


@pytest.mark.parametrize(
    ("needed", "tables", "count"),
    [
        ({"orders_count"}, {"orders_order"}, 2),
        ({"channel", "category"}, set(), 2),
        ({"account_industry"}, {"customers_account"}, 2),
        ({"attribute.plan"}, set(), 2),
        ({"latest_nps"}, {"feedback_surveyresponse"}, 2),
        ({"is_lead"}, {"orders_order", "customers_subscription"}, 3),
        ({"open_complaints", "p_alive"}, {"interactions_interaction",
                                          "insights_customerprediction"}, 3),
    ],
)  # fmt: skip
def test_only_the_providers_of_the_facts_asked_for_run(needed, tables, count):
    now = timezone.now()
    customers = [make_customer(channel="web") for _ in range(3)]
    make_order(customer=customers[0], placed_at=now - timedelta(days=2))
    ids = [c.pk for c in customers]
    with CaptureQueriesContext(connection) as captured:
        frame = facts_frame(customer_ids=ids, now=now, needed=needed)
    assert set(frame.columns) == needed and len(frame) == 3
    assert _tables(captured.captured_queries) == tables
    assert len(captured.captured_queries) == count  # the customers' ids, then one per table


def test_category_and_attribute_facts_read_back_as_written():
    acme = make_account(industry="  Retail ", size_band="11-50")
    written = [
        ({"channel": " partner ", "category": "b2b", "account": acme},
         {"plan": " gold ", "seats": "1,200", "Plan Name": "x"}),
        ({"channel": "", "category": "retail"}, {"plan": "", "seats": 12}),
        ({"channel": "Partner"}, {"seats": "many", "plan": 3}),
        ({"channel": "web"}, {"seats": 2.5, "plan": True}),
        ({}, {}),
    ]  # fmt: skip
    ids = [make_customer(**fields, custom_attributes=attrs).pk for fields, attrs in written]
    needed = {"channel", "category", "account_industry", "account_size_band", "attribute.plan",
              "attribute.seats", "attribute.Plan Name"}  # fmt: skip
    frame = facts_frame(
        customer_ids=ids, now=timezone.now(), needed=needed, kinds={"attribute.seats": "number"}
    )
    assert frame["channel"].tolist() == ["partner", None, "Partner", "web", None]
    assert frame["category"].tolist() == ["b2b", "retail", None, None, None]
    assert frame["account_industry"].tolist() == ["Retail", None, None, None, None]
    assert frame["account_size_band"].tolist() == ["11-50", None, None, None, None]
    assert frame["attribute.plan"].tolist() == ["gold", None, "3", "true", None]
    assert frame["attribute.Plan Name"].tolist() == ["x", None, None, None, None]
    seats = frame["attribute.seats"].tolist()
    assert seats[:2] == [1200.0, 12.0] and np.isnan(seats[2]) and seats[3] == 2.5
    assert np.isnan(seats[4])


def test_the_registered_categories_are_rule_facts():
    facts = rule_facts()
    assert {"channel", "category", "account_industry", "account_size_band",
            "account_budget_band"} <= set(facts)  # fmt: skip
    assert facts["channel"].kind == "category"
    assert "orders_last_90d" not in facts  # a health figure, not timeless: no history to replay


def _partner_definition() -> dict[str, Any]:
    return {
        "name": "Partners",
        "stages": [
            {"key": "reach", "name": "Reach", "role": "lead"},
            {"key": "acquisition", "name": "Acquisition", "role": "new"},
            {"key": "partner", "name": "Partner buyers", "role": "active"},
            {"key": "enterprise", "name": "Enterprise", "role": "loyal"},
        ],
        "rules": [
            {"name": "big", "from": "*", "to": "enterprise",
             "when": {"all": [{"fact": "attribute.seats", "op": ">=", "value": 10},
                              {"fact": "orders_count", "op": ">=", "value": 1}]},
             "reason": "{attribute.seats:.0f} seats and {orders_count} orders"},
            {"name": "partner", "from": "*", "to": "partner",
             "when": {"all": [{"fact": "channel", "op": "is", "value": "partner"},
                              {"fact": "orders_count", "op": ">=", "value": 1}]},
             "reason": "Came through {channel}; {orders_count} orders"},
            {"name": "bought", "from": ["unstaged", "reach", "partner"], "to": "acquisition",
             "when": {"fact": "orders_count", "op": ">=", "value": 1},
             "reason": "Bought"},
            {"name": "lead", "from": "unstaged", "to": "reach",
             "when": {"fact": "is_lead", "op": "==", "value": True}, "reason": "A lead"},
        ],
    }  # fmt: skip


def _book() -> dict[str, Customer]:
    now = timezone.now()
    people = {
        "ann": make_customer(channel="partner"),
        "bob": make_customer(channel="web"),
        "cy": make_customer(channel="partner"),  # no order: a lead
        "dee": make_customer(channel=" partner ", custom_attributes={"seats": "25"}),
        "eve": make_customer(channel=""),
        "fay": make_customer(channel="partner", custom_attributes={"seats": "9"}),
    }
    for name in ("ann", "bob", "dee", "eve", "fay"):
        make_order(customer=people[name], placed_at=now - timedelta(days=20))
    return people


def _stages() -> dict[int, str]:
    return dict(CustomerStage.objects.values_list("customer_id", "stage"))


EXPECTED = {"ann": "partner", "bob": "acquisition", "cy": "reach", "dee": "enterprise",
            "eve": "acquisition", "fay": "partner"}  # fmt: skip


def test_a_partner_rule_through_lifecycle_update_and_the_whole_base_agree():
    definition_save(by=None, data=_partner_definition(), name="Partners")
    people = _book()
    ids = [c.pk for c in people.values()]
    for pk in ids:  # one customer at a time, as events arrive
        lifecycle_update(customer_ids=[pk], cause="order")
    one_by_one = _stages()
    assert {name: one_by_one[c.pk] for name, c in people.items()} == EXPECTED
    move = StageTransition.objects.get(customer=people["ann"], to_stage="partner")
    assert move.reason == "Came through partner; 1 orders"
    placed = Order.objects.get(customer=people["ann"]).placed_at
    assert abs(move.effective_at - placed) < timedelta(milliseconds=1)  # moments are whole ms
    big = StageTransition.objects.get(customer=people["dee"], to_stage="enterprise")
    assert big.reason == "25 seats and 1 orders"
    lifecycle_recompute(from_scratch=True)
    assert _stages() == one_by_one
    assert not StageTransition.objects.filter(superseded_at__isnull=False).exists()
    ann = StageTransition.objects.filter(customer=people["ann"]).order_by("effective_at", "step")
    assert list(ann.values_list("to_stage", flat=True)) == ["reach", "partner"]


def test_editing_the_channel_moves_the_customer_from_now_on(django_capture_on_commit_callbacks):
    definition_save(by=None, data=_partner_definition(), name="Partners")
    people = _book()
    lifecycle_recompute()
    bob = people["bob"]
    assert _stages()[bob.pk] == "acquisition"
    with django_capture_on_commit_callbacks(execute=True):
        customer_update(customer_id=bob.pk, changes={"channel": "partner"})
    assert _stages()[bob.pk] == "partner"
    # His whole history is replayed as if he had always been a partner customer (what a
    # replay from scratch says): the move is dated at his order, the old one superseded.
    move = StageTransition.objects.get(customer=bob, to_stage="partner")
    placed = Order.objects.get(customer=bob).placed_at
    assert move.cause == "customer" and abs(move.effective_at - placed) < timedelta(seconds=1)
    old = StageTransition.objects.get(customer=bob, to_stage="acquisition")
    assert old.superseded_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        customer_update(customer_id=bob.pk, changes={"channel": "web"})
    assert _stages()[bob.pk] == "acquisition"
    live = _stages()
    lifecycle_recompute(from_scratch=True)
    assert _stages() == live
    effective = StageTransition.objects.filter(customer=bob, superseded_at__isnull=True)
    assert list(effective.order_by("effective_at", "step").values_list("to_stage", flat=True)) == [
        "reach",
        "acquisition",
    ]


def test_a_timeless_change_nobody_announced_is_seen_at_now():
    definition_save(by=None, data=_partner_definition(), name="Partners")
    people = _book()
    lifecycle_recompute()
    bob = people["bob"]
    Customer.objects.filter(pk=bob.pk).update(channel="partner")  # behind the services' back
    lifecycle_recompute(now=timezone.now() + timedelta(hours=1))
    assert _stages()[bob.pk] == "partner"
    move = StageTransition.objects.get(customer=bob, to_stage="partner")
    assert move.effective_at > timezone.now() + timedelta(minutes=50)  # dated when noticed


def test_the_definition_api_accepts_a_category_rule_and_refuses_a_wrong_operator(client):
    api = Api(client, role=Role.ADMIN)
    stored = api.post("/lifecycle/definitions", {"definition": _partner_definition()})
    assert stored.status_code == 201, stored.json()
    wrong = _partner_definition()
    wrong["rules"][1]["when"]["all"][0] = {"fact": "channel", "op": ">", "value": 3}
    refused = api.post("/lifecycle/definitions", {"definition": wrong})
    assert refused.status_code == 422
    fields = refused.json()["error"]["fields"]
    assert fields["definition.rules[1].when.all[0].op"] == [
        'channel is a category: use is, is_not, in or not_in, not ">"'
    ]


def test_the_definition_page_lists_the_category_facts_and_shows_the_rule_in_words(client):
    from tests.factories import make_user

    definition_save(by=None, data=_partner_definition(), name="Partners")
    client.force_login(make_user(role=Role.ADMIN))
    page = client.get("/lifecycle/definition/").content.decode()
    assert "<code>channel</code>" in page and "<code>account_industry</code>" in page
    assert "attribute.&lt;name&gt;" in page
    assert "channel is “partner”" in page


def test_an_account_edit_announces_its_customers(django_capture_on_commit_callbacks):
    from tenure.customers.services import account_update

    data = _partner_definition()
    data["rules"][1]["when"]["all"][0] = {
        "fact": "account_industry", "op": "in", "value": ["Retail", "Food"]
    }  # fmt: skip
    definition_save(by=None, data=data, name="Retail partners")
    acme = make_account(industry="Mining")
    ann = make_customer(account=acme)
    make_order(customer=ann, placed_at=timezone.now() - timedelta(days=3))
    lifecycle_recompute()
    assert _stages()[ann.pk] == "acquisition"
    with django_capture_on_commit_callbacks(execute=True):
        account_update(account_id=acme.pk, changes={"industry": " Retail"})
    assert _stages()[ann.pk] == "partner"
