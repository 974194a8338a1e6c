"""The back office for orders: a million rows, so customers are picked by id."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from tenure.access.admin import ScopedAdmin
from tenure.customers.admin import ScopedInline
from tenure.orders.models import Order, OrderLine
from tenure.orders.services import customer_stats_refresh


class OrderLineInline(ScopedInline):
    model = OrderLine
    extra = 0


@admin.register(Order)
class OrderAdmin(ScopedAdmin):
    """As every order service, a save or delete refreshes the cached figures of the customers
    it touched (the one an order left too); the events are the order's save's."""

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        with transaction.atomic():
            stored = Order.objects.filter(pk=obj.pk).values_list("customer_id", flat=True)
            touched = {*(stored if obj.pk else []), obj.customer_id}
            super().save_model(request, obj, form, change)
            customer_stats_refresh(customer_ids=touched)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            super().delete_model(request, obj)
            customer_stats_refresh(customer_ids=[obj.customer_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic():
            touched = set(queryset.values_list("customer_id", flat=True))
            super().delete_queryset(request, queryset)
            customer_stats_refresh(customer_ids=touched)

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
