"""Accounts' health: facts of their customers taken together (hand-worked), the score, words,
history and trend, the revenue-weighted roll-up, rescoring after the customers' events and
nightly, set-wise queries, and the API and CLI that show it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from click.testing import CliRunner
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenure.cli.main import cli, register_commands
from tenure.customers.models import Contact, Subscription
from tenure.feedback.models import SurveyResponse
from tenure.interactions.models import Interaction
from tenure.jobs.runner import run_execute
from tenure.jobs.services import run_start
from tenure.lifecycle.account_facts import account_facts_frame
from tenure.lifecycle.facts import chunks
from tenure.lifecycle.health import account_health_recompute, health_recompute
from tenure.lifecycle.models import (
    AccountHealthScore,
    AccountHealthSnapshot,
    HealthScore,
)
from tenure.lifecycle.services import lifecycle_update
from tenure.users.models import Role
from tests.api.helpers import Api
from tests.factories import make_account, make_customer, make_order, make_user

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
DAYS = timedelta(days=1)


def _order(customer, days_ago: int, amount: str = "50") -> None:
    make_order(customer=customer, placed_at=NOW - days_ago * DAYS, amount=Decimal(amount))


def _talk(*, contact, days_ago: int, customer=None, account=None, author=None) -> None:
    Interaction.objects.create(
        customer=customer, account=account, contact=contact, kind="call",
        occurred_at=NOW - days_ago * DAYS, author=author,
    )  # fmt: skip


def _subscribe(customer, renews_in: int, cancelled: bool = False) -> None:
    Subscription.objects.create(
        customer=customer, plan="Pro", amount=Decimal("10"), currency="USD", interval="month",
        started_at=NOW - 300 * DAYS, renews_at=NOW + renews_in * DAYS,
        cancelled_at=NOW - DAYS if cancelled else None,
    )  # fmt: skip


def _acme(**fields):
    """An account whose customers' history is worked by hand in the tests below."""
    owner, colleague = make_user(role="success_manager"), make_user(role="success_manager")
    acme = make_account(name="Acme", **{"owner": owner, **fields})
    ann, bob = make_customer(account=acme), make_customer(account=acme)
    _order(ann, 200)
    _order(ann, 100)
    _order(bob, 100)  # the same day as Ann's: one purchase day of the account
    _order(bob, 30, "80")
    x, y, z = (Contact.objects.create(account=acme, first_name=n) for n in ("X", "Y", "Z"))
    _talk(contact=x, days_ago=20, account=acme)
    _talk(contact=y, days_ago=40, customer=ann, author=colleague)
    _talk(contact=z, days_ago=120, account=acme, author=make_user())  # over 90 days ago
    Interaction.objects.create(
        customer=ann, kind="complaint", status="open", occurred_at=NOW - 10 * DAYS
    )
    Interaction.objects.create(
        account=acme, kind="ticket", status="in_progress", occurred_at=NOW - 3 * DAYS
    )
    Interaction.objects.create(
        customer=bob, kind="complaint", status="resolved", occurred_at=NOW - 9 * DAYS,
        resolved_at=NOW - 3 * DAYS,
    )  # fmt: skip
    SurveyResponse.objects.create(customer=ann, kind="nps", score=9, answered_at=NOW - 50 * DAYS)
    SurveyResponse.objects.create(customer=bob, kind="nps", score=5, answered_at=NOW - 10 * DAYS)
    SurveyResponse.objects.create(customer=bob, kind="nps", score=10, answered_at=NOW + DAYS)
    _subscribe(ann, renews_in=30)
    _subscribe(bob, renews_in=200)
    _subscribe(bob, renews_in=5, cancelled=True)
    return acme, ann, bob


def test_account_facts_take_its_customers_as_one_buyer():
    acme, _ann, bob = _acme()
    # A CES answer (1-7) is neither an NPS nor a CSAT: it leaves latest_csat missing.
    SurveyResponse.objects.create(customer=bob, kind="ces", score=2, answered_at=NOW - 5 * DAYS)
    other = make_account(name="Quiet")
    needed = {
        "days_since_last_order", "typical_gap_days", "orders_last_90d", "orders_prior_90d",
        "spend_last_90d", "spend_prior_90d", "open_complaints", "latest_nps", "latest_csat",
        "contacts_engaged_90d", "days_to_renewal", "team_engaged_90d",
    }  # fmt: skip
    (chunk,) = chunks([acme.pk, other.pk])
    facts = account_facts_frame(chunk=chunk, now=NOW, needed=needed, median_gap_days=45.0)
    acme_facts = facts.loc[acme.pk].to_dict()
    # Purchase days 200, 100 and 30 days ago: (200 - 30) / 2 = 85 days between them.
    assert acme_facts == pytest.approx(
        {
            "days_since_last_order": 30.0, "typical_gap_days": 85.0,
            "orders_last_90d": 1.0, "orders_prior_90d": 2.0,
            "spend_last_90d": 80.0, "spend_prior_90d": 100.0,
            "open_complaints": 2.0,  # Ann's complaint and the account's ticket
            "latest_nps": 5.0,  # Bob's, 10 days ago (his later answer is after now)
            "latest_csat": np.nan,
            "contacts_engaged_90d": 2.0,  # X and Y; Z was 120 days ago
            "days_to_renewal": 30.0,  # Ann's; Bob's in 5 days was cancelled
            "team_engaged_90d": 2.0,  # the owner and the colleague; the third was 120 days ago
        },
        nan_ok=True,
    )  # fmt: skip
    quiet = facts.loc[other.pk]
    assert quiet["open_complaints"] == 0 and np.isnan(quiet["days_since_last_order"])
    assert np.isnan(quiet["contacts_engaged_90d"])  # no contacts on record: no data
    assert quiet["team_engaged_90d"] == 0  # no owner, no one logged anything: no one


