"""The back office for orders: a million rows, so customers are picked by id. An order is
deleted through ``order_delete``, into the 30-day trash, as on its page and in the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.forms import ModelForm
from django.http import HttpRequest

from tenure.access.admin import ScopedAdmin, TrashingAdmin
from tenure.customers.admin import ScopedInline
from tenure.orders.models import Order, OrderLine
from tenure.orders.services import customer_stats_refresh, order_delete


class OrderLineInline(ScopedInline):
    model = OrderLine
    extra = 0


@admin.register(Order)
class OrderAdmin(TrashingAdmin, ScopedAdmin):
    """As every order service, a save refreshes the cached figures of the customers it touched
    (the one an order left too); the events are the order's save's. A delete is the service's,
    which refreshes the figures too."""

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        with transaction.atomic():
            stored = Order.objects.filter(pk=obj.pk).values_list("customer_id", flat=True)
            touched = {*(stored if obj.pk else []), obj.customer_id}
            super().save_model(request, obj, form, change)
            customer_stats_refresh(customer_ids=touched)

    def record_delete(self, request: HttpRequest, obj: Any) -> None:
        order_delete(by=request.user, order_id=obj.pk)  # type: ignore[arg-type]

    list_display = ("external_id", "customer", "placed_at", "amount", "currency", "status")
    list_filter = ("status",)
    search_fields = ("external_id", "customer__external_id")
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)
    show_full_result_count = False
    inlines = (OrderLineInline,)


@admin.register(OrderLine)
class OrderLineAdmin(ScopedAdmin):
    list_display = ("order", "sku", "description", "quantity", "unit_price")
    search_fields = ("sku", "description", "order__external_id")
    list_select_related = ("order",)
    raw_id_fields = ("order",)
    show_full_result_count = False
