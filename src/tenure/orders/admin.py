"""The back office for orders: a million rows, so customers are picked by id."""

from __future__ import annotations

from django.contrib import admin

from tenure.access.admin import ScopedAdmin
from tenure.customers.admin import AnnouncingAdmin, Footprint, ScopedInline
from tenure.orders.models import Order, OrderLine
from tenure.orders.services import customer_stats_refresh


class OrderLineInline(ScopedInline):
    model = OrderLine
    extra = 0


@admin.register(Order)
class OrderAdmin(AnnouncingAdmin):
    customer_field, dated_by, cause = "customer_id", "placed_at", "order"

    def written(self, touched: Footprint) -> None:
        # As every order service: the customers' cached figures, then the announcement.
        dated = {i: at for i, at in touched.items() if at is not None}
        customer_stats_refresh(customer_ids=touched, since=dated, cause=self.cause)

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
