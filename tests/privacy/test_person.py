"""A person's export holds everything; after erase nothing anywhere names them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.apps import apps
from django.core import serializers
from django.db.models import Sum

from tenure.access import AccessDenied
from tenure.customers.models import Consent, Customer, SpecialDate
from tenure.customers.services import customer_update
from tenure.history.models import TrashItem
from tenure.ideas.services import idea_create, idea_request_add
from tenure.insights.models import CustomerPrediction, ModelFit
from tenure.interactions.models import Interaction
from tenure.interactions.services import interaction_delete
from tenure.orders.models import Order
from tenure.orders.services import order_delete
from tenure.privacy.services import JSON_ENCODER, person_erase, person_export
from tenure.todos.models import Task
from tenure.todos.services import task_comment_add, task_create
from tenure.users.models import Role
from tests.factories import T0, make_customer, make_order, make_user
from tests.voices.helpers import make_voice

NAME, SURNAME, EMAIL = "Zebulon", "Quixotic-Marsh", "zebulon.qm@example.org"


@pytest.fixture
def person(db):
    customer = make_customer(
        external_id="P-42",
        first_name=NAME,
        last_name=SURNAME,
        email=EMAIL,
        phone="+33 6 12 34 56 78",
        custom_attributes={"nickname": NAME},
    )
    # A change made through a service leaves a history entry holding the old and new values.
    customer_update(customer_id=customer.pk, changes={"email": EMAIL.upper()})
    customer_update(customer_id=customer.pk, changes={"email": EMAIL})
    make_order(customer=customer, external_id="P-42-1", amount=Decimal("30.00"))
    make_order(customer=customer, external_id="P-42-2", amount=Decimal("12.50"))
    Interaction.objects.create(
        customer=customer,
        kind="complaint",
        status="resolved",
        occurred_at=T0,
        subject=f"{NAME} is unhappy",
        body=f"Call {NAME} back at {EMAIL}",
        resolution=f"Refunded {NAME}",
        resolved_at=T0,
    )
    SpecialDate.objects.create(customer=customer, label="wedding", date=T0.date())
    Consent.objects.create(
        customer=customer, purpose="email_marketing", granted=True, changed_at=T0
    )
    # The lifecycle app keeps words about the person too: a task titled with their name.
    task = task_create(
        by=None,
        title=f"Call {NAME} back",
        body=f"Write to {EMAIL}",
        owner=make_user(),
        due=T0.date(),
        customer_id=customer.pk,
    )
    task_comment_add(by=None, task_id=task.pk, body=f"{NAME} asked for a refund")
    make_customer(external_id="BYSTANDER", first_name="Other")
    return customer


def _everything_stored() -> str:
    text = []
    for model in apps.get_models():
        if model._meta.managed and not model._meta.proxy:
            text.append(serializers.serialize("json", model._default_manager.all()))
    return "\n".join(text)


def test_export_holds_orders_interactions_and_history(person):
    data = json.loads(json.dumps(person_export(customer_id=person.pk), cls=JSON_ENCODER))
    assert data["customer"]["email"] == EMAIL
    assert [o["external_id"] for o in data["orders"]] == ["P-42-1", "P-42-2"]
    assert data["interactions"][0]["body"] == f"Call {NAME} back at {EMAIL}"
    assert data["special_dates"][0]["label"] == "wedding"
    assert data["consents"][0]["purpose"] == "email_marketing"
    assert len(data["history"]) >= 2
    assert data["tasks"][0]["title"] == f"Call {NAME} back"
    assert data["tasks"][0]["comments"][0]["body"] == f"{NAME} asked for a refund"
    assert "stage_transitions" in data and "health" in data
    assert LogEntry.objects.filter(additional_data__event="export").count() == 1


def test_export_holds_the_models_profile_of_the_person(person):
    assert person_export(customer_id=person.pk)["prediction"] is None
    fit = ModelFit.objects.create(status="done")
    CustomerPrediction.objects.create(
        customer=person,
        fit=fit,
        frequency=1,
        recency=10.0,
        T=30.0,
        p_alive=0.8,
        churn_risk=0.2,
        expected_purchases_365=3.1,
        expected_average_spend=Decimal("21.00"),
        predicted_clv_365=Decimal("60.00"),
        historic_clv=Decimal("42.50"),
    )
    data = json.loads(json.dumps(person_export(customer_id=person.pk), cls=JSON_ENCODER))
    assert data["prediction"]["p_alive"] == 0.8
    assert data["prediction"]["predicted_clv_365"] == "60.00"


def test_erase_leaves_no_trace_and_keeps_the_figures(person):
    revenue_before = Order.objects.aggregate(total=Sum("amount"))["total"]
    assert NAME in _everything_stored()  # the probe below can see the name when it is there

    person_erase(customer_id=person.pk)

    stored = _everything_stored()
    for trace in (NAME, SURNAME, EMAIL, EMAIL.upper(), "12 34 56 78", 'P-42"'):
        assert trace not in stored, trace
    assert Order.objects.aggregate(total=Sum("amount"))["total"] == revenue_before
    erased = Customer.objects.get(pk=person.pk)
    assert erased.orders_count == 2
    assert erased.revenue == Decimal("42.50")
    assert Interaction.objects.get(customer=erased).kind == "complaint"  # the fact stays
    assert Task.objects.get(customer=erased).title == "Follow-up (person erased)"  # work stays
    assert Customer.objects.filter(external_id="BYSTANDER", first_name="Other").exists()
    assert LogEntry.objects.filter(additional_data__event="erase", object_id=person.pk).exists()


def test_their_comments_and_reviews_are_exported_then_forgotten(person):
    matched = make_voice(text=f"{NAME} here: the parcel was late", customer_id=person.pk)
    by_email = make_voice(
        text="Lovely shop", author=f"{NAME} {SURNAME}", author_email=EMAIL,
        url="https://reviews.example.com/zqm",
    )  # fmt: skip
    someone = make_voice(text="Fine", author="Another Person", author_email="a@example.net")

    exported = person_export(customer_id=person.pk)
    assert [v["id"] for v in exported["voices"]] == sorted([matched.pk, by_email.pk])
    assert {v["text"] for v in exported["voices"]} == {matched.text, "Lovely shop"}

    counts = person_erase(customer_id=person.pk)
    assert counts["voices"] == 2
    stored = _everything_stored()
    for trace in (NAME, SURNAME, EMAIL, "reviews.example.com/zqm"):
        assert trace not in stored, trace
    by_email.refresh_from_db()
    assert (by_email.text, by_email.author, by_email.author_email, by_email.url) == (
        "[erased]",
        "",
        "",
        "",
    )
    assert (by_email.source_name, by_email.rating) == ("Trustpilot", None)  # the record stays
    someone.refresh_from_db()
    assert (someone.text, someone.author_email) == ("Fine", "a@example.net")


def test_what_they_asked_for_on_the_ideas_board_is_exported_then_forgotten(person):
    idea = idea_create(by=None, data={"title": "Gift wrapping"}, now=T0)
    request, _ = idea_request_add(
        by=None, idea_id=idea.pk, customer_id=person.pk,
        data={"note": f"{NAME} wants it for a wedding"}, now=T0,
    )  # fmt: skip

    exported = person_export(customer_id=person.pk)
    assert [(r["idea"], r["note"]) for r in exported["idea_requests"]] == [
        ("Gift wrapping", f"{NAME} wants it for a wedding")
    ]
    counts = person_erase(customer_id=person.pk)
    assert counts["idea_request_notes"] == 1
    assert NAME not in _everything_stored()
    request.refresh_from_db()
    assert (request.note, request.idea_id) == ("[erased]", idea.pk)  # still counted as asking


def test_erase_reaches_their_records_in_the_trash(person):
    note = Interaction.objects.create(
        customer=person, kind="note", occurred_at=T0, body=f"{NAME} prefers mornings"
    )
    interaction_delete(interaction_id=note.pk)  # in the trash for 30 days, words and all
    order_delete(order_id=Order.objects.get(external_id="P-42-1").pk)
    bystander = Customer.objects.get(external_id="BYSTANDER")
    theirs = Interaction.objects.create(
        customer=bystander, kind="note", occurred_at=T0, body="Other likes tea"
    )
    interaction_delete(interaction_id=theirs.pk)
    assert TrashItem.objects.count() == 3 and NAME in _everything_stored()

    counts = person_erase(customer_id=person.pk)

    assert counts["trash_items"] == 2
    assert NAME not in _everything_stored()
    (kept,) = TrashItem.objects.all()  # the bystander's note stays restorable
    assert kept.object_id == theirs.pk and "Other likes tea" in json.dumps(kept.rows)


def test_only_admins_may_export_or_erase(person):
    for role in (Role.MANAGER, Role.SUCCESS_MANAGER, Role.ANALYST):
        user = make_user(role=role)
        with pytest.raises(AccessDenied):
            person_export(by=user, customer_id=person.pk)
        with pytest.raises(AccessDenied):
            person_erase(by=user, customer_id=person.pk)
    admin = make_user(role=Role.ADMIN)
    assert person_export(by=admin, customer_id=person.pk)["customer"]["id"] == person.pk


def test_person_commands(database_url, tmp_path):
    make_customer(external_id="CLI-1", first_name=NAME, email=EMAIL)
    env = {**os.environ, "TENURE_DATABASE_URL": database_url}
    out = tmp_path / "person.json"

    def tenure(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tenure", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    exported = tenure("person", "export", "CLI-1", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    assert json.loads(out.read_text())["customer"]["email"] == EMAIL
    erased = tenure("person", "erase", "CLI-1", "--yes")
    assert erased.returncode == 0, erased.stderr
    assert not Customer.objects.filter(email=EMAIL).exists()
    missing = tenure("person", "export", "NOPE")
    assert missing.returncode == 1
    assert "no customer with customer_id 'NOPE'" in missing.stderr
