"""The churn audit on the business's records: churned against retained customers over every
attribute tenure holds about them (``tenure.analytics.audit.churn_audit``).

What is compared, per buyer in a stage (leads never bought, so they cannot have churned):

- the customer's fields (category, acquisition channel, age from the birthday) and every
  custom attribute imported with them (``tenure.analytics.attributes``);
- how they came and how they are served: referred or not, on an account, with an owner, ever
  on a subscription;
- their account's fields (industry, size band, budget band) and its custom attributes;
- their first order's value, what they said (latest NPS and CSAT answer), and complaints per
  order.

What is left out, on purpose: churn is *defined* by silence (and cancellation), so the number
of orders, revenue, recency and anything counted up to now differ between churned and
retained customers by construction. Testing them would always "find" them and, inside the
false-discovery-rate family, loosen the test of the real attributes. Complaints are counted
per order, not in total, for the same reason: a customer who stayed longer had more time to
complain. "Customer since" is left out too: the earlier someone came, the more time they had
to go.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from tenure.access import visible
from tenure.analytics.attributes import attributes_frame
from tenure.analytics.audit import COLUMNS as AUDIT_COLUMNS
from tenure.analytics.audit import churn_audit
from tenure.analytics.drill_figures import audit_bar_counts
from tenure.analytics.errors import InvalidInputError
from tenure.customers.models import Customer, Subscription
from tenure.feedback.models import Referral, SurveyKind, SurveyResponse
from tenure.interactions.models import Interaction, InteractionKind
from tenure.lifecycle.services import active_model
from tenure.orders.models import Order, OrderStatus
from tenure.users.models import User

FIELD_LABELS = {
    "category": "Category", "channel": "Acquisition channel", "age": "Age (years)",
    "was_referred": "Was referred", "has_account": "Belongs to an account",
    "has_owner": "Has an owner", "has_subscription": "Has had a subscription",
    "industry": "Account industry", "size_band": "Account size band",
    "budget_band": "Account budget band", "first_order_value": "First order value",
    "latest_nps": "Latest NPS answer", "latest_csat": "Latest CSAT answer",
    "complaints_per_order": "Complaints per order",
}  # fmt: skip

LEFT_OUT = (
    "Left out because they define churn: number of orders, revenue, days since the last "
    "order and customer since (a churned customer is one who stopped ordering)."
)


def _customers(user: User | None, within: QuerySet[Any, Any] | None) -> QuerySet[Customer]:
    customers = Customer.objects.all() if user is None else visible(user, Customer)
    return customers if within is None else customers.filter(pk__in=within)


def _age_years(birthdays: pd.Series, today: date) -> np.ndarray:
    def years(born: date | None) -> float:
        if born is None or pd.isna(born):
            return np.nan
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    return np.array([years(born) for born in birthdays], dtype=np.float64)


def churn_audit_frame(
    *,
    user: User | None,
    today: date | None = None,
    within: QuerySet[Any, Any] | None = None,
) -> pd.DataFrame:
    """One row per visible buyer in a stage (``within``: among those customers), indexed by the
    customer's id: ``churned`` (in the churned stage) and every attribute the audit compares;
    ``attrs["labels"]`` names them, ``attrs["notes"]`` says what was left out of the custom
    attributes."""
    today = today or timezone.localdate()
    completed = Order.objects.filter(customer=OuterRef("pk"), status=OrderStatus.COMPLETED)
    first_amount = completed.order_by("placed_at", "id").values("amount")[:1]
    complaints = (
        Interaction.objects.filter(customer=OuterRef("pk"), kind=InteractionKind.COMPLAINT)
        .order_by()
        .values("customer")
        .annotate(n=Count("id"))
        .values("n")
    )

    def latest(kind: str) -> Subquery:
        answers = SurveyResponse.objects.filter(customer=OuterRef("pk"), kind=kind)
        return Subquery(answers.order_by("-answered_at", "-id").values("score")[:1])

    _definition, model = active_model()
    rows = (
        _customers(user, within)
        .filter(lifecycle_stage__isnull=False)
        .exclude(lifecycle_stage__stage__in=model.keys_with_role("lead"))
        .annotate(
            first_order_value=Subquery(first_amount),
            complaints=Coalesce(Subquery(complaints, output_field=IntegerField()), 0),
            has_subscription=Exists(Subscription.objects.filter(customer=OuterRef("pk"))),
            was_referred=Exists(Referral.objects.filter(referred_customer=OuterRef("pk"))),
            latest_nps=latest(SurveyKind.NPS),
            latest_csat=latest(SurveyKind.CSAT),
        )
        .order_by("pk")
        .values_list(
            "lifecycle_stage__stage", "category", "channel", "birthday", "account__industry",
            "account__size_band", "account__budget_band", "first_order_value", "orders_count",
            "complaints", "has_subscription", "was_referred", "latest_nps", "latest_csat",
            "account_id", "owner_id", "custom_attributes", "account__custom_attributes", "pk",
        )
    )  # fmt: skip
    columns = ["stage", "category", "channel", "birthday", "industry", "size_band",
               "budget_band", "first_order_value", "orders_count", "complaints",
               "has_subscription", "was_referred", "latest_nps", "latest_csat", "account",
               "owner", "custom", "account_custom", "id"]  # fmt: skip
    frame = pd.DataFrame(list(rows), columns=columns)
    ids = frame.pop("id").to_numpy(dtype=np.int64)
    frame["churned"] = frame.pop("stage").isin(model.keys_with_role("lost"))
    frame["age"] = _age_years(frame.pop("birthday"), today)
    frame["has_account"] = frame.pop("account").notna()
    frame["has_owner"] = frame.pop("owner").notna()
    for name in ("category", "channel", "industry", "size_band", "budget_band"):
        frame[name] = frame[name].replace("", None)
    frame["first_order_value"] = pd.to_numeric(frame["first_order_value"], errors="coerce")
    for name in ("latest_nps", "latest_csat"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(np.float64)
    orders = frame.pop("orders_count").to_numpy(dtype=np.float64)
    complaints = frame.pop("complaints").to_numpy(dtype=np.float64)
    frame["complaints_per_order"] = complaints / np.maximum(orders, 1.0)
    own = attributes_frame(frame.pop("custom"), prefix="custom__", label_prefix="")
    account = attributes_frame(
        frame.pop("account_custom"), prefix="account__", label_prefix="Account: "
    )
    # A custom attribute named like a field stays apart: its column has a prefix.
    frame = pd.concat([frame, own.frame, account.frame], axis=1)
    frame.index = pd.Index(ids, name="customer_id")  # a chart's bar lists its customers
    frame.attrs["labels"] = {**FIELD_LABELS, **own.labels, **account.labels}
    frame.attrs["notes"] = [
        *(f"Custom attributes: {note}" for note in own.notes),
        *(f"Account attributes: {note}" for note in account.notes),
    ]
    return frame


def churn_audit_for(
    *, user: User | None, alpha: float = 0.05, within: QuerySet[Any, Any] | None = None
) -> pd.DataFrame:
    """Churned against retained customers over every attribute, significant findings first
    (``tenure.analytics.audit.churn_audit``: chi-square / Mann-Whitney, Benjamini-Hochberg,
    effect sizes with 95 % intervals).

    ``attrs`` holds ``churned``, ``retained``, ``alpha``, ``tested``, ``summary`` (the outcome
    in one sentence, "No difference found ..." when nothing differs), ``left_out`` (what is not
    tested and why), ``members`` (how many customers each tested attribute's bar opens:
    ``tenure.analytics.drill_figures.audit_bar_counts``) and ``note``: why the table is empty
    when there is nothing to compare yet (no churned or no retained customer), else ``""``."""
    if not 0 < alpha < 1:
        raise InvalidInputError("alpha", f"must be between 0 and 1, got {alpha!r}")
    frame = churn_audit_frame(user=user, within=within)
    labels: dict[str, str] = frame.attrs["labels"]
    notes: list[str] = frame.attrs["notes"]
    churned = int(frame["churned"].sum())
    retained = len(frame) - churned
    left_out = " ".join([LEFT_OUT, *notes])
    if not churned or not retained:
        empty = pd.DataFrame({name: pd.Series(dtype=object) for name in AUDIT_COLUMNS})
        missing = "churned" if not churned else "retained"
        empty.attrs = {
            "churned": churned, "retained": retained, "alpha": alpha, "tested": 0,
            "summary": "", "left_out": left_out, "members": {},
            "note": f"no {missing} customers to compare with yet",
        }  # fmt: skip
        return empty
    attributes = [name for name in frame.columns if name != "churned"]
    result = churn_audit(frame, "churned", attributes, alpha=alpha, labels=labels)
    # how many customers each bar opens (the drill-down's count), by attribute
    result.attrs.update(note="", left_out=left_out, members=audit_bar_counts(frame, result))
    return result
