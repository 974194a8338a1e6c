"""The ideas board's pages: the list filters and sorts by what ideas weigh, a bad filter is
shown by its field, an idea's page adds a request, sets a status (done queues the emails) and
merges; the customer's page shows what they asked for and adds a request."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tenure.ideas.models import Idea, IdeaRequest
from tenure.ideas.services import idea_create, idea_request_add
from tenure.mail.models import Message
from tests.factories import T0, make_customer, make_order, make_user
from tests.mail.conftest import grant

pytestmark = pytest.mark.django_db


def _idea(title):
    return idea_create(by=None, data={"title": title}, now=T0)


def _ask(idea, customer):
    idea_request_add(by=None, idea_id=idea.pk, customer_id=customer.pk, data={}, now=T0)


def test_the_list_sorts_by_revenue_and_filters_by_status_and_title(client):
    client.force_login(make_user(role="analyst"))
    small, big = make_customer(), make_customer()
    make_order(customer=big, amount=Decimal("900.00"))
    wide, rich = _idea("Wide idea"), _idea("Rich idea")
    _ask(wide, small)
    _ask(wide, make_customer())
    _ask(rich, big)
    by_customers = client.get("/ideas/").content.decode()
    assert by_customers.index("Wide idea") < by_customers.index("Rich idea")
    by_revenue = client.get("/ideas/", {"sort": "-revenue"}).content.decode()
    assert by_revenue.index("Rich idea") < by_revenue.index("Wide idea")
    assert "$900.00" in by_revenue
    found = client.get("/ideas/", {"q": "rich"}).content.decode()
    assert "Rich idea" in found and "Wide idea" not in found
    refused = client.get("/ideas/", {"status": "someday"})
    assert refused.status_code == 422 and "someday" in refused.content.decode()
    assert 'id="idea-form"' not in by_customers  # an analyst adds nothing


def test_an_idea_page_adds_a_request_ships_and_merges(client):
    manager = make_user(role="manager")
    client.force_login(manager)
    idea, other = _idea("Dark mode"), _idea("Night theme")
    customer = make_customer(first_name="Grace", last_name="Hopper")
    grant(customer)
    url = f"/ideas/{idea.pk}/"
    assert (
        client.post(url + "requests/", {"customer": customer.pk, "note": "at night"}).status_code
        == 302
    )
    assert client.post(url + "requests/", {"customer": customer.pk}).status_code == 302
    assert IdeaRequest.objects.filter(idea=idea).count() == 1
    missing = client.post(url + "requests/", {"customer": 999999})
    assert (
        missing.status_code == 422
        and "no customer of yours with id 999999" in missing.content.decode()
    )
    page = client.get(url).content.decode()
    assert "Grace Hopper" in page and "“at night”" in page
    assert client.post(url + "status/", {"status": "done"}).status_code == 302
    assert client.post(url + "status/", {"status": "done"}).status_code == 302
    assert Message.objects.filter(source=f"idea:{idea.pk}", customer=customer).count() == 1
    merged = client.post(f"/ideas/{other.pk}/merge/", {"into": str(idea.pk)})
    assert merged.status_code == 302 and merged["Location"] == url
    assert Idea.objects.get(pk=other.pk).merged_into_id == idea.pk


def test_the_customer_page_shows_and_adds_requests(client):
    sm = make_user(role="success_manager")
    customer = make_customer(owner=sm)
    idea = _idea("Offline mode")
    client.force_login(sm)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="customer-ideas"' in page and "No ideas asked for." in page
    form = client.get(f"/customers/{customer.pk}/ideas/new/")
    assert form.status_code == 200 and "Offline mode" in form.content.decode()
    done = client.post(f"/customers/{customer.pk}/ideas/new/", {"idea": idea.pk, "note": "asked"})
    assert done.status_code == 302
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert f"/ideas/{idea.pk}/" in page and "Offline mode" in page
