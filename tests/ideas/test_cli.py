"""`tenure ideas` and `tenure appreciation`: the board listed and weighed (the operator by
every request, a success manager by their book), a status moved (refused for an analyst),
appreciation recorded once per key with its cost, listed with this year's total; bad input
exits 1 or 2 naming the field."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from django.utils import timezone

from tenure.cli.ideas import appreciation, ideas
from tenure.customers.models import Contact
from tenure.ideas.models import Idea, IdeaStatus
from tenure.ideas.services import idea_create, idea_request_add
from tenure.success.models import Appreciation
from tenure.users.models import Role
from tests.factories import make_account, make_customer, make_user

pytestmark = pytest.mark.django_db


def run(group, *args: str):
    return CliRunner().invoke(group, list(args), catch_exceptions=False)


def _asked(title: str, customers: list) -> Idea:
    idea = idea_create(by=None, data={"title": title}, now=timezone.now())
    for customer in customers:
        idea_request_add(
            by=None, idea_id=idea.pk, customer_id=customer.pk, data={}, now=timezone.now()
        )
    return idea


def test_ideas_listed_weighed_and_moved():
    manager = make_user(role=Role.SUCCESS_MANAGER)
    mine = make_customer(owner=manager, revenue=Decimal("120.00"))
    others = [make_customer(revenue=Decimal("10.00")) for _ in range(2)]
    dark = _asked("Dark mode", [mine, *others])
    export = _asked("CSV export", [others[0]])
    everyone = json.loads(run(ideas, "list", "--json").output)
    assert [(i["title"], i["customers"]) for i in everyone] == [("Dark mode", 3), ("CSV export", 1)]
    assert Decimal(str(everyone[0]["revenue"])) == Decimal("140.00")
    # A success manager weighs the ideas by their own book: one customer of three asked.
    theirs = json.loads(run(ideas, "list", "--json", "--as", manager.username).output)
    assert {i["title"]: i["customers"] for i in theirs} == {"Dark mode": 1, "CSV export": 0}

    moved = run(ideas, "status", str(export.pk), "planned")
    assert moved.exit_code == 0 and "CSV export" in moved.output and "Planned" in moved.output
    assert Idea.objects.get(pk=export.pk).status == IdeaStatus.PLANNED
    planned = json.loads(run(ideas, "list", "--status", "planned", "--json").output)
    assert [i["id"] for i in planned] == [export.pk]

    analyst = make_user(role=Role.ANALYST)
    refused = CliRunner().invoke(ideas, ["status", str(dark.pk), "done", "--as", analyst.username])
    assert refused.exit_code == 1 and "Refused" in refused.output
    bad = CliRunner().invoke(ideas, ["status", str(dark.pk), "shipped"])
    assert bad.exit_code == 1 and "status: one of" in bad.output
    missing = CliRunner().invoke(ideas, ["status", "999999", "done"])
    assert missing.exit_code == 1 and "idea_id: no idea with id 999999" in missing.output
    assert Idea.objects.get(pk=dark.pk).status == IdeaStatus.UNDER_REVIEW


def test_appreciation_recorded_once_per_key_and_listed_with_this_years_cost():
    account = make_account(name="Acme")
    ada = Contact.objects.create(account=account, first_name="Ada", last_name="Byron")
    today = timezone.localdate()
    args = ["record", "Acme", "--kind", "gift", "--cost", "25.50", "--currency", "EUR",
            "--description", "Flowers", "--contact", str(ada.pk), "--key", "k1"]  # fmt: skip
    first = run(appreciation, *args)
    again = run(appreciation, *args)
    assert first.exit_code == 0 and "Recorded: Gift for Acme" in first.output
    assert "25.50 EUR" in first.output
    assert again.exit_code == 0 and "Recorded before" in again.output
    assert Appreciation.objects.count() == 1
    note = run(appreciation, "record", str(account.pk), "--kind", "thank_you_note")
    assert note.exit_code == 0
    listed = json.loads(run(appreciation, "list", "--account", "Acme", "--json").output)
    kinds = [a["kind"] for a in listed["appreciations"]]
    assert kinds == ["thank_you_note", "gift"]  # the same day: the newer first
    assert listed["this_year"]["count"] == 2
    assert Decimal(str(listed["this_year"]["cost"]["EUR"])) == Decimal("25.50")
    text = run(appreciation, "list").output
    assert f"{today:%Y-%m-%d}  Acme to Ada Byron: Gift, 25.50 EUR (Flowers)" in text

    bad_cost = CliRunner().invoke(appreciation, ["record", "Acme", "--kind", "gift",
                                                 "--cost", "12.345"])  # fmt: skip
    assert bad_cost.exit_code == 1 and "cost: at most two decimal places" in bad_cost.output
    bad_kind = CliRunner().invoke(appreciation, ["record", "Acme", "--kind", "cake"])
    assert bad_kind.exit_code == 1 and "kind: one of gift" in bad_kind.output
    nowhere = CliRunner().invoke(appreciation, ["record", "Nobody", "--kind", "gift"])
    assert nowhere.exit_code == 2 and "no account 'Nobody'" in nowhere.output
    analyst = make_user(role=Role.ANALYST)
    refused = CliRunner().invoke(
        appreciation, ["record", "Acme", "--kind", "gift", "--as", analyst.username]
    )
    assert refused.exit_code in (1, 2) and Appreciation.objects.count() == 2
