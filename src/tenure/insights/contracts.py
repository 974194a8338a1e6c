"""Reads for contract businesses: MRR movements, GRR, NRR, renewals, and the shifted-beta-
geometric survival projection of renewal cohorts.

Every selector takes the ``user`` who asks and counts only the subscriptions of the customers
``tenure.access.visible`` lets them see (``user=None``: the operator, who sees everything), as
``tenure.insights.selectors`` does. The subscriptions come out of the database in one set-wise
query as numbers (whole cents, epoch seconds), on the business's local day clock of
``tenure.insights.reading``; the definitions and the arithmetic are
``tenure.analytics.contracts``'. Money leaves as ``Decimal`` rounded to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.db.models import BigIntegerField, Case, Count, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce, Round
from django.utils import timezone

from tenure.analytics.contracts import (
    INTERVAL_MONTHS,
    SurvivalFit,
    mrr_movements,
    renewal_cohorts,
    renewals,
    survival_projection,
)
from tenure.analytics.errors import InvalidInputError
from tenure.customers.models import Subscription
from tenure.insights.reading import (
    EpochSeconds,
    day_start,
    fetch_columns,
    local_days,
    visible_customer_ids,
)
from tenure.users.models import User

CENT = Decimal("0.01")


@dataclass(frozen=True)
class ContractFigures:
    """MRR movements and renewals over the days ``start`` .. ``end`` (both included).

    Money is in ``currency`` (MRR: quarterly amounts / 3, yearly / 12), each figure rounded to
    the cent on its own; ``end_mrr = start_mrr + new_mrr - churned_mrr + expansion_mrr -
    contraction_mrr`` before rounding. Expansion and contraction are 0 until amount changes are
    stored per date (a note says so). ``grr``, ``nrr`` and ``renewal_rate`` are percentages,
    None when undefined (no MRR at the start; nothing due for renewal). ``up_for_renewal`` and
    ``renewed`` count renewal dates (a monthly subscription is due every month). Definitions:
    the docstring of ``tenure.analytics.contracts``.
    """

    start: date
    end: date
    currency: str
    currency_note: str
    start_mrr: Decimal
    new_mrr: Decimal
    churned_mrr: Decimal
    expansion_mrr: Decimal
    contraction_mrr: Decimal
    end_mrr: Decimal
    grr: float | None
    nrr: float | None
    up_for_renewal: int
    renewed: int
    renewal_rate: float | None
    subscriptions_at_start: int
    new_subscriptions: int
    churned_subscriptions: int
    subscriptions_at_end: int
    notes: list[str]


@dataclass(frozen=True)
class _Rows:
    start: npt.NDArray[np.datetime64]
    cancel: npt.NDArray[np.datetime64]  # NaT while not cancelled
    cents: npt.NDArray[np.float64]
    months: npt.NDArray[np.int64]
    customer: npt.NDArray[np.int64]  # whose: a drill-down lists them


def _visible(
    user: User | None, before: datetime, within: QuerySet[Any, Any] | None = None
) -> QuerySet[Subscription]:
    rows = Subscription.objects.filter(started_at__lt=before, interval__in=INTERVAL_MONTHS)
    customers = visible_customer_ids(user, within=within)
    return rows if customers is None else rows.filter(customer_id__in=customers)


def _rows(subscriptions: QuerySet[Subscription]) -> _Rows:
    """One query: interval in months, amount in cents, start and cancellation local days, and
    the customer."""
    months = Case(
        *(When(interval=name, then=Value(n)) for name, n in INTERVAL_MONTHS.items()),
        output_field=IntegerField(),
    )
    cancelled = Case(
        When(cancelled_at__isnull=True, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    columns: list[Any] = [
        months,
        Cast(Round(F("amount") * 100), BigIntegerField()),
        EpochSeconds("started_at"),
        EpochSeconds(Coalesce("cancelled_at", "started_at")),
        cancelled,
        "customer_id",
    ]
    table = fetch_columns(subscriptions.order_by().values_list(*columns), len(columns))
    cancel = local_days(table[:, 3]).astype("datetime64[D]")
    cancel[table[:, 4] == 0] = np.datetime64("NaT")
    return _Rows(
        start=local_days(table[:, 2]).astype("datetime64[D]"),
        cancel=cancel,
        cents=table[:, 1],
        months=table[:, 0].astype(np.int64),
        customer=table[:, 5].astype(np.int64),
    )


def _currency(subscriptions: QuerySet[Subscription], asked: str | None) -> tuple[str, str]:
    """The currency to add up (asked; else the business's own when used; else the most used)
    and a note naming the subscriptions in other currencies, which are left out."""
    used = dict(subscriptions.order_by().values_list("currency").annotate(n=Count("id")))
    if asked:
        chosen = asked.upper()
    elif settings.TENURE_CURRENCY in used or not used:
        chosen = settings.TENURE_CURRENCY
    else:
        chosen = min(used, key=lambda code: (-used[code], code))
    others = {code: n for code, n in used.items() if code != chosen}
    if not others:
        return chosen, ""
    listed = ", ".join(f"{n} in {code}" for code, n in sorted(others.items()))
    return chosen, (
        f"Amounts in {chosen}; subscriptions in other currencies are left out ({listed}): "
        "amounts in different currencies are not added up."
    )


def _money(cents: float) -> Decimal:
    return (Decimal(repr(cents)) / 100).quantize(CENT)


def contract_figures(
    *,
    user: User | None,
    start: date,
    end: date,
    currency: str | None = None,
    as_of: date | None = None,
    within: QuerySet[Any, Any] | None = None,
) -> ContractFigures:
    """MRR movements, GRR, NRR and renewals over ``start`` .. ``end`` for the subscriptions of
    the customers ``user`` sees.

    ``currency``: which currency's subscriptions to add up (default: ``TENURE_CURRENCY`` when
    any subscription uses it, else the most used one). ``as_of``: the last day known (default
    today); renewal dates after it are not due yet.
    """
    if end < start:
        raise InvalidInputError("end", f"the period ends ({end}) before it starts ({start})")
    as_of = as_of or timezone.localdate()
    visible = _visible(user, day_start(end + timedelta(days=1)), within)
    chosen, currency_note = _currency(visible, currency)
    rows = _rows(visible.filter(currency=chosen))
    mrr = mrr_movements(
        rows.start, rows.cancel, rows.cents, rows.months, period_start=start, period_end=end
    )
    due = renewals(
        rows.start, rows.cancel, rows.months, period_start=start, period_end=end, as_of=as_of
    )
    notes = [*mrr.notes, *due.notes]
    if end > as_of:
        notes.append(
            f"The period runs past {as_of:%Y-%m-%d}: renewals due after it are not counted, "
            "and later days count the subscriptions as they stand."
        )
    return ContractFigures(
        start=start,
        end=end,
        currency=chosen,
        currency_note=currency_note,
        start_mrr=_money(mrr.start_mrr),
        new_mrr=_money(mrr.new_mrr),
        churned_mrr=_money(mrr.churned_mrr),
        expansion_mrr=_money(mrr.expansion_mrr),
        contraction_mrr=_money(mrr.contraction_mrr),
        end_mrr=_money(mrr.end_mrr),
        grr=mrr.grr,
        nrr=mrr.nrr,
        up_for_renewal=due.up_for_renewal,
        renewed=due.renewed,
        renewal_rate=due.renewal_rate,
        subscriptions_at_start=mrr.active_at_start,
        new_subscriptions=mrr.new,
        churned_subscriptions=mrr.churned,
        subscriptions_at_end=mrr.active_at_end,
        notes=notes,
    )


@dataclass(frozen=True)
class CohortRow:
    """Survivors of one start cohort at the start of renewal period ``period``."""

    cohort: str
    cohort_start: date
    period: int
    survivors: int
    retained_pct: float


@dataclass(frozen=True)
class SurvivalProjection:
    """Renewal cohorts of ``interval`` subscriptions as seen on ``as_of``, and the sBG fits.

    ``rows``: the cohort table (cohorts by the calendar year, quarter or month of the start,
    matching the interval); ``pooled``: one fit over all cohorts, None without any
    subscription; ``cohorts``: one fit per cohort, oldest first. A fit that could not be made
    has ``reason`` set (too few renewal periods observed, nobody cancelled, ...); ``reason``
    here repeats the pooled one. Each fit carries alpha, beta with standard errors and the
    survival in percent for periods 0 .. observed + ``periods_ahead``.
    """

    as_of: date
    interval: str
    periods_ahead: int
    rows: list[CohortRow]
    pooled: SurvivalFit | None
    cohorts: list[SurvivalFit]
    reason: str


def renewal_survival(
    *,
    user: User | None,
    as_of: date | None = None,
    periods_ahead: int = 5,
    interval: str = "year",
    within: QuerySet[Any, Any] | None = None,
) -> SurvivalProjection:
    """Renewal cohorts of the visible ``interval`` ("month", "quarter", "year") subscriptions
    to ``as_of`` (today), fitted by the shifted-beta-geometric model (Fader & Hardie 2007) per
    cohort with at least 3 observed renewals and pooled, projected ``periods_ahead``."""
    if interval not in INTERVAL_MONTHS:
        raise InvalidInputError("interval", f"must be month, quarter or year, got {interval!r}")
    if isinstance(periods_ahead, bool) or not isinstance(periods_ahead, int):
        raise InvalidInputError("periods_ahead", "must be a whole number")
    if not 0 <= periods_ahead <= 120:
        raise InvalidInputError("periods_ahead", "must be from 0 to 120")
    as_of = as_of or timezone.localdate()
    visible = _visible(user, day_start(as_of + timedelta(days=1)), within)
    rows = _rows(visible.filter(interval=interval))
    table = renewal_cohorts(
        rows.start, rows.cancel, rows.months, as_of=as_of, interval=INTERVAL_MONTHS[interval]
    )
    if table.empty:
        reason = f"No {interval}ly subscription started by {as_of:%Y-%m-%d}."
        return SurvivalProjection(as_of, interval, periods_ahead, [], None, [], reason)
    cohort_rows = [
        CohortRow(
            cohort=str(row.cohort),
            cohort_start=row.cohort_start.date(),
            period=int(row.period),
            survivors=int(row.survivors),
            retained_pct=float(row.retained_pct),
        )
        for row in table.itertuples(index=False)
    ]
    fits = survival_projection(table, periods_ahead)
    return SurvivalProjection(
        as_of=as_of,
        interval=interval,
        periods_ahead=periods_ahead,
        rows=cohort_rows,
        pooled=fits.pooled,
        cohorts=list(fits.cohorts),
        reason=fits.pooled.reason,
    )