def test_an_account_looked_after_by_one_member_scores_the_team_side_0():
    acme, ann, _bob = _acme()
    # The colleague's call leaves the window: the owner alone is left (the same owner's own
    # call counts them once).
    Interaction.objects.filter(author__isnull=False).exclude(author=acme.owner).update(
        occurred_at=NOW - 100 * DAYS
    )
    _talk(contact=None, days_ago=5, customer=ann, author=acme.owner)
    (chunk,) = chunks([acme.pk])
    facts = account_facts_frame(
        chunk=chunk, now=NOW, needed={"team_engaged_90d", "contacts_engaged_90d"},
        median_gap_days=None,
    )  # fmt: skip
    assert facts.loc[acme.pk].tolist() == [1.0, 1.0]  # contacts: X only; the team: the owner
    account_health_recompute(now=NOW, account_ids=[acme.pk])
    health = AccountHealthScore.objects.get(account=acme)
    assert health.components["relationship"] == 0
    # Recency 100, orders 50, spend 80, complaints 0, NPS 33.33, relationship 0, renewal
    # 66.67; weights 90: (2500 + 750 + 800 + 0 + 500 + 0 + 333.33) / 90 = 54.26.
    assert health.score == pytest.approx(54.26)


def test_account_score_hand_worked_with_its_words():
    acme, _ann, _bob = _acme()
    result = account_health_recompute(now=NOW, account_ids=[acme.pk])
    assert (result.accounts, result.scored, result.bands) == (1, 1, {"yellow": 1})
    health = AccountHealthScore.objects.get(account=acme)
    # Recency 30 / 85 gaps -> 100; orders 1 / 2 -> 50; spend 80 / 100 -> 80; 2 complaints
    # -> 0; NPS 5 -> (5 - 3) / 6 = 33.33; 2 contacts -> 50; renewal in 30 days -> 66.67;
    # no emails: weights 90. (2500 + 750 + 800 + 0 + 500 + 250 + 333.33) / 90 = 57.04.
    assert health.score == pytest.approx(57.04)
    assert health.band == "yellow"
    # Points lost: complaints 1500, NPS 1000, orders 750, relationship 250, spend 200, ...
    assert [key for key, _facts in health.drivers] == ["complaints", "sentiment", "frequency_trend"]
    assert health.explanation == (
        "57 (yellow). 2 open complaints. Latest NPS 5 (a detractor). Ordered 1 in the last 90 "
        "days against 2 in the 90 before (-50 %). No data for engagement with emails: their "
        "weight went to the others."
    )
    assert AccountHealthSnapshot.objects.filter(account=acme).count() == 1


def test_the_roll_up_weights_customers_by_revenue():
    acme = make_account()
    rich, poor, _unscored = (make_customer(account=acme) for _ in range(3))
    _order(rich, 10, "300")
    _order(poor, 10, "100")
    for customer, score in ((rich, 90.0), (poor, 40.0)):
        HealthScore.objects.create(customer=customer, score=score, band="x", computed_at=NOW)
    leads = make_account()
    for score in (20.0, 60.0):  # no revenue anywhere: a plain mean
        HealthScore.objects.create(
            customer=make_customer(account=leads), score=score, band="x", computed_at=NOW
        )
    account_health_recompute(now=NOW, account_ids=[acme.pk, leads.pk])
    mine = AccountHealthScore.objects.get(account=acme)
    # (90 * 300 + 40 * 100) / 400 = 77.5; the customer without a score does not count.
    assert (mine.customers_score, mine.customers_scored) == (pytest.approx(77.5), 2)
    theirs = AccountHealthScore.objects.get(account=leads)
    assert (theirs.customers_score, theirs.customers_scored) == (pytest.approx(40.0), 2)


def test_an_account_follows_its_customers_events_and_trends():
    acme, ann, _bob = _acme()
    elsewhere = make_account(name="Elsewhere")
    make_customer(account=elsewhere)
    health_recompute(now=NOW, customer_ids=[ann.pk])
    assert AccountHealthScore.objects.filter(account=acme).exists()
    assert not AccountHealthScore.objects.filter(account=elsewhere).exists()  # not touched
    first = AccountHealthScore.objects.get(account=acme)
    assert first.customers_scored == 1  # Bob was not rescored: only Ann has a score

    # A week later both cases are closed: complaints 100, up 16.7 points: improving.
    Interaction.objects.filter(kind__in=["complaint", "ticket"]).update(
        status="resolved", resolved_at=NOW + DAYS
    )
    later = NOW + 7 * DAYS
    health_recompute(now=later, customer_ids=[ann.pk])
    health = AccountHealthScore.objects.get(account=acme)
    assert health.trend == 1 and health.score > first.score + 5
    assert list(
        AccountHealthSnapshot.objects.filter(account=acme).values_list("day", flat=True)
    ) == [NOW.date(), later.date()]


