"""The demo's loads in the back office, read-only.

`DemoTruth` (who truly dropped out, at which rates) is deliberately not registered: it is the
generator's answer key, kept for checking what the analytics find (tests, benchmarks), and a
user who could read it would no longer be trying the analytics honestly.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tenure.demo.models import DemoLoad


@admin.register(DemoLoad)
class DemoLoadAdmin(admin.ModelAdmin):
    list_display = ("seed", "loaded_at", "customers", "orders")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
