"""Customers and accounts created, edited and deleted in the app, with owner and team.

Every write goes through ``tenure.customers.services`` (as the API's), so roles, validation,
history and events are the same: an analyst is refused (403), a success manager finds only
their own book's records (404 for another's)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from tenure.access import visible
from tenure.bulk.models import ChangeSet
from tenure.bulk.services import record_update_undoable
from tenure.bulk.undo import trash_changeset
from tenure.customers import services
from tenure.customers.models import Account, Customer
from tenure.domain.errors import Conflict
from tenure.users.models import User
from tenure.web.record_forms import AccountForm, CustomerForm, initial_of
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


def _still_seen(user: User, model: type[Model], pk: int) -> bool:
    return visible(user, model).filter(pk=pk).exists()


# --- customers --------------------------------------------------------------------------------


def _customers() -> list[tuple[str, str]]:
    return [("Customers", reverse("web:customers"))]


@login_required
@GET_POST
def customer_new(request: HttpRequest) -> HttpResponse:
    user = changer(request)
    form = CustomerForm(sent(request), user=user)

    def write() -> Customer:
        values = form.values(only_changed=False)
        if values.get("created_at") is None:
            values.pop("created_at")
        customer = services.customer_create(by=user, **values)
        if form.cleaned_data["team"]:
            services.customer_team_set(
                by=user, customer_id=customer.pk, user_ids=form.cleaned_data["team"]
            )
        return customer

    if request.method == "POST" and (customer := form_save(form, write)) is not None:
        messages.success(request, f"Customer {customer} created.")
        if not _still_seen(user, Customer, customer.pk):  # handed to another owner
            return redirect("web:customers")
        return redirect("web:customer", customer_id=customer.pk)
    return form_page(
        request, form, title="New customer", crumbs=_customers(), cancel=reverse("web:customers"),
        submit="Create customer", section="customers",
    )  # fmt: skip


@login_required
@GET_POST
def customer_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    user = changer(request)
    queryset = Customer.objects.select_related("account").prefetch_related("team")
    customer = changeable(user, queryset, customer_id)
    form = CustomerForm(
        sent(request), initial=initial_of(customer, CustomerForm), user=user,
        current=customer.account,
    )  # fmt: skip
    form.fields["created_at"].required = True
    form.fields["created_at"].help_text = ""
    page = reverse("web:customer", args=[customer.pk])

    def write() -> Customer:
        # The team first: a success manager who hands the customer over does it last.
        if "team" in form.changed_data:
            services.customer_team_set(
                by=user, customer_id=customer.pk, user_ids=form.cleaned_data["team"]
            )
        changes = form.values(only_changed=True)
        if not changes:
            return customer
        saved, undoable[0] = record_update_undoable(
            by=user, model=Customer, pk=customer.pk, changes=changes, now=timezone.now()
        )
        return saved

    undoable: list[ChangeSet | None] = [None]  # the change set of the save, for its Undo
    if request.method == "POST" and (saved := form_save(form, write)) is not None:
        messages.success(request, f"Customer {saved} saved.")
        if not _still_seen(user, Customer, saved.pk):
            return redirect("web:customers")
        undo_offer_later(request, undoable[0], on=page)
        return redirect(page)
    return form_page(
        request, form, title=f"Edit {customer}", crumbs=[*_customers(), (str(customer), page)],
        cancel=page, submit="Save changes", section="customers",
        delete=reverse("web:customer-delete", args=[customer.pk]),
    )  # fmt: skip


@login_required
@GET_POST
def customer_delete(request: HttpRequest, customer_id: int) -> HttpResponse:
    user = changer(request)
    customer = changeable(user, Customer.objects.all(), customer_id)
    page = reverse("web:customer", args=[customer.pk])
    error = ""
    if request.method == "POST":
        try:
            item = services.customer_delete(by=user, customer_id=customer.pk)
        except Conflict as refused:
            error = str(refused)
        else:
            # The next page offers Undo (the trash keeps it 30 days).
            offer = trash_changeset(by=user, item=item, now=timezone.now())
            undo_offer_later(request, offer, on=reverse("web:customers"))
            return redirect("web:customers")
    return delete_page(
        request, what=f"customer {customer}", error=error,
        consequence="Their subscriptions, interactions, survey answers, referrals, consents "
        "and special dates go with them, kept 30 days in the trash; a customer with orders is "
        "kept (orders are history).",
        crumbs=[*_customers(), (str(customer), page)], cancel=page, section="customers",
    )  # fmt: skip


# --- accounts ---------------------------------------------------------------------------------


def _accounts() -> list[tuple[str, str]]:
    return [("Accounts", reverse("web:accounts"))]


@login_required
@GET_POST
def account_new(request: HttpRequest) -> HttpResponse:
    user = changer(request)
    form = AccountForm(sent(request))

    def write() -> Account:
        values = form.values(only_changed=False)
        account = services.account_create(by=user, **values)
        if form.cleaned_data["team"]:
            services.account_team_set(
                by=user, account_id=account.pk, user_ids=form.cleaned_data["team"]
            )
        return account

    if request.method == "POST" and (account := form_save(form, write)) is not None:
        messages.success(request, f"Account {account} created.")
        if not _still_seen(user, Account, account.pk):  # handed to another owner
            return redirect("web:accounts")
        return redirect("web:account", account_id=account.pk)
    return form_page(
        request, form, title="New account", crumbs=_accounts(), cancel=reverse("web:accounts"),
        submit="Create account", section="accounts",
    )  # fmt: skip


@login_required
@GET_POST
def account_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    user = changer(request)
    account = changeable(user, Account.objects.prefetch_related("team"), account_id)
    form = AccountForm(sent(request), initial=initial_of(account, AccountForm))
    form.fields["created_at"].required = True
    form.fields["created_at"].help_text = ""
    page = reverse("web:account", args=[account.pk])

    def write() -> Account:
        if "team" in form.changed_data:
            services.account_team_set(
                by=user, account_id=account.pk, user_ids=form.cleaned_data["team"]
            )
        changes = form.values(only_changed=True)
        if not changes:
            return account
        saved, undoable[0] = record_update_undoable(
            by=user, model=Account, pk=account.pk, changes=changes, now=timezone.now()
        )
        return saved

    undoable: list[ChangeSet | None] = [None]  # the change set of the save, for its Undo
    if request.method == "POST" and (saved := form_save(form, write)) is not None:
        messages.success(request, f"Account {saved} saved.")
        if not _still_seen(user, Account, saved.pk):
            return redirect("web:accounts")
        undo_offer_later(request, undoable[0], on=page)
        return redirect(page)
    return form_page(
        request, form, title=f"Edit {account}", crumbs=[*_accounts(), (str(account), page)],
        cancel=page, submit="Save changes", section="accounts",
        delete=reverse("web:account-delete", args=[account.pk]),
    )  # fmt: skip


@login_required
@GET_POST
def account_delete(request: HttpRequest, account_id: int) -> HttpResponse:
    user = changer(request)
    account = changeable(user, Account.objects.all(), account_id)
    page = reverse("web:account", args=[account.pk])
    if request.method == "POST":
        item = services.account_delete(by=user, account_id=account.pk)
        offer = trash_changeset(by=user, item=item, now=timezone.now())
        undo_offer_later(request, offer, on=reverse("web:accounts"))
        return redirect("web:accounts")
    return delete_page(
        request, what=f"account {account}",
        consequence="Its contacts and the interactions logged on it go with it, kept 30 days in "
        "the trash; its customers stay, without an account.",
        crumbs=[*_accounts(), (str(account), page)], cancel=page, section="accounts",
    )  # fmt: skip