def test_lifecycle_update_and_the_nightly_job_score_accounts():
    acme, ann, _bob = _acme()
    quiet = make_account(name="Quiet")
    lifecycle_update(customer_ids=[ann.pk], cause="order")
    assert AccountHealthScore.objects.filter(account=acme).exists()
    assert not AccountHealthScore.objects.filter(account=quiet).exists()
    nightly_health, _ = run_start(kind="lifecycle.health", by=None, queue=False)
    done = run_execute(nightly_health.pk)["result"]
    assert done["accounts_scored"] == 2
    assert AccountHealthScore.objects.count() == 2
    # Every customer was scored first: the roll-up counts both of Acme's.
    assert AccountHealthScore.objects.get(account=acme).customers_scored == 2


def test_accounts_are_scored_set_wise():
    counts = []
    for n in (1, 6):
        accounts = []
        for _ in range(n):
            account = make_account()
            customer = make_customer(account=account)
            _order(customer, 40)
            Contact.objects.create(account=account, first_name="C")
            accounts.append(account.pk)
        with CaptureQueriesContext(connection) as queries:
            account_health_recompute(now=NOW, account_ids=accounts, median_gap_days=30.0)
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- the API and the CLI ------------------------------------------------------------------------


def test_api_shows_the_account_health_to_whoever_may_see_the_account(client):
    sam = make_user(role=Role.SUCCESS_MANAGER)
    acme, _ann, _bob = _acme(owner=sam)
    theirs = make_account(name="Theirs", owner=make_user(role=Role.SUCCESS_MANAGER))
    account_health_recompute(now=NOW)
    body = Api(client, user=sam).get(f"/accounts/{acme.pk}/health").json()
    assert body["account_id"] == acme.pk
    assert body["health"]["score"] == pytest.approx(57.04)
    assert body["health"]["band"] == "yellow"
    assert body["health"]["explanation"].startswith("57 (yellow). 2 open complaints.")
    assert body["health"]["components"]["complaints"] == 0.0
    assert body["history"] == [{"day": "2025-06-01", "score": 57.04, "band": "yellow"}]
    assert Api(client, user=sam).get(f"/accounts/{theirs.pk}/health").status_code == 404
    unscored = make_account(name="New", owner=sam)
    body = Api(client, user=sam).get(f"/accounts/{unscored.pk}/health").json()
    assert body == {"account_id": unscored.pk, "health": None, "history": []}


def test_cli_prints_the_account_health():
    acme, _ann, _bob = _acme()
    account_health_recompute(now=NOW)
    register_commands()
    done = CliRunner().invoke(cli, ["lifecycle", "account-health", str(acme.pk)])
    assert done.exit_code == 0, done.output
    assert "Acme: health 57 (yellow, steady)" in done.output
    assert "2 open complaints" in done.output
    data = json.loads(
        CliRunner().invoke(cli, ["lifecycle", "account-health", str(acme.pk), "--json"]).output
    )
    assert data["health"]["band"] == "yellow" and len(data["history"]) == 1
    missing = CliRunner().invoke(cli, ["lifecycle", "account-health", "999999"])
    assert missing.exit_code == 2 and "no account 999999" in missing.output


def test_an_accounts_emails_are_its_customers_added_up():
    from tenure.events.record import NewEvent, events_record
    from tenure.mail.models import Message

    acme, ann, bob = _acme()
    quiet = make_account(name="Quiet")
    make_customer(account=quiet)
    for n, (customer, days) in enumerate([(ann, 3), (ann, 40), (bob, 10), (bob, 100)]):
        at = NOW - timedelta(days=days)
        message = Message.objects.create(
            key=f"t:{n}", source="t", customer=customer, kind="marketing", subject="s",
            text="t", due_at=at, next_at=at, created_at=at, status="sent", finished_at=at,
        )  # fmt: skip
        if customer == bob:
            events_record([NewEvent("mail.clicked", "message", message.pk, bob.pk, at=at)])
    (chunk,) = chunks([acme.pk, quiet.pk])
    needed = {"emails_sent_90d", "emails_engaged_90d"}
    facts = account_facts_frame(chunk=chunk, now=NOW, needed=needed, median_gap_days=45.0)
    # Ann's two and Bob's one in the window; Bob's click 100 days ago is out of it.
    assert facts.loc[acme.pk].to_dict() == {"emails_sent_90d": 3.0, "emails_engaged_90d": 1.0}
    assert facts.loc[quiet.pk].to_dict() == {"emails_sent_90d": 0.0, "emails_engaged_90d": 0.0}
