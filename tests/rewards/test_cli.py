"""`tenure rewards list` and `tenure coupons create|list`: thin, through the services."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from django.utils import timezone

from tenure.cli.rewards import coupons, rewards
from tenure.rewards.models import Coupon
from tenure.rewards.services import reward_create
from tenure.users.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_coupons_create_list_and_a_refusal():
    made = CliRunner().invoke(coupons, ["create", "--kind", "percent", "--value", "15",
                                        "--code", "cli15", "--max-uses", "3"])  # fmt: skip
    assert made.exit_code == 0, made.output
    assert made.output.strip() == f"Coupon CLI15 made (id {Coupon.objects.get().pk})."
    again = CliRunner().invoke(coupons, ["create", "--kind", "fixed", "--value", "1",
                                         "--code", "CLI15"])  # fmt: skip
    assert again.exit_code == 1 and "code: already taken" in again.output
    analyst = make_user(role=Role.ANALYST)
    refused = CliRunner().invoke(coupons, ["create", "--kind", "free_shipping",
                                           "--as", analyst.username])  # fmt: skip
    assert refused.exit_code == 1 and "Refused" in refused.output
    listed = CliRunner().invoke(coupons, ["list", "--json"])
    assert [(c["code"], c["uses"], c["max_uses"]) for c in json.loads(listed.output)] == [
        ("CLI15", 0, 3)
    ]


def test_rewards_list():
    reward_create(by=None, data={"name": "Tote", "points_cost": 200, "kind": "other", "stock": 4},
                  now=timezone.now())  # fmt: skip
    listed = CliRunner().invoke(rewards, ["list"])
    assert listed.exit_code == 0
    assert "200 points  Tote: other, stock 4" in listed.output
    assert listed.output.strip().endswith("1 rewards.")
