"""Logging an interaction: the service's rules and the form on the customer page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from tenure.bulk.models import ChangeSet
from tenure.customers.models import Contact
from tenure.history.models import TrashItem
from tenure.interactions.models import Interaction
from tenure.interactions.services import interaction_log
from tenure.todos.models import Task
from tests.factories import make_account, make_customer, make_user
from tests.web.conftest import htmx

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def log(**overrides):
    fields = {
        "kind": "call",
        "occurred_at": NOW - timedelta(hours=1),
        "subject": "Renewal call",
        "body": "",
        "now": NOW,
    }
    return interaction_log(**{**fields, **overrides})


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# --- the service --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_call_is_stored_without_a_status():
    customer, author = make_customer(), make_user()
    interaction = log(author=author, customer=customer, subject="  Renewal call  ")
    interaction.refresh_from_db()
    assert (interaction.kind, interaction.status, interaction.subject) == (
        "call",
        "",
        "Renewal call",
    )
    assert interaction.author == author and interaction.customer == customer


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["complaint", "ticket"])
def test_a_case_starts_open(kind):
    interaction = log(author=None, customer=make_customer(), kind=kind)
    assert interaction.status == "open" and interaction.resolved_at is None


@pytest.mark.django_db
def test_a_case_logged_resolved_is_resolved_now():
    interaction = log(author=None, customer=make_customer(), kind="ticket", status="resolved")
    assert interaction.resolved_at == NOW


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "telegram"}, "kind"),
        ({"kind": "call", "status": "open"}, "status"),
        ({"kind": "complaint", "status": "closed"}, "status"),
        ({"subject": "  ", "body": ""}, "body"),
        ({"occurred_at": NOW + timedelta(days=400)}, "occurred_at"),
        ({"occurred_at": datetime(2025, 5, 1, 9, 0)}, "occurred_at"),  # naive
        ({"subject": "x" * 201}, "subject"),
        ({"customer": None}, "customer"),
    ],
)
def test_invalid_interactions_are_refused_field_by_field(overrides, field):
    fields = {"author": None, "customer": make_customer(), **overrides}
    with pytest.raises(ValidationError) as excinfo:
        log(**fields)
    assert field in errors_of(excinfo)
    assert not Interaction.objects.exists()


@pytest.mark.django_db
def test_a_contact_must_belong_to_the_customers_account():
    acme, globex = make_account(), make_account()
    customer = make_customer(account=acme)
    ours = Contact.objects.create(account=acme, first_name="Wile")
    theirs = Contact.objects.create(account=globex, first_name="Road")
    assert log(author=None, customer=customer, contact=ours).contact == ours
    with pytest.raises(ValidationError) as excinfo:
        log(author=None, customer=customer, contact=theirs)
    assert "contact" in errors_of(excinfo)


@pytest.mark.django_db
def test_an_account_interaction_needs_no_customer():
    account = make_account()
    interaction = log(author=None, customer=None, account=account, kind="meeting")
    assert interaction.account == account and interaction.customer is None


@pytest.mark.django_db
def test_an_analyst_may_not_log_and_a_success_manager_only_for_their_own():
    analyst = make_user(role="analyst")
    manager = make_user(role="success_manager")
    own, other = make_customer(owner=manager), make_customer()
    with pytest.raises(PermissionDenied):
        log(author=analyst, customer=own)
    with pytest.raises(PermissionDenied):
        log(author=manager, customer=other)
    assert log(author=manager, customer=own).author == manager


# --- the form on the customer page --------------------------------------------------------


def post_url(customer) -> str:
    return reverse("web:interaction-create", args=[customer.pk])


def form_data(**overrides) -> dict[str, str]:
    return {
        "kind": "meeting",
        "occurred_at": "2025-03-04T10:30",
        "subject": "Quarterly review",
        "body": "Went well.\nThey want a second seat.",
        "status": "",
        **overrides,
    }


def test_posting_redirects_to_the_page_that_shows_it(signed_in, book, manager):
    grace = book["grace"]
    response = signed_in.post(post_url(grace), form_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("web:customer", args=[grace.pk]) + "#timeline"
    interaction = Interaction.objects.get()
    assert interaction.author == manager and interaction.kind == "meeting"
    assert interaction.occurred_at == datetime(2025, 3, 4, 10, 30, tzinfo=UTC)  # TIME_ZONE=UTC
    page = signed_in.get(response["Location"]).content.decode()
    assert "Quarterly review" in page and "Interaction logged." in page
    assert "Went well.<br>They want a second seat." in page


def test_htmx_gets_a_fresh_form_and_the_timeline_out_of_band(signed_in, book):
    response = signed_in.post(
        post_url(book["grace"]),
        form_data(kind="complaint", subject="Broken lid"),
        **htmx("interaction-form"),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="interaction-form"' in body and "Logged." in body
    assert 'id="timeline-entries" hx-swap-oob="true"' in body
    assert "Broken lid" in body and "Open" in body
    assert 'value="Broken lid"' not in body  # the form is empty again


def test_validation_errors_show_on_the_form(signed_in, book):
    grace = book["grace"]
    response = signed_in.post(post_url(grace), form_data(subject="", body="", occurred_at="soon"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a valid date/time." in page
    assert "<html" in page  # without htmx: the whole page, with the form filled in
    response = signed_in.post(
        post_url(grace), form_data(kind="call", status="open"), **htmx("interaction-form")
    )
    body = response.content.decode()
    assert "Only complaints and support tickets have a status." in body
    assert 'value="Quarterly review"' in body  # what was typed is kept
    response = signed_in.post(
        post_url(grace), form_data(subject="", body=" "), **htmx("interaction-form")
    )
    assert "Write a subject or a note" in response.content.decode()
    assert not Interaction.objects.exists()


def test_logging_needs_a_post_and_a_visible_customer(signed_in, book):
    assert signed_in.get(post_url(book["grace"])).status_code == 405
    missing = reverse("web:interaction-create", args=[999999])
    assert signed_in.post(missing, form_data()).status_code == 404


def test_an_analyst_is_refused(client, book):
    client.force_login(make_user(role="analyst"))
    assert client.post(post_url(book["grace"]), form_data()).status_code == 403
    assert not Interaction.objects.exists()


def test_the_form_enforces_csrf(book, manager):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(manager)
    assert strict.post(post_url(book["grace"]), form_data()).status_code == 403
    page = strict.get(reverse("web:customer", args=[book["grace"].pk])).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = strict.post(post_url(book["grace"]), form_data(csrfmiddlewaretoken=token))
    assert response.status_code == 302
    # htmx sends the token in a header, from the page's hx-headers.
    assert '"X-CSRFToken": "' in page
    header_token = page.split('"X-CSRFToken": "')[1].split('"')[0]
    response = strict.post(
        post_url(book["grace"]),
        form_data(),
        HTTP_X_CSRFTOKEN=header_token,
        **htmx("interaction-form"),
    )
    assert response.status_code == 200
    assert Interaction.objects.count() == 2


# --- Undo of what the composer logged ---------------------------------------------------------


def test_the_composer_offers_undo_and_undo_takes_the_entry_and_its_task_away(
    signed_in, book, manager
):
    grace = book["grace"]
    answer = signed_in.post(
        post_url(grace),
        form_data(follow_up_owner="Mia Manager", follow_up_due="2025-03-11"),
        **htmx("interaction-form"),
    ).content.decode()
    change_set = ChangeSet.objects.get(author=manager)
    # The toast, out of band, beside the fresh form and the timeline.
    assert 'id="undo-toast" hx-swap-oob="innerHTML"' in answer
    assert "Meeting logged about Grace Hopper, with a follow-up task." in answer
    assert reverse("web:undo", args=[change_set.pk]) in answer
    meeting, task = Interaction.objects.get(), Task.objects.get()

    undone = signed_in.post(reverse("web:undo", args=[change_set.pk]), **htmx("undo-toast"))

    body = undone.content.decode()
    assert "Undone: Meeting logged about Grace Hopper, with a follow-up task." in body
    assert undone["HX-Trigger"] == "tenure-list-changed"  # composer.js asks the timeline again
    assert not Interaction.objects.filter(pk=meeting.pk).exists()
    assert TrashItem.objects.get(object_id=meeting.pk).deleted_by == manager
    assert Task.objects.get(pk=task.pk).status == "cancelled"
    timeline = signed_in.get(
        reverse("web:customer-timeline", args=[grace.pk]), **htmx("timeline-entries")
    ).content.decode()
    assert "They want a second seat." not in timeline  # the meeting's words are gone
    assert "Follow up: Quarterly review" in timeline and ">Cancelled<" in timeline
    # The Trash page gives it back, on the customer's page.
    restored = signed_in.post(reverse("web:trash-restore", args=[TrashItem.objects.get().pk]))
    assert restored["Location"] == reverse("web:customer", args=[grace.pk]) + "#timeline"
    assert Interaction.objects.filter(pk=meeting.pk).exists()


def test_without_htmx_the_customer_page_offers_the_undo(signed_in, book, manager):
    grace = book["grace"]
    response = signed_in.post(post_url(grace), form_data())
    change_set = ChangeSet.objects.get(author=manager)
    page = signed_in.get(response["Location"]).content.decode()
    assert "Meeting logged about Grace Hopper." in page
    assert reverse("web:undo", args=[change_set.pk]) in page


def test_an_accounts_composer_offers_undo_too(signed_in, manager):
    acme = make_account(name="Acme")
    url = reverse("web:account-interaction-create", args=[acme.pk])
    answer = signed_in.post(url, form_data(kind="note"), **htmx("interaction-form")).content
    change_set = ChangeSet.objects.get(author=manager)
    assert "Note logged about Acme." in answer.decode()
    assert reverse("web:undo", args=[change_set.pk]) in answer.decode()
    signed_in.post(reverse("web:undo", args=[change_set.pk]), **htmx("undo-toast"))
    assert not Interaction.objects.filter(account=acme).exists()
    plain = signed_in.post(url, form_data(kind="call"))  # without htmx: on the account's page
    page = signed_in.get(plain["Location"]).content.decode()
    assert reverse("web:undo", args=[ChangeSet.objects.latest("pk").pk]) in page


def test_an_entry_edited_since_is_not_undone_and_the_toast_says_why(signed_in, book, manager):
    signed_in.post(post_url(book["grace"]), form_data(), **htmx("interaction-form"))
    change_set = ChangeSet.objects.get(author=manager)
    meeting = Interaction.objects.get()
    Interaction.objects.filter(pk=meeting.pk).update(body="Went badly.")

    body = signed_in.post(
        reverse("web:undo", args=[change_set.pk]), **htmx("undo-toast")
    ).content.decode()

    assert (
        "Not undone: interaction “Meeting: Quarterly review” was edited since; nothing was "
        "undone." in body
    )
    assert Interaction.objects.filter(pk=meeting.pk).exists()
