"""Writes in the admin reach what the services' writes reach: an order edited or deleted there
moves its customers' cached figures and lifecycle, a complaint added there opens its follow-up.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from tenure.customers.models import Customer
from tenure.events.models import Event
from tenure.lifecycle.models import CustomerStage
from tenure.orders.models import Order
from tenure.todos.models import Task, TaskComment
from tenure.todos.services import task_comment_add, task_create
from tests.factories import make_customer, make_order, make_user

pytestmark = pytest.mark.django_db


class _FormValues(HTMLParser):
    """The values a browser would post from the page's main form."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "checkbox"}:
            self.values[name] = a.get("value", "")
        elif tag == "input" and name and "checked" in a:
            self.values[name] = a.get("value", "on")
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _post_change(client, url: str, **changes: str):
    parser = _FormValues()
    parser.feed(client.get(url).content.decode())
    return client.post(url, {**parser.values, **changes})


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(role="admin"))
    return client


def test_an_order_edited_in_the_admin_moves_the_figures_and_the_stage(
    admin_client, django_capture_on_commit_callbacks
):
    now = timezone.now()
    customer = make_customer()
    order = make_order(customer=customer, placed_at=now - timedelta(days=20), amount="35.09")
    url = reverse("admin:orders_order_change", args=[order.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_change(admin_client, url, amount="9999.99")
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert customer.revenue == Decimal("9999.99")
    assert CustomerStage.objects.filter(customer=customer).exists()  # the lifecycle heard it

    other = make_customer()
    with django_capture_on_commit_callbacks(execute=True):
        moved = _post_change(admin_client, url, customer=str(other.pk))
    assert moved.status_code == 302
    customer.refresh_from_db()
    other.refresh_from_db()
    assert (customer.orders_count, customer.revenue) == (0, Decimal("0"))
    assert (other.orders_count, other.revenue) == (1, Decimal("9999.99"))


def test_an_order_deleted_in_the_admin_leaves_the_figures(
    admin_client, django_capture_on_commit_callbacks
):
    customer = make_customer()
    kept = make_order(customer=customer, amount="10.00")
    gone = make_order(customer=customer, amount="25.00")
    url = reverse("admin:orders_order_delete", args=[gone.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, {"post": "yes"}).status_code == 302
    customer.refresh_from_db()
    assert (customer.orders_count, customer.revenue) == (1, Decimal("10.00"))
    assert list(Order.objects.filter(customer=customer)) == [kept]

    changelist = reverse("admin:orders_order_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(
            changelist,
            {"action": "delete_selected", "_selected_action": [kept.pk], "post": "yes"},
        )
    assert done.status_code == 302
    assert Customer.objects.get(pk=customer.pk).orders_count == 0


def test_a_complaint_added_in_the_admin_opens_its_follow_up(
    admin_client, django_capture_on_commit_callbacks
):
    owner = make_user(role="success_manager")
    customer = make_customer(owner=owner)
    url = reverse("admin:interactions_interaction_add")
    now = timezone.localtime()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_change(
            admin_client, url, customer=str(customer.pk), kind="complaint", status="open",
            subject="Cracked mug", occurred_at_0=now.date().isoformat(),
            occurred_at_1=now.strftime("%H:%M:%S"),
        )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    task = Task.objects.get(customer=customer)
    assert task.owner == owner


def _task_form(client, url: str, **changes: str) -> dict[str, str]:
    """The add/change page's values (the comments' management form included), changed."""
    parser = _FormValues()
    parser.feed(client.get(url).content.decode())
    return {**parser.values, **changes}


def test_a_task_added_in_the_admin_tells_its_owner(admin_client):
    owner = make_user(role="success_manager")
    customer = make_customer(owner=owner)
    url = reverse("admin:todos_task_add")
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    values = _task_form(
        admin_client, url, title="Call about the renewal", owner=str(owner.pk), due=due,
        priority="normal", customer=str(customer.pk),
    )  # fmt: skip
    response = admin_client.post(url, values)
    assert response.status_code == 302, response.content.decode()[:3000]
    task = Task.objects.get(customer=customer)
    assert (task.title, task.owner, task.source) == ("Call about the renewal", owner, "manual")
    assigned = Event.objects.get(kind="task.assigned", subject_id=task.pk)
    assert (assigned.data, assigned.via) == ({"owner_id": owner.pk}, "admin")


def test_a_task_reassigned_in_the_admin_to_a_former_member_is_refused(admin_client):
    owner = make_user(role="success_manager")
    gone = make_user(role="success_manager", is_active=False)
    customer = make_customer(owner=owner)
    task = task_create(by=None, title="Check in", owner=owner, due=timezone.localdate(),
                       customer_id=customer.pk)  # fmt: skip
    url = reverse("admin:todos_task_change", args=[task.pk])
    response = admin_client.post(url, _task_form(admin_client, url, owner=str(gone.pk)))
    assert response.status_code == 200
    assert "a task needs an active team member as its owner" in response.content.decode()
    task.refresh_from_db()
    assert task.owner == owner
    assert not Event.objects.filter(kind="task.assigned", data__owner_id=gone.pk).exists()


def test_a_task_is_cancelled_in_the_admin_never_deleted(admin_client):
    owner = make_user(role="success_manager")
    task = task_create(by=None, title="Check in", owner=owner, due=timezone.localdate())
    delete = admin_client.get(reverse("admin:todos_task_delete", args=[task.pk]))
    assert delete.status_code == 403
    changelist = reverse("admin:todos_task_changelist")
    admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [task.pk], "post": "yes"}
    )
    assert Task.objects.filter(pk=task.pk).exists()
    url = reverse("admin:todos_task_change", args=[task.pk])
    response = admin_client.post(url, _task_form(admin_client, url, status="cancelled"))
    assert response.status_code == 302, response.content.decode()[:3000]
    task.refresh_from_db()
    assert task.status == "cancelled" and task.completed_at is not None


def test_a_comment_is_added_in_the_admin_and_the_written_ones_stay(admin_client):
    owner = make_user(role="success_manager")
    task = task_create(by=None, title="Check in", owner=owner, due=timezone.localdate())
    first = task_comment_add(by=owner, task_id=task.pk, body="Left a voicemail")
    url = reverse("admin:todos_task_change", args=[task.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="comments-0-body"' not in page  # the written one is shown, not editable
    values = _task_form(admin_client, url)
    values.update({
        "comments-TOTAL_FORMS": "2", "comments-1-body": "Called back: all good",
        "comments-1-task": str(task.pk),
    })  # fmt: skip
    response = admin_client.post(url, values)
    assert response.status_code == 302, response.content.decode()[:3000]
    comments = list(TaskComment.objects.filter(task=task).order_by("pk"))
    admin_id = int(admin_client.session["_auth_user_id"])
    assert [(c.pk, c.body, c.author_id) for c in comments] == [
        (first.pk, "Left a voicemail", owner.pk),
        (comments[1].pk, "Called back: all good", admin_id),
    ]
