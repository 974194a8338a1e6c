"""Loading the demo business into the real database: once, whole, and true to its generator."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.db.models import Count, F, Max
from django.test import RequestFactory

from tenure.customers.models import Account, Consent, Contact, Customer, SpecialDate, Subscription
from tenure.demo.generator import generate_business
from tenure.demo.models import DemoLoad, DemoTruth
from tenure.demo.services import DemoConflictError, demo_load, demo_login_ensure
from tenure.interactions.models import Interaction
from tenure.orders.models import Order, OrderLine, OrderStatus
from tenure.users.models import Role, User
from tests.factories import make_account

from .conftest import TODAY

SMALL = {"customers": 150, "accounts": 4}
TABLES = (
    User,
    Account,
    Contact,
    Customer,
    DemoTruth,
    Order,
    OrderLine,
    SpecialDate,
    Consent,
    Subscription,
    Interaction,
    DemoLoad,
)


def table_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


@pytest.mark.django_db
def test_loads_every_record_of_the_generated_business():
    result = demo_load(seed=11, today=TODAY, **SMALL)
    expected = generate_business(seed=11, today=TODAY, **SMALL).counts()
    assert result.created and result.counts == expected
    assert Customer.objects.count() == expected["customers"]
    assert Order.objects.count() == expected["orders"]
    assert OrderLine.objects.count() == expected["order_lines"]
    assert Contact.objects.count() == expected["contacts"]
    assert Interaction.objects.count() == expected["interactions"]
    assert Subscription.objects.count() == expected["subscriptions"]
    assert Consent.objects.count() == expected["consents"]
    assert SpecialDate.objects.count() == expected["special_dates"]
    assert DemoTruth.objects.count() == expected["customers"]
    assert User.objects.filter(role=Role.SUCCESS_MANAGER).count() == 4
    assert not User.objects.exclude(username="demo").filter(password__startswith="pbkdf2").exists()
    load = DemoLoad.objects.get()
    assert (load.seed, load.customers, load.orders) == (
        11,
        expected["customers"],
        expected["orders"],
    )


@pytest.mark.django_db
def test_loading_again_adds_nothing():
    demo_load(seed=11, today=TODAY, **SMALL)
    before = table_counts()
    again = demo_load(seed=11, today=TODAY, **SMALL)
    assert not again.created
    assert again.counts == {"customers": before["Customer"], "orders": before["Order"]}
    assert table_counts() == before


@pytest.mark.django_db
def test_a_second_demo_business_is_refused():
    demo_load(seed=11, today=TODAY, **SMALL)
    before = table_counts()
    with pytest.raises(DemoConflictError, match="seed 11"):
        demo_load(seed=12, today=TODAY, **SMALL)
    assert table_counts() == before


@pytest.mark.django_db
def test_a_colliding_account_rolls_back_everything():
    name = generate_business(seed=11, today=TODAY, **SMALL).accounts[0].name
    make_account(name=name)
    before = table_counts()
    with pytest.raises(DemoConflictError, match=name):
        demo_load(seed=11, today=TODAY, **SMALL)
    assert table_counts() == before


@pytest.mark.django_db
def test_the_stored_truth_agrees_with_the_stored_orders():
    demo_load(seed=11, today=TODAY, **SMALL)
    truths = DemoTruth.objects.annotate(last_order=Max("customer__orders__placed_at"))
    assert not Order.objects.filter(
        customer__demo_truth__dropped_out_at__lt=F("placed_at")
    ).exists()
    dropped = truths.exclude(dropped_out_at=None)
    assert dropped.exists() and truths.filter(dropped_out_at=None).exists()
    assert all(t.last_order == t.dropped_out_at for t in dropped)


@pytest.mark.django_db
def test_customer_figures_are_refreshed_from_completed_orders():
    demo_load(seed=11, today=TODAY, **SMALL)
    completed = dict(
        Order.objects.filter(status=OrderStatus.COMPLETED)
        .values("customer")
        .annotate(n=Count("id"))
        .values_list("customer", "n")
    )
    for customer in Customer.objects.all():
        assert customer.orders_count == completed[customer.id]
        assert customer.first_order_at == customer.created_at


@pytest.mark.django_db
def test_the_demo_login_is_an_admin_created_once():
    first = demo_login_ensure()
    second = demo_login_ensure()
    assert first.created and not second.created
    assert first.password == second.password and first.works and second.works
    user = authenticate(RequestFactory().post("/login/"), username="demo", password=first.password)
    assert user is not None and user.is_superuser and user.role == Role.ADMIN


@pytest.mark.django_db
def test_a_changed_demo_password_is_kept_unless_reset():
    login = demo_login_ensure()
    user = User.objects.get(username="demo")
    user.set_password("my own secret phrase 42")
    user.save()
    assert not demo_login_ensure().works
    assert (
        authenticate(
            RequestFactory().post("/login/"), username="demo", password="my own secret phrase 42"
        )
        is not None
    )
    assert demo_login_ensure(reset=True).works
    assert (
        authenticate(RequestFactory().post("/login/"), username="demo", password=login.password)
        is not None
    )


@pytest.mark.django_db
def test_the_demo_has_an_email_history_that_feeds_health_and_its_playbooks_on():
    import numpy as np

    from tenure.events.models import Event
    from tenure.facts import chunks, facts_compute
    from tenure.mail.models import Message
    from tenure.playbooks.models import Playbook

    business = generate_business(seed=11, today=TODAY, **SMALL)
    demo_load(seed=11, today=TODAY, **SMALL)
    assert Message.objects.count() == len(business.messages) > 0
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}
    opened = sum(m.opened_at is not None for m in business.messages)
    clicked = sum(m.clicked_at is not None for m in business.messages)
    assert Event.objects.filter(kind="mail.opened").count() == opened > 0
    assert Event.objects.filter(kind="mail.clicked").count() == clicked > 0
    assert Event.objects.filter(kind="mail.sent").count() == len(business.messages)
    # Only those who said yes to marketing email got any.
    consenting = set(
        Consent.objects.filter(purpose="email_marketing", granted=True).values_list(
            "customer_id", flat=True
        )
    )
    assert set(Message.objects.values_list("customer_id", flat=True)) <= consenting
    # A welcome message carries its built-in playbook's key: switched on, it never resends.
    welcome = Playbook.objects.get(builtin="welcome")
    assert Message.objects.filter(key__startswith=f"playbook:{welcome.pk}:0:").exists()
    enabled = dict(Playbook.objects.exclude(builtin="").values_list("builtin", "enabled"))
    # The points playbooks stay off: the demo runs no loyalty program (their step says so).
    assert {k for k, on in enabled.items() if not on} == {"birthday_points", "survey_points"}
    assert len(enabled) == 8
    ids = np.array(sorted(Customer.objects.values_list("pk", flat=True)), dtype=np.int64)
    now = Message.objects.latest("finished_at").finished_at
    engaged = 0.0
    for chunk in chunks(ids):
        facts = facts_compute(chunk=chunk, ids=chunk.ids, now=now,
                              needed=["emails_sent_90d", "emails_engaged_90d"])  # fmt: skip
        assert (facts["emails_engaged_90d"] <= facts["emails_sent_90d"]).all()
        engaged += float(facts["emails_engaged_90d"].sum())
    assert engaged > 0
