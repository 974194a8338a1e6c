"""The back office for accounts, contacts, customers and what hangs off them.

Customers, accounts, contacts and subscriptions are deleted through their services, into the
30-day trash, as on the pages and the API (``TrashingAdmin``). Built to stay fast at 100,000
customers: foreign keys are picked by id or by autocomplete (never a <select> of every row),
lists join what they show, and no list counts the whole table a second time to show "N total".
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import Model
from django.http import HttpRequest

from tenure.access import may
from tenure.access.admin import LimitedModelForm, ScopedAdmin, TrashingAdmin
from tenure.customers.models import Account, Consent, Contact, Customer, SpecialDate, Subscription
from tenure.customers.services import (
    account_delete,
    contact_delete,
    customer_delete,
    subscription_delete,
)
from tenure.domain.access import Action


class ScopedInline(admin.TabularInline):
    """Rows shown inside a record's admin page, under the role policy like the page itself.

    The page (a ``ScopedAdmin``) already decides which record may be opened or changed; its
    inline rows follow the role: viewed by who may view, edited by who may change.
    (A candidate for ``tenure.access.admin`` beside ``ScopedAdmin``.)
    """

    form = LimitedModelForm

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return may(request.user, Action.VIEW)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return may(request.user, Action.CHANGE)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return may(request.user, Action.CHANGE)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return may(request.user, Action.CHANGE)


class ContactInline(ScopedInline):
    model = Contact
    extra = 0
    fields = ("first_name", "last_name", "email", "phone", "title", "role", "is_primary")


@admin.register(Account)
class AccountAdmin(TrashingAdmin, ScopedAdmin):
    list_display = ("name", "industry", "size_band", "budget_band", "owner", "created_at")
    list_filter = ("size_band", "budget_band")
    search_fields = ("name", "industry")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner", "team")
    show_full_result_count = False
    inlines = (ContactInline,)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def record_delete(self, request: HttpRequest, obj: Any) -> None:
        account_delete(by=request.user, account_id=obj.pk)  # type: ignore[arg-type]


@admin.register(Contact)
class ContactAdmin(TrashingAdmin, ScopedAdmin):
    list_display = ("__str__", "account", "role", "title", "email", "is_primary")
    list_filter = ("role", "is_primary")
    search_fields = ("first_name", "last_name", "email", "account__name")
    list_select_related = ("account",)
    autocomplete_fields = ("account",)
    show_full_result_count = False

    def record_delete(self, request: HttpRequest, obj: Any) -> None:
        contact_delete(by=request.user, contact_id=obj.pk)  # type: ignore[arg-type]


class SpecialDateInline(ScopedInline):
    model = SpecialDate
    extra = 0


class ConsentInline(ScopedInline):
    model = Consent
    extra = 0


class SubscriptionInline(ScopedInline):
    model = Subscription
    extra = 0
    fields = ("plan", "amount", "currency", "interval", "started_at", "renews_at", "cancelled_at")


@admin.register(Customer)
class CustomerAdmin(TrashingAdmin, ScopedAdmin):
    # A customer's page edits their subscriptions and dates inline: replay their whole history.
    list_display = (
        "external_id",
        "first_name",
        "last_name",
        "email",
        "category",
        "channel",
        "account",
        "owner",
        "orders_count",
        "revenue",
        "last_order_at",
    )
    list_filter = ("category", "channel")
    search_fields = ("external_id", "email", "first_name", "last_name")
    list_select_related = ("account", "owner")
    autocomplete_fields = ("account", "owner", "team")
    readonly_fields = ("first_order_at", "last_order_at", "orders_count", "revenue", "updated_at")
    show_full_result_count = False
    inlines = (SubscriptionInline, SpecialDateInline, ConsentInline)

    def record_delete(self, request: HttpRequest, obj: Any) -> None:
        customer_delete(by=request.user, customer_id=obj.pk)  # type: ignore[arg-type]


@admin.register(Subscription)
class SubscriptionAdmin(TrashingAdmin, ScopedAdmin):
    list_display = (
        "customer",
        "plan",
        "amount",
        "currency",
        "interval",
        "started_at",
        "cancelled_at",
    )
    list_filter = ("interval", "currency")
    search_fields = ("external_id", "plan", "customer__external_id")
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)
    show_full_result_count = False

    def record_delete(self, request: HttpRequest, obj: Any) -> None:
        subscription_delete(by=request.user, subscription_id=obj.pk)  # type: ignore[arg-type]


@admin.register(SpecialDate)
class SpecialDateAdmin(ScopedAdmin):
    list_display = ("customer", "label", "date", "recurs_yearly")
    search_fields = ("label", "customer__external_id")
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)
    show_full_result_count = False


@admin.register(Consent)
class ConsentAdmin(ScopedAdmin):
    list_display = ("customer", "purpose", "granted", "changed_at", "source")
    list_filter = ("purpose", "granted")
    search_fields = ("customer__external_id",)
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)
    show_full_result_count = False
