"""The back office for orders: a million rows, so customers are picked by id."""

from __future__ import annotations

from django.contrib import admin

from tenure.access.admin import ScopedAdmin
from tenure.customers.admin import ScopedInline
from tenure.orders.models import Order, OrderLine


class OrderLineInline(ScopedInline):
    model = OrderLine
    extra = 0


@admin.register(Order)
class OrderAdmin(ScopedAdmin):
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
