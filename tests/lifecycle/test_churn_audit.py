"""The churn audit on stored customers: every attribute compared (imported custom ones and the
account's included), what defines churn left out, plain words when nothing differs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tenure.lifecycle.audit import churn_audit_for, churn_audit_frame
from tenure.lifecycle.services import lifecycle_recompute
from tests.factories import make_account, make_customer, make_order

pytestmark = pytest.mark.django_db


def _buyer(days_ago: list[int], *, amount: str = "40.00", **fields) -> None:
    now = timezone.now()
    customer = make_customer(created_at=now - timedelta(days=max(days_ago) + 1), **fields)
    for days in days_ago:
        make_order(customer=customer, placed_at=now - timedelta(days=days), amount=Decimal(amount))


def _base(*, planted: bool) -> None:
    """40 buyers, every even one churned. With ``planted`` the imported attribute ``plan``
    says who (basic churned, pro stayed); without, every attribute is spread evenly over the
    churned and the retained: pairs (2k, 2k + 1) share their values."""
    accounts = [make_account(custom_attributes={"tier": tier}) for tier in ("gold", "silver")]
    for i in range(40):
        churned = i % 2 == 0
        pair = i // 2
        plan = ("basic" if churned else "pro") if planted else ("basic", "pro")[pair % 2]
        days = [420, 380] if churned else [30, 10]
        custom = {"plan": plan, "region": ("north", "south")[pair // 2 % 2],
                  "seats": str(1 + pair)}  # fmt: skip
        _buyer(days, custom_attributes=custom, account=accounts[pair % 2])
    lifecycle_recompute()


def test_an_imported_attribute_that_drives_churn_is_found_first():
    _base(planted=True)
    result = churn_audit_for(user=None)
    top = result.iloc[0]
    assert (top["attribute"], top["label"], top["category"]) == ("custom__plan", "plan", "basic")
    assert top["significant"]
    assert top["finding"] == "plan 'basic' churns while the others do not (100 % vs 0 %)"
    tested = set(result.loc[result["p_value"].notna(), "attribute"])
    assert {"custom__region", "custom__seats", "account__tier"} <= tested
    assert not {"orders_count", "revenue", "days_since_last_order"} & set(result["attribute"])
    seats = result.set_index("attribute").loc["custom__seats"]
    assert seats["kind"] == "numeric" and len(seats["bands"]) >= 2  # numbers, shown in bands
    assert result.attrs["summary"].startswith("1 of the ")
    assert "Left out because they define churn" in result.attrs["left_out"]


def test_nothing_planted_says_no_difference_found():
    _base(planted=False)
    result = churn_audit_for(user=None)
    assert not result["significant"].any()
    assert result.attrs["summary"].startswith("No difference found: none of the ")


def test_the_frame_reads_account_attributes_and_answers():
    _base(planted=True)
    frame = churn_audit_frame(user=None)
    assert len(frame) == 40 and frame["churned"].sum() == 20
    assert set(frame["account__tier"]) == {"gold", "silver"}
    assert frame.attrs["labels"]["account__tier"] == "Account: tier"
    assert frame["complaints_per_order"].eq(0).all()
