"""`tenure loyalty`: a customer's points, an adjustment (once per key, refused for an analyst),
the expiry and the reconciliation with their exit codes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from django.utils import timezone

from tenure.cli.loyalty import loyalty
from tenure.loyalty.models import EntryKind, LoyaltyBalance, PointsEntry
from tenure.loyalty.services import points_earn
from tenure.users.models import Role
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db


def run(*args: str):
    return CliRunner().invoke(loyalty, list(args), catch_exceptions=False)


def test_points_adjust_expire_and_reconcile(program_on):
    customer = make_customer()
    points_earn(by=None, customer_id=customer.pk, key="old", points=30,
                now=timezone.now() - timedelta(days=400))  # fmt: skip
    points_earn(by=None, customer_id=customer.pk, key="new", points=50, now=timezone.now())
    shown = run("points", str(customer.pk), "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["balance"] == 80
    done = run("adjust", str(customer.pk), "--points", "-5", "--reason", "typo", "--key", "t1")
    again = run("adjust", str(customer.pk), "--points", "-5", "--reason", "typo", "--key", "t1")
    assert (done.exit_code, again.exit_code) == (0, 0)
    assert "adjusted already" in again.output
    assert PointsEntry.objects.filter(kind=EntryKind.ADJUST).count() == 1
    expired = run("expire")
    assert expired.exit_code == 0 and "1 lots of 1 customers expired, 25 points" in expired.output
    # 80, less 5 (taken from the old lot first: it expires sooner), less its other 25.
    assert LoyaltyBalance.objects.get(pk=customer.pk).balance == 50
    assert run("reconcile").exit_code == 0


def test_an_analyst_may_not_adjust_and_a_mismatch_exits_1(program_on):
    customer = make_customer()
    points_earn(by=None, customer_id=customer.pk, key="k", points=10, now=timezone.now())
    analyst = make_user(role=Role.ANALYST)
    refused = run("adjust", str(customer.pk), "--points", "5", "--reason", "x", "--as",
                  analyst.username)  # fmt: skip
    assert refused.exit_code == 1 and "Refused" in refused.output
    LoyaltyBalance.objects.filter(pk=customer.pk).update(balance=11)
    checked = run("reconcile")
    assert checked.exit_code == 1
    assert f"customer {customer.pk}: cached balance 11, ledger sum 10" in checked.output
