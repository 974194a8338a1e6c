"""The health facts of accounts, from the database, set-wise: an account's customers taken
together, as one buyer.

``account_facts_frame`` reads the facts the health components need (``tenure.domain.health``)
for a chunk of accounts with one aggregate query per source table, grouped by account (never a
query per account), on the same clock ``now`` as the customers' facts (``facts.py``):

- completed orders of the account's customers, as if one buyer placed them all:
  ``days_since_last_order``; ``typical_gap_days`` over the account's purchase days (two
  customers buying on one day make one purchase day; an account with a single purchase day
  takes the customers' median gap, ``median_gap_days``, as a customer does); the 90-day
  windows ``orders_last_90d`` / ``orders_prior_90d`` and ``spend_last_90d`` /
  ``spend_prior_90d``;
- ``days_to_renewal``: the nearest renewal among the active subscriptions of its customers;
- ``open_complaints``: complaints and tickets open at ``now`` logged on the account or on any
  of its customers; ``contacts_engaged_90d``: distinct contacts named on those interactions in
  the last 90 days (0 when the account has contacts and none was engaged: no relationship at
  all is worse than a single thread; NaN when it has no contacts on record);
  ``team_engaged_90d``: the team on tenure's side, its owner and every author of those
  interactions in the last 90 days, one person once (the single-threaded page's reading,
  ``tenure.interactions.relationship_selectors``);
- ``latest_nps`` / ``latest_csat``: the latest answer of each kind given by any of its
  customers by ``now`` (NaN: none);
- ``emails_engaged_90d`` / ``emails_sent_90d``: its customers' email facts added up, read
  through the facts registry (the mail app provides them; lifecycle does not import it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import Case, Count, F, Max, Min, Q, Sum, Value, When, Window
from django.db.models.functions import Coalesce, RowNumber, TruncDate

from tenure.customers.models import Account, Contact, Customer, Subscription
from tenure.facts import DAY, Chunk, IntArray, chunks, facts_compute, fetch_numbers
from tenure.facts import lookup as _lookup
from tenure.facts import scatter as _scatter
from tenure.feedback.models import SurveyKind, SurveyResponse
from tenure.insights.reading import EpochSeconds, local_days
from tenure.interactions.models import CASE_KINDS, CaseStatus, Interaction
from tenure.orders.facts import OrderFigures
from tenure.orders.models import Order, OrderStatus

ACCOUNT_FACTS = frozenset(
    {
        "days_since_last_order", "typical_gap_days", "orders_last_90d", "orders_prior_90d",
        "spend_last_90d", "spend_prior_90d", "open_complaints", "latest_nps", "latest_csat",
        "emails_engaged_90d", "emails_sent_90d", "contacts_engaged_90d", "days_to_renewal",
        "team_engaged_90d",
    }
)  # fmt: skip
"""The facts an account has (every fact a health component reads)."""

_ORDERS = {
    "days_since_last_order", "typical_gap_days", "orders_last_90d", "orders_prior_90d",
    "spend_last_90d", "spend_prior_90d",
}  # fmt: skip
_WINDOWS = ("orders_last_90d", "orders_prior_90d", "spend_last_90d", "spend_prior_90d")
_ANSWERS = {SurveyKind.NPS: "latest_nps", SurveyKind.CSAT: "latest_csat"}
_EMAILS = frozenset({"emails_engaged_90d", "emails_sent_90d"})


def account_ids_all() -> IntArray:
    return fetch_numbers(Account.objects.order_by("pk").values_list("pk"), 1)[:, 0].astype(np.int64)


def account_order_figures(chunk: Chunk, now: datetime) -> OrderFigures:
    """Completed orders up to ``now`` per account (``OrderFigures.customer_id`` holds the
    account ids): count, first and last epoch seconds and local purchase day, purchase days,
    and the 90-day windows, as ``facts.order_figures`` computes them per customer."""
    recent, prior = now - timedelta(days=90), now - timedelta(days=180)
    last90, prior90 = Q(placed_at__gt=recent), Q(placed_at__gt=prior, placed_at__lte=recent)
    values: dict[str, Any] = {
        "n": Count("id"),
        "first": Min(EpochSeconds("placed_at")),
        "last": Max(EpochSeconds("placed_at")),
        "days": Count(TruncDate("placed_at"), distinct=True),
        "o90": Count("id", filter=last90),
        "op90": Count("id", filter=prior90),
        "s90": Sum(F("amount") * 100, filter=last90),
        "sp90": Sum(F("amount") * 100, filter=prior90),
    }
    query = (
        Order.objects.filter(
            chunk.where("customer__account_id"), status=OrderStatus.COMPLETED, placed_at__lte=now
        )
        .order_by()
        .values("customer__account_id")
        .annotate(**values)
        .values_list("customer__account_id", *values)
    )
    raw = fetch_numbers(query, len(values) + 1)
    table = np.full((raw.shape[0], 10), np.nan)
    table[:, 0:3] = raw[:, 1:4]
    if raw.shape[0]:
        table[:, 3] = local_days(raw[:, 2])
        table[:, 4] = local_days(raw[:, 3])
    table[:, 5] = raw[:, 4]
    table[:, 6:8] = raw[:, 5:7]
    table[:, 8:10] = np.nan_to_num(raw[:, 7:9]) / 100.0
    return OrderFigures(raw[:, 0].astype(np.int64), table, windows=True)


def account_facts_frame(
    *,
    chunk: Chunk,
    now: datetime,
    needed: set[str] | frozenset[str],
    median_gap_days: float | None,
) -> pd.DataFrame:
    """The ``needed`` facts of the accounts in ``chunk``, indexed by account id (sorted; ids of
    accounts that do not exist are left out). ``median_gap_days``: the typical gap of an
    account with a single purchase day (the stored median gap of the customers)."""
    unknown = set(needed) - ACCOUNT_FACTS
    if unknown:
        raise ValueError(f"accounts have no facts {', '.join(sorted(unknown))}")
    existing = fetch_numbers(
        Account.objects.filter(chunk.where("pk")).order_by("pk").values_list("pk"), 1
    )[:, 0].astype(np.int64)
    ids = existing[np.isin(existing, chunk.ids)] if chunk.dense else existing
    facts: dict[str, Any] = {}
    stamp = now.timestamp()
    if needed & _ORDERS:
        orders = account_order_figures(chunk, now)
        t, keys = orders.table, orders.customer_id
        count = _scatter(ids, keys, t[:, 0], 0.0)
        facts["days_since_last_order"] = (stamp - _scatter(ids, keys, t[:, 2], np.nan)) / DAY
        gap = _scatter(ids, keys, orders.gaps(), np.nan)
        gap[(count > 0) & np.isnan(gap)] = np.nan if median_gap_days is None else median_gap_days
        facts["typical_gap_days"] = gap
        for column, name in enumerate(_WINDOWS, start=6):
            facts[name] = _scatter(ids, keys, t[:, column], 0.0)
    if "days_to_renewal" in needed:
        facts["days_to_renewal"] = _renewals(chunk, ids, now)
    if needed & {"open_complaints", "contacts_engaged_90d"}:
        facts |= _conversations(chunk, ids, now)
    if "team_engaged_90d" in needed:
        facts["team_engaged_90d"] = _team(chunk, ids, now)
    if needed & {"latest_nps", "latest_csat"}:
        facts |= _answers(chunk, ids, now)
    if needed & _EMAILS:
        facts |= _emails(chunk, ids, now, frozenset(needed & _EMAILS))
    return pd.DataFrame(
        {name: facts[name] for name in sorted(needed)}, index=pd.Index(ids, name="account")
    )


def _emails(chunk: Chunk, ids: IntArray, now: datetime, needed: frozenset[str]) -> dict[str, Any]:
    pairs = fetch_numbers(
        Customer.objects.filter(chunk.where("account_id"))
        .order_by("pk")
        .values_list("pk", "account_id"),
        2,
    )
    pairs = pairs[np.isin(pairs[:, 1].astype(np.int64), ids)]
    sums = {name: np.zeros(ids.size) for name in needed}
    customers, accounts = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    position = np.searchsorted(ids, accounts)
    for part in chunks(customers):
        found = facts_compute(chunk=part, ids=part.ids, now=now, needed=needed)
        at = position[np.searchsorted(customers, part.ids)]
        for name in needed:
            np.add.at(sums[name], at, np.nan_to_num(np.asarray(found[name], dtype=float)))
    return sums


def _renewals(chunk: Chunk, ids: IntArray, now: datetime) -> Any:
    active = Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=now)
    query = (
        Subscription.objects.filter(
            active, chunk.where("customer__account_id"), started_at__lte=now
        )
        .order_by()
        .values("customer__account_id")
        .annotate(renews=Min(EpochSeconds("renews_at")))
        .values_list("customer__account_id", "renews")
    )
    rows = fetch_numbers(query, 2)
    return (_scatter(ids, rows[:, 0].astype(np.int64), rows[:, 1], np.nan) - now.timestamp()) / DAY


def _conversations(chunk: Chunk, ids: IntArray, now: datetime) -> dict[str, Any]:
    """Open cases and contacts engaged, over the interactions logged on the account or on its
    customers (one named on both counts for the account it names)."""
    open_case = Q(kind__in=CASE_KINDS) & (~Q(status=CaseStatus.RESOLVED) | Q(resolved_at__gt=now))
    query = (
        Interaction.objects.filter(
            chunk.where("account_id") | chunk.where("customer__account_id"), occurred_at__lte=now
        )
        .order_by()
        .values(of=Coalesce("account_id", "customer__account_id"))
        .annotate(
            complaints=Count("id", filter=open_case),
            contacts=Count(
                "contact_id", filter=Q(occurred_at__gt=now - timedelta(days=90)), distinct=True
            ),
        )
        .values_list("of", "complaints", "contacts")
    )
    rows = fetch_numbers(query, 3)
    keys = rows[:, 0].astype(np.int64)
    people = fetch_numbers(
        Contact.objects.filter(chunk.where("account_id"))
        .order_by()
        .values("account_id")
        .annotate(n=Count("id"))
        .values_list("account_id", "n"),
        2,
    )
    on_record = _scatter(ids, people[:, 0].astype(np.int64), people[:, 1], 0.0)
    engaged = _scatter(ids, keys, rows[:, 2], 0.0)
    return {
        "open_complaints": _scatter(ids, keys, rows[:, 1], 0.0),
        "contacts_engaged_90d": np.where((on_record > 0) | (engaged > 0), engaged, np.nan),
    }


def _team(chunk: Chunk, ids: IntArray, now: datetime) -> Any:
    """The owner and the authors of the account's interactions (on it or its customers) in
    the last 90 days, one person once."""
    owners = fetch_numbers(
        Account.objects.filter(chunk.where("pk")).order_by().values_list("pk", "owner_id"), 2
    )
    owner = _scatter(ids, owners[:, 0].astype(np.int64), np.nan_to_num(owners[:, 1]), 0.0)
    pairs = fetch_numbers(
        Interaction.objects.filter(
            chunk.where("account_id") | chunk.where("customer__account_id"),
            occurred_at__gt=now - timedelta(days=90),
            occurred_at__lte=now,
            author__isnull=False,
        )
        .order_by()
        .values_list(Coalesce("account_id", "customer__account_id"), "author_id")
        .distinct(),
        2,
    )
    at, known = _lookup(ids, pairs[:, 0].astype(np.int64))
    others = known & (pairs[:, 1] != owner[at])  # the owner is counted once, below
    return np.bincount(at[others], minlength=ids.size).astype(np.float64) + (owner > 0)


def _answers(chunk: Chunk, ids: IntArray, now: datetime) -> dict[str, Any]:
    """The latest NPS and CSAT answer given by any of the account's customers by ``now``
    (the higher id wins a tie), one query with a window function."""
    newest_first = [F("answered_at").desc(), F("id").desc()]
    latest = (
        SurveyResponse.objects.filter(
            chunk.where("customer__account_id"), answered_at__lte=now, kind__in=list(_ANSWERS)
        )
        .order_by()
        .annotate(
            newest=Window(
                RowNumber(), partition_by=[F("customer__account_id"), F("kind")],
                order_by=newest_first,
            )
        )
        .filter(newest=1)
    )  # fmt: skip
    is_nps = Case(When(kind=SurveyKind.NPS, then=Value(1)), default=Value(0))
    rows = fetch_numbers(latest.values_list("customer__account_id", is_nps, "score"), 3)
    facts = {}
    for kind, name in _ANSWERS.items():
        mine = rows[rows[:, 1] == (1.0 if kind == SurveyKind.NPS else 0.0)]
        facts[name] = _scatter(ids, mine[:, 0].astype(np.int64), mine[:, 2], np.nan)
    return facts
