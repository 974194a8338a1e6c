"""/api/v1/analytics/...: retention, cohorts and the customer-base models' predictions.

The same figures as the Analytics page and `tenure metrics` / `tenure clv`, from the selectors of
`tenure.insights`: every figure counts only the customers the caller may see, and every
retention figure carries the sentence of the rule that decided who was active. ``in_segment``
narrows each figure to one segment's members now (``tenure.api.segment_scope``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tenure.access import require_all
from tenure.analytics.activity import ActivityRule
from tenure.api.auth import caller
from tenure.api.errors import ERROR_RESPONSES
from tenure.api.inputs import AnalyticsInput
from tenure.api.segment_scope import in_segment_query, within
from tenure.api.types import Money, RecordId, finite_or_none
from tenure.insights import selectors, services
from tenure.insights.contracts import contract_figures, renewal_survival
from tenure.insights.drill import retention_members
from tenure.insights.models import ModelFit

router = Router(tags=["analytics"])


RuleKind = Literal["gap_multiple", "p_alive", "fixed_days"]


class RuleQuery(AnalyticsInput):
    rule: RuleKind = Field("gap_multiple", description="what makes a customer lost")
    gap_multiple: float = Field(3.0, gt=0, le=100, description="k for rule=gap_multiple")
    p_alive_threshold: float = Field(0.3, gt=0, lt=1, description="for rule=p_alive")
    days: int = Field(365, ge=1, le=3650, description="for rule=fixed_days")

    def activity_rule(self) -> ActivityRule:
        return ActivityRule(
            kind=self.rule,
            gap_multiple=self.gap_multiple,
            p_alive_threshold=self.p_alive_threshold,
            days=self.days,
        )


class RetentionQuery(RuleQuery):
    period: str = Field(
        ...,
        min_length=4,
        max_length=40,
        description='"2025-Q1", "2025-03", "2025" or "2025-01-01..2025-03-31"',
        # One "example", not pydantic's "examples" list: django-ninja copies the field's
        # keyword onto the query parameter, where "examples" must be a map of Example
        # Objects (OpenAPI 3.1); a list there makes client generators refuse the document.
        json_schema_extra={"example": "2025-Q1"},
    )


class SeriesQuery(RuleQuery):
    period: Literal["month", "quarter", "year"] = "month"
    count: int = Field(12, ge=1, le=120)
    end: date | None = Field(None, description="the last whole period ends on or before this day")


class RetentionOut(Schema):
    start: date
    end: date
    S: int = Field(..., description="customers active at the start")
    E: int = Field(..., description="customers active at the end")
    N: int = Field(..., description="joined the active base in the period, active at its end")
    lost: int
    new: int
    won_back: int
    retention_rate: float | None = Field(..., description="((E - N) / S) x 100; null when S = 0")
    churn_rate: float | None = Field(..., description="lost / S x 100; null when S = 0")
    rule: str = Field(..., description="the activity rule that produced these figures")


def _retention_out(figures: selectors.RetentionFigures) -> RetentionOut:
    return RetentionOut(
        start=figures.start,
        end=figures.end,
        S=figures.S,
        E=figures.E,
        N=figures.N,
        lost=figures.lost,
        new=figures.new,
        won_back=figures.won_back,
        retention_rate=figures.retention_rate,
        churn_rate=figures.churn_rate,
        rule=figures.rule_description,
    )


@router.get(
    "/analytics/retention",
    response={200: RetentionOut, **ERROR_RESPONSES},
    summary="Retention and churn over one period",
)
def retention(
    request: HttpRequest, query: Query[RetentionQuery], in_segment: int | None = in_segment_query()
) -> RetentionOut:
    start, end = selectors.period_bounds(query.period)
    figures = selectors.retention_figures(
        user=caller(request),
        start=start,
        end=end,
        rule=query.activity_rule(),
        within=within(request, in_segment),
    )
    return _retention_out(figures)


@router.get(
    "/analytics/retention/series",
    response={200: list[RetentionOut], **ERROR_RESPONSES},
    summary="Retention and churn of the last whole months, quarters or years",
)
def retention_series(
    request: HttpRequest, query: Query[SeriesQuery], in_segment: int | None = in_segment_query()
) -> list[RetentionOut]:
    series = selectors.retention_series(
        user=caller(request),
        period=query.period,
        count=query.count,
        end=query.end,
        rule=query.activity_rule(),
        within=within(request, in_segment),
    )
    return [_retention_out(figures) for figures in series]


class CohortQuery(AnalyticsInput):
    period: Literal["week", "month", "quarter"] = "month"
    kind: Literal["on", "on_or_after"] = Field(
        "on", description='"on": bought in period k; "on_or_after": in k or any later period'
    )
    count: int = Field(12, ge=1, le=60, description="cohorts, and periods since acquisition")
    end: date | None = None
    retention_type: Literal["first_time", "recurring"] = Field(
        "first_time",
        description='"first_time": cohorts by first purchase; "recurring": by every purchase',
    )


class CohortCell(Schema):
    cohort: date = Field(..., description="first day of the acquisition period")
    period: int = Field(..., description="periods since acquisition (0: the first)")
    customers: int = Field(..., description="customers acquired in the cohort")
    active: int
    rate: float = Field(..., description="active / customers x 100")
    revenue: Money


@router.get(
    "/analytics/cohorts",
    response={200: list[CohortCell], **ERROR_RESPONSES},
    summary="Acquisition cohorts x periods since acquisition",
)
def cohorts(
    request: HttpRequest, query: Query[CohortQuery], in_segment: int | None = in_segment_query()
) -> list[dict[str, Any]]:
    table = selectors.cohort_table(
        user=caller(request),
        period=query.period,
        kind=query.kind,
        count_periods=query.count,
        end=query.end,
        retention_type=query.retention_type,
        within=within(request, in_segment),
    )
    return [
        {
            "cohort": _as_date(row.cohort),
            "period": int(row.period),
            "customers": int(row.customers),
            "active": int(row.active),
            "rate": float(row.rate),
            "revenue": row.revenue,
        }
        for row in table.itertuples(index=False)
    ]


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return value.to_timestamp().date() if hasattr(value, "to_timestamp") else value.date()


class OrdersQuery(AnalyticsInput):
    period: Literal["week", "month", "quarter"] = "month"
    count: int = Field(12, ge=1, le=120)
    end: date | None = None


class PeriodOrdersOut(Schema):
    period: date = Field(..., description="first day of the period")
    customers: int = Field(..., description="customers who bought in the period")
    new_customers: int
    returning_customers: int
    orders: int
    revenue: Money = Field(..., description="completed orders: net of refunds")
    average_order_value: Money
    purchase_frequency: float = Field(..., description="orders / customers")
    repeat_purchase_rate: float = Field(..., description="% of buyers with 2+ orders in it")


@router.get(
    "/analytics/orders",
    response={200: list[PeriodOrdersOut], **ERROR_RESPONSES},
    summary="Orders per period: buyers, revenue, average order value, frequency, repeat rate",
)
def orders_by_period(
    request: HttpRequest, query: Query[OrdersQuery], in_segment: int | None = in_segment_query()
) -> list[dict[str, Any]]:
    table = selectors.order_metrics(
        user=caller(request),
        period=query.period,
        count=query.count,
        end=query.end,
        within=within(request, in_segment),
    )
    return [
        {
            "period": _as_date(row.period),
            "customers": int(row.customers),
            "new_customers": int(row.new_customers),
            "returning_customers": int(row.returning_customers),
            "orders": int(row.orders),
            "revenue": Decimal(f"{row.revenue:.2f}"),
            "average_order_value": Decimal(f"{row.average_order_value:.2f}"),
            "purchase_frequency": float(row.purchase_frequency),
            "repeat_purchase_rate": float(row.repeat_purchase_rate),
        }
        for row in table.itertuples(index=False)
    ]


class ContractsQuery(AnalyticsInput):
    period: str = Field(
        ...,
        min_length=4,
        max_length=40,
        description='"2025-Q1", "2025-03", "2025" or "2025-01-01..2025-03-31"',
    )
    currency: str | None = Field(None, min_length=3, max_length=3)


class ContractsOut(Schema):
    start: date
    end: date
    currency: str
    currency_note: str
    start_mrr: Money
    new_mrr: Money
    churned_mrr: Money
    expansion_mrr: Money
    contraction_mrr: Money
    end_mrr: Money
    grr: float | None = Field(..., description="gross revenue retention, %; null when no MRR")
    nrr: float | None = Field(
        ..., description="(start MRR - churned - contraction + expansion) / start MRR, %"
    )
    up_for_renewal: int
    renewed: int
    renewal_rate: float | None
    subscriptions_at_start: int
    new_subscriptions: int
    churned_subscriptions: int
    subscriptions_at_end: int
    notes: list[str]


@router.get(
    "/analytics/contracts",
    response={200: ContractsOut, **ERROR_RESPONSES},
    summary="Subscriptions over a period: MRR movements, GRR, NRR and renewal rate",
)
def contracts(
    request: HttpRequest, query: Query[ContractsQuery], in_segment: int | None = in_segment_query()
) -> Any:
    start, end = selectors.period_bounds(query.period)
    return contract_figures(
        user=caller(request),
        start=start,
        end=end,
        currency=query.currency,
        within=within(request, in_segment),
    )


class SurvivalFitOut(Schema):
    cohort: str
    customers: int
    observed_periods: int
    observed_pct: list[float]
    alpha: float | None
    beta: float | None
    alpha_se: float | None
    beta_se: float | None
    log_likelihood: float | None
    survival_pct: list[float] = Field(..., description="S(t) x 100, t = 0 .. observed + ahead")
    reason: str = Field(..., description="why the cohort was not fitted (empty when it was)")


class CohortRowOut(Schema):
    cohort: str
    cohort_start: date
    period: int
    survivors: int
    retained_pct: float


class SurvivalOut(Schema):
    as_of: date
    interval: str
    periods_ahead: int
    rows: list[CohortRowOut]
    pooled: SurvivalFitOut | None
    cohorts: list[SurvivalFitOut]
    reason: str


@router.get(
    "/analytics/renewal-survival",
    response={200: SurvivalOut, **ERROR_RESPONSES},
    summary="Renewal cohorts and their shifted-beta-geometric survival projection",
)
def renewal_survival_projection(
    request: HttpRequest,
    periods_ahead: int = Query(5, ge=1, le=20),
    interval: Literal["month", "quarter", "year"] = "year",
    in_segment: int | None = in_segment_query(),
) -> Any:
    return renewal_survival(
        user=caller(request),
        periods_ahead=periods_ahead,
        interval=interval,
        within=within(request, in_segment),
    )


class TopCustomerOut(Schema):
    customer_id: int
    external_id: str
    name: str
    predicted_clv_365: Money
    historic_clv: Money
    p_alive: float
    churn_risk: float
    expected_purchases_365: float
    expected_next_order_at: datetime | None


@router.get(
    "/analytics/clv/top",
    response={200: list[TopCustomerOut], **ERROR_RESPONSES},
    summary="Customers with the highest predicted CLV over the next 365 days",
)
def clv_top(
    request: HttpRequest,
    n: int = Query(20, ge=1, le=1000),
    in_segment: int | None = in_segment_query(),
) -> list[Any]:
    return selectors.clv_top(user=caller(request), n=n, within=within(request, in_segment))


class DistributionOut(Schema):
    customers: int
    total: Money
    mean: float | None
    median: float | None
    edges: list[float] = Field(..., description="bins + 1 edges, from 0 to the 99th percentile")
    counts: list[int]
    above: int = Field(..., description="customers above the last edge")


@router.get(
    "/analytics/clv/distribution",
    response={200: DistributionOut, **ERROR_RESPONSES},
    summary="Histogram of predicted 365-day CLV",
)
def clv_distribution(
    request: HttpRequest,
    bins: int = Query(20, ge=1, le=200),
    in_segment: int | None = in_segment_query(),
) -> Any:
    return selectors.clv_distribution(
        user=caller(request), bins=bins, within=within(request, in_segment)
    )


class RecencyBucketOut(Schema):
    low_days: int
    high_days: int | None
    customers: int
    mean_p_alive: float | None


@router.get(
    "/analytics/p-alive-by-recency",
    response={200: list[RecencyBucketOut], **ERROR_RESPONSES},
    summary="Mean P(alive) by days since the last purchase",
)
def p_alive_by_recency(
    request: HttpRequest, in_segment: int | None = in_segment_query()
) -> list[Any]:
    return selectors.p_alive_by_recency(user=caller(request), within=within(request, in_segment))


class FitCheckOut(Schema):
    frequency: list[int] = Field(..., description="repeat purchases 0 .. top (last: top or more)")
    actual: list[int]
    expected: list[float | None] = Field(..., description="customers the fitted BG/NBD expects")
    top: int


@router.get(
    "/analytics/fit-check",
    response={200: FitCheckOut | None, **ERROR_RESPONSES},
    summary="Model fit: expected vs actual customers by repeat purchases (null before a fit)",
)
def fit_check(request: HttpRequest, in_segment: int | None = in_segment_query()) -> Any:
    check = selectors.fit_check(user=caller(request), within=within(request, in_segment))
    if check is None:
        return None
    return FitCheckOut(
        frequency=check.frequency,
        actual=check.actual,
        expected=[finite_or_none(value) for value in check.expected],
        top=check.top,
    )


class FitOut(Schema):
    id: int
    status: str
    error: str
    observation_end: date | None
    models_fitted: list[str]
    params: dict[str, Any] = Field(
        ...,
        description="per model: params and standard errors, or error (why it was not fitted), "
        "or for Gamma-Gamma at its boundary: boundary (in words) and mean_spend (used for all)",
    )
    purchase_model: str = Field(..., description="the model behind P(alive), purchases and CLV")
    backtest: dict[str, Any] = Field(
        ..., description="the backtest that chose the churn ranking (AUC of each candidate)"
    )
    log_likelihood: dict[str, float | None]
    horizon_days: int
    discount_rate_annual: float
    margin: float
    customers: int
    orders: int
    duration_seconds: float | None
    created_at: datetime
    fitted_at: datetime | None


@router.get(
    "/analytics/fits",
    response={200: list[FitOut], **ERROR_RESPONSES},
    summary="The latest model fits (queued, running, done or failed with the reason)",
)
def fits(request: HttpRequest, limit: int = Query(10, ge=1, le=100)) -> list[ModelFit]:
    require_all(request.user, why=_FITS_ARE_GLOBAL)
    return selectors.fits_recent(limit=limit)


# A fit counts every customer and order: a role that sees only its own must not learn those.
_FITS_ARE_GLOBAL = "model fits describe the whole customer base; your role sees only its own"


class FitIn(AnalyticsInput):
    observation_end: date | None = Field(None, description="default: today")
    horizon_days: int = Field(365, ge=1, le=3650)
    discount_rate_annual: float = Field(0.10, ge=0, le=1)
    margin: float = Field(1.0, ge=0, le=1, description="1.0: CLV as revenue")


@router.post(
    "/analytics/fits",
    response={202: FitOut, **ERROR_RESPONSES},
    summary="Refit the models in the background (admins and managers); follow it by id",
)
def fit_start(request: HttpRequest, payload: FitIn) -> Status:
    fit = services.clv_fit_enqueue(
        by=caller(request),
        observation_end=payload.observation_end,
        horizon_days=payload.horizon_days,
        discount_rate_annual=payload.discount_rate_annual,
        margin=payload.margin,
    )
    return Status(202, fit)


@router.get(
    "/analytics/fits/{fit_id}",
    response={200: FitOut, **ERROR_RESPONSES},
    summary="One model fit",
)
def fit_detail(request: HttpRequest, fit_id: RecordId) -> ModelFit:
    require_all(request.user, why=_FITS_ARE_GLOBAL)
    fit = ModelFit.objects.filter(pk=fit_id).first()
    if fit is None:
        raise Http404("no such fit")
    return fit


class PredictionOut(Schema):
    customer_id: int
    fit_id: int
    frequency: int
    recency: float
    T: float
    p_alive: float
    churn_risk: float
    expected_purchases_365: float
    expected_average_spend: Money
    predicted_clv_365: Money
    historic_clv: Money
    expected_next_order_at: datetime | None


@router.get(
    "/customers/{customer_id}/prediction",
    response={200: PredictionOut | None, **ERROR_RESPONSES},
    summary="A customer's stored predictions (null before a fit covers them)",
    tags=["analytics"],
)
def customer_prediction(request: HttpRequest, customer_id: RecordId) -> Any:
    return selectors.customer_prediction(user=caller(request), customer_id=customer_id)


# insight: the customers behind a retention figure, as the Analytics page's drill-down lists.


class RetentionCustomersQuery(RetentionQuery):
    part: Literal["retained", "lost", "joined", "active_end"] = Field(
        "lost",
        description="retained: active at both ends (S - lost); lost; joined: N; active_end: E",
    )


class CustomerIdsOut(Schema):
    count: int = Field(..., description="as many as the figure counts")
    customer_ids: list[RecordId] = Field(..., description="ascending")


@router.get(
    "/analytics/retention/customers",
    response={200: CustomerIdsOut, **ERROR_RESPONSES},
    summary="The customers behind one retention figure (retained, lost, joined, active at end)",
)
def retention_customers(
    request: HttpRequest,
    query: Query[RetentionCustomersQuery],
    in_segment: int | None = in_segment_query(),
) -> CustomerIdsOut:
    start, end = selectors.period_bounds(query.period)
    ids = retention_members(
        user=caller(request),
        start=start,
        end=end,
        rule=query.activity_rule(),
        part=query.part,
        within=within(request, in_segment),
    )
    found = sorted(int(i) for i in ids)
    return CustomerIdsOut(count=len(found), customer_ids=found)
