"""The records that belong to another: an account's contacts (from the account page), a
customer's subscriptions and orders (from the customer page), created, edited and deleted
through their services (``tenure.customers.services``, ``tenure.orders.services``). A save
and a delete offer Undo on the page they lead to, as the customers' and accounts' do: the
edit through ``record_update_undoable``, the delete kept in the trash (``trash_changeset``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from tenure.bulk.models import ChangeSet
from tenure.bulk.services import record_update_undoable
from tenure.bulk.undo import trash_changeset
from tenure.customers import services
from tenure.customers.models import Account, Contact, Customer, Subscription
from tenure.history.models import TrashItem
from tenure.orders import services as order_services
from tenure.orders.models import Order
from tenure.users.models import User
from tenure.web.record_forms import ContactForm, OrderForm, SubscriptionForm, initial_of
from tenure.web.views._records import (
    GET_POST,
    changeable,
    changer,
    delete_page,
    form_page,
    form_save,
    sent,
)
from tenure.web.views.undo import undo_offer_later


def _account_crumbs(account: Account) -> list[tuple[str, str]]:
    return [("Accounts", reverse("web:accounts")), (str(account), _account_url(account.pk))]


def _account_url(account_id: int) -> str:
    return reverse("web:account", args=[account_id]) + "#contacts"


def _deleted(
    request: HttpRequest, user: User, item: TrashItem, *, on: str, anchor: str = ""
) -> HttpResponse:
    """After a delete: the page ``on`` offers its Undo (the trash keeps it 30 days)."""
    undo_offer_later(request, trash_changeset(by=user, item=item, now=timezone.now()), on=on)
    return redirect(on + anchor)


def _customer_crumbs(customer: Customer) -> list[tuple[str, str]]:
    page = reverse("web:customer", args=[customer.pk])
    return [("Customers", reverse("web:customers")), (str(customer), page)]


# --- contacts ---------------------------------------------------------------------------------


@login_required
@GET_POST
def contact_new(request: HttpRequest, account_id: int) -> HttpResponse:
    user = changer(request)
    account = changeable(user, Account.objects.all(), account_id)
    form = ContactForm(sent(request))

    def write() -> Contact:
        values = form.values(only_changed=False)
        return services.contact_create(by=user, account_id=account.pk, **values)

    if request.method == "POST" and (contact := form_save(form, write)) is not None:
        messages.success(request, f"Contact {contact} added to {account}.")
        return redirect(_account_url(account.pk))
    return form_page(
        request, form, title=f"New contact at {account}", crumbs=_account_crumbs(account),
        cancel=_account_url(account.pk), submit="Add contact", section="accounts",
    )  # fmt: skip


@login_required
@GET_POST
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    user = changer(request)
    contact = changeable(user, Contact.objects.select_related("account"), contact_id)
    form = ContactForm(sent(request), initial=initial_of(contact, ContactForm))

    def write() -> Contact:
        changes = form.values(only_changed=True)
        if not changes:
            return contact
        saved, undoable[0] = record_update_undoable(
            by=user, model=Contact, pk=contact.pk, changes=changes, now=timezone.now()
        )
        return saved

    undoable: list[ChangeSet | None] = [None]  # the change set of the save, for its Undo
    if request.method == "POST" and (saved := form_save(form, write)) is not None:
        messages.success(request, f"Contact {saved} saved.")
        on = reverse("web:account", args=[saved.account_id])
        undo_offer_later(request, undoable[0], on=on)
        return redirect(_account_url(saved.account_id))
    return form_page(
        request, form, title=f"Edit contact {contact}", crumbs=_account_crumbs(contact.account),
        cancel=_account_url(contact.account_id), submit="Save changes", section="accounts",
        delete=reverse("web:contact-delete", args=[contact.pk]),
    )  # fmt: skip


@login_required
@GET_POST
def contact_delete(request: HttpRequest, contact_id: int) -> HttpResponse:
    user = changer(request)
    contact = changeable(user, Contact.objects.select_related("account"), contact_id)
    if request.method == "POST":
        item = services.contact_delete(by=user, contact_id=contact.pk)
        on = reverse("web:account", args=[contact.account_id])
        return _deleted(request, user, item, on=on, anchor="#contacts")
    return delete_page(
        request, what=f"contact {contact}",
        consequence="Their interactions stay, without them; the contact is kept 30 days in the "
        "trash, and a restore gives the interactions their contact back.",
        crumbs=_account_crumbs(contact.account), cancel=_account_url(contact.account_id),
        section="accounts",
    )  # fmt: skip


# --- subscriptions ----------------------------------------------------------------------------


@login_required
@GET_POST
def subscription_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    user = changer(request)
    customer = changeable(user, Customer.objects.all(), customer_id)
    form = SubscriptionForm(sent(request))
    page = reverse("web:customer", args=[customer.pk])

    def write() -> Subscription:
        values = form.values(only_changed=False)
        return services.subscription_create(by=user, customer_id=customer.pk, **values)

    if request.method == "POST" and (subscription := form_save(form, write)) is not None:
        messages.success(request, f"Subscription {subscription} added.")
        return redirect(page)
    return form_page(
        request, form, title=f"New subscription for {customer}",
        crumbs=_customer_crumbs(customer), cancel=page, submit="Add subscription",
        section="customers",
    )  # fmt: skip


@login_required
@GET_POST
def subscription_edit(request: HttpRequest, subscription_id: int) -> HttpResponse:
    user = changer(request)
    queryset = Subscription.objects.select_related("customer")
    subscription = changeable(user, queryset, subscription_id)
    form = SubscriptionForm(sent(request), initial=initial_of(subscription, SubscriptionForm))
    page = reverse("web:customer", args=[subscription.customer_id])

    def write() -> Subscription:
        changes = form.values(only_changed=True)
        if not changes:
            return subscription
        saved, undoable[0] = record_update_undoable(
            by=user, model=Subscription, pk=subscription.pk, changes=changes, now=timezone.now()
        )
        return saved

    undoable: list[ChangeSet | None] = [None]  # the change set of the save, for its Undo
    if request.method == "POST" and (saved := form_save(form, write)) is not None:
        messages.success(request, f"Subscription {saved} saved.")
        undo_offer_later(request, undoable[0], on=page)
        return redirect(page)
    return form_page(
        request, form, title=f"Edit subscription {subscription.plan}",
        crumbs=_customer_crumbs(subscription.customer), cancel=page, submit="Save changes",
        section="customers", delete=reverse("web:subscription-delete", args=[subscription.pk]),
        intro="To cancel it, set when it was cancelled (and why); it stays in the history.",
    )  # fmt: skip


@login_required
@GET_POST
def subscription_delete(request: HttpRequest, subscription_id: int) -> HttpResponse:
    user = changer(request)
    queryset = Subscription.objects.select_related("customer")
    subscription = changeable(user, queryset, subscription_id)
    page = reverse("web:customer", args=[subscription.customer_id])
    if request.method == "POST":
        item = services.subscription_delete(by=user, subscription_id=subscription.pk)
        return _deleted(request, user, item, on=page)
    return delete_page(
        request, what=f"subscription {subscription}",
        consequence="A subscription that ended is better cancelled: deleting it removes it "
        "from the contract figures as if it never existed (kept 30 days in the trash).",
        crumbs=_customer_crumbs(subscription.customer), cancel=page, section="customers",
    )  # fmt: skip


# --- orders -----------------------------------------------------------------------------------


@login_required
@GET_POST
def order_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    user = changer(request)
    customer = changeable(user, Customer.objects.all(), customer_id)
    form = OrderForm(sent(request))

    def write() -> Order:
        values = form.values(only_changed=False)
        return order_services.order_create(by=user, customer_id=customer.pk, **values)

    if request.method == "POST" and (order := form_save(form, write)) is not None:
        messages.success(request, f"{order} recorded.")
        return redirect("web:order", order_id=order.pk)
    return form_page(
        request, form, title=f"New order for {customer}", crumbs=_customer_crumbs(customer),
        cancel=reverse("web:customer", args=[customer.pk]), submit="Record order",
        section="customers",
    )  # fmt: skip


@login_required
@GET_POST
def order_edit(request: HttpRequest, order_id: int) -> HttpResponse:
    user = changer(request)
    order = changeable(user, Order.objects.select_related("customer"), order_id)
    form = OrderForm(sent(request), initial=initial_of(order, OrderForm))
    page = reverse("web:order", args=[order.pk])

    def write() -> Order:
        changes = form.values(only_changed=True)
        if not changes:
            return order
        saved, undoable[0] = record_update_undoable(
            by=user, model=Order, pk=order.pk, changes=changes, now=timezone.now()
        )
        return saved

    undoable: list[ChangeSet | None] = [None]  # the change set of the save, for its Undo
    if request.method == "POST" and (saved := form_save(form, write)) is not None:
        messages.success(request, f"{saved} saved.")
        undo_offer_later(request, undoable[0], on=page)
        return redirect(page)
    return form_page(
        request, form, title=f"Edit order {order.external_id}",
        crumbs=[*_customer_crumbs(order.customer), (str(order), page)], cancel=page,
        submit="Save changes", section="customers",
        delete=reverse("web:order-delete", args=[order.pk]),
        intro="A refund keeps the order: set its status to Refunded.",
    )  # fmt: skip


@login_required
@GET_POST
def order_delete(request: HttpRequest, order_id: int) -> HttpResponse:
    user = changer(request)
    order = changeable(user, Order.objects.select_related("customer"), order_id)
    page = reverse("web:order", args=[order.pk])
    if request.method == "POST":
        item = order_services.order_delete(by=user, order_id=order.pk)
        on = reverse("web:customer", args=[order.customer_id])
        return _deleted(request, user, item, on=on)
    return delete_page(
        request, what=f"order {order.external_id}",
        consequence="Its lines go with it (kept 30 days in the trash) and the customer's "
        "figures are counted again. A refund is better recorded as the order's status.",
        crumbs=[*_customer_crumbs(order.customer), (str(order), page)], cancel=page,
        section="customers",
    )  # fmt: skip
