"""A person's export lists their referral codes and rewards; erasure removes their codes (the
link leads nowhere) and the override's words; the attribution and its points stay. The
`tenure referrals` command goes through the same services."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.utils import timezone

from tenure.cli.referrals import referrals
from tenure.privacy.services import person_erase, person_export
from tenure.referrals.models import AttributionStatus, ReferralAttribution, ReferralCode
from tenure.referrals.services import code_make, referral_attribute, referral_override
from tenure.users.models import Role
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.django_db


def run(*args: str):
    return CliRunner().invoke(referrals, list(args), catch_exceptions=False)


def test_export_lists_codes_and_rewards_and_erasure_removes_the_code(client):
    ann = make_customer(first_name="Ann", email="ann@example.com")
    twin = make_customer(email="ann+twin@example.com")
    code, _ = code_make(by=None, customer_id=ann.pk, now=timezone.now())
    attribution, _ = referral_attribute(
        by=None, code=code.code, customer_id=twin.pk, now=timezone.now()
    )
    referral_override(by=None, attribution_id=attribution.pk, now=timezone.now(),
                      reason="Ann's twin sister")  # fmt: skip
    exported = person_export(customer_id=ann.pk)
    assert [c["code"] for c in exported["referral_codes"]] == [code.code]
    assert [(r["id"], r["side"], r["status"]) for r in exported["referral_rewards"]] == [
        (attribution.pk, "referrer", "signed_up")
    ]
    person_erase(customer_id=ann.pk)
    assert not ReferralCode.objects.filter(customer=ann).exists()
    assert client.get(f"/r/{code.code}/").status_code == 404
    attribution.refresh_from_db()
    assert (attribution.status, attribution.override_reason) == (
        AttributionStatus.SIGNED_UP,
        "[erased]",
    )


def test_the_command_makes_a_code_attributes_lists_and_overrides():
    ann = make_customer(email="ann@example.com")
    bea = make_customer(email="ann+b@example.com")
    made = run("code", str(ann.pk), "--make")
    assert made.exit_code == 0, made.output
    code = ReferralCode.objects.get(customer=ann).code
    assert f"code {code}" in made.output
    attributed = run("attribute", code, str(bea.pk))
    assert attributed.exit_code == 0 and "blocked" in attributed.output.lower()
    listed = run("list", "--status", "blocked")
    assert "the same mailbox as the referrer's" in listed.output
    row = ReferralAttribution.objects.get()
    manager = make_user(role=Role.MANAGER)
    refused = run("override", str(row.pk), "--reason", "x", "--as", manager.username)
    assert refused.exit_code == 1 and "Refused" in refused.output
    admin = make_user(role=Role.ADMIN)
    done = run("override", str(row.pk), "--reason", "checked by phone", "--as", admin.username)
    assert done.exit_code == 0, done.output
    row.refresh_from_db()
    assert (row.status, row.override_by) == (AttributionStatus.SIGNED_UP, admin)
    assert run("reward").exit_code == 0
    assert "0 rewarded" in run("reward").output
