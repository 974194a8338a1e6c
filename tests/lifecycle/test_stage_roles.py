"""The app asks for stage roles, never for stage keys: renaming every stage that means
something (lead, at risk, lost, won back) changes nothing but the names."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tenure.domain.lifecycle import definition_validate, preset_definition
from tenure.lifecycle.audit import churn_audit_frame
from tenure.lifecycle.models import CustomerStage
from tenure.lifecycle.selectors import at_risk_list, stage_flow
from tenure.lifecycle.services import definition_save, lifecycle_recompute
from tests.factories import make_customer, make_order

pytestmark = pytest.mark.django_db

RENAMED = {"reach": "prospect", "at_risk": "slipping", "churned": "gone", "won_back": "returned"}
HISTORIES = [[420, 380], [30, 10], [110, 80, 50], [60, 40], [95, 65, 35], [700, 20], [5]]


def _renamed() -> dict:
    definition = definition_validate(preset_definition("default")).definition  # roles said
    for stage in definition["stages"]:
        stage["key"] = RENAMED.get(stage["key"], stage["key"])
    for rule in definition["rules"]:
        if isinstance(rule["from"], list):
            rule["from"] = [RENAMED.get(key, key) for key in rule["from"]]
        rule["to"] = RENAMED.get(rule["to"], rule["to"])
    return definition


def _business() -> None:
    now = timezone.now()
    for copies in range(3):
        for days_ago in HISTORIES:
            customer = make_customer(created_at=now - timedelta(days=max(days_ago) + 1 + copies))
            for days in days_ago:
                placed = now - timedelta(days=days + copies)
                make_order(customer=customer, placed_at=placed, amount=Decimal("40.00"))
    make_customer(created_at=now - timedelta(days=3))  # a lead: no order


def _seen() -> dict:
    stages = dict(CustomerStage.objects.values_list("customer_id", "stage"))
    return {
        "stages": {pk: RENAMED.get(stage, stage) for pk, stage in stages.items()},
        "at_risk": [row.customer_id for row in at_risk_list(user=None, limit=1000)],
        "widened": [
            row.customer_id for row in at_risk_list(user=None, limit=1000, include_lost=True)
        ],
        "churned": sorted(churn_audit_frame(user=None)["churned"].tolist()),
        "steps": [RENAMED.get(key, key) for key in stage_flow(user=None).steps],
    }


def test_renamed_stages_keep_their_meaning_everywhere():
    _business()
    lifecycle_recompute()
    default = _seen()
    held = set(default["stages"].values())
    assert {"prospect", "slipping", "gone"} <= held, held  # every role is exercised
    assert default["at_risk"] and len(default["widened"]) > len(default["at_risk"])
    assert any(default["churned"]) and not all(default["churned"])

    definition_save(by=None, data=_renamed(), name="Our own words")
    lifecycle_recompute()
    renamed = _seen()
    assert set(CustomerStage.objects.values_list("stage", flat=True)) & set(RENAMED) == set()
    assert renamed == default
    assert "slipping" not in renamed["steps"] and "gone" not in renamed["steps"]
