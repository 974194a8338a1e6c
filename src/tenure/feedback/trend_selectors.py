"""Reads of survey trends: NPS, CSAT and CES per account, person, project, owner or segment and
calendar period, with intervals and response rates (``tenure.analytics.feedback_trends``).

Counted over the answers and invitations of the customers the user may see, and with
``within`` (a segment's members now, as the analytics pages pass it) over those only. A group:

- ``account``: the invitation's account, else the customer's;
- ``person``: the invitation's contact if any, else the customer who answered;
- ``project``: the order the answer (or its invitation) is about; answers about none are left
  out;
- ``owner``: the customer's owner (the account's when the customer has none);
- ``segment``: one group, the segment chosen (or every customer the user sees).

Periods are calendar weeks, months or quarters in the business's time zone (``TIME_ZONE``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from django.conf import settings
from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from tenure.access import visible
from tenure.analytics.errors import InvalidInputError
from tenure.analytics.feedback import KINDS
from tenure.analytics.feedback_trends import survey_trends
from tenure.customers.models import Account, Contact, Customer
from tenure.feedback.models import SurveyInvitation, SurveyResponse
from tenure.feedback.survey_selectors import invitations_visible
from tenure.users.models import User

GROUPS: dict[str, str] = {
    "account": "Account",
    "person": "Person",
    "project": "Project",
    "owner": "Owner",
    "segment": "Segment",
}
PERIODS = ("week", "month", "quarter")
MAX_GROUPS = 200
_ANSWER_GROUP: dict[str, Any] = {
    "account": Coalesce("invitation__account_id", "customer__account_id"),
    "project": Coalesce("order_id", "invitation__order_id"),
    "owner": Coalesce("customer__owner_id", "customer__account__owner_id"),
}
_INVITATION_GROUP: dict[str, Any] = {
    "account": Coalesce("account_id", "customer__account_id"),
    "project": "order_id",
    "owner": Coalesce("customer__owner_id", "customer__account__owner_id"),
}


@dataclass(frozen=True)
class TrendQuery:
    kind: str
    by: str
    period: str


def trend_query(*, kind: str, by: str, period: str) -> TrendQuery:
    """The page's choices checked; ``InvalidInputError`` naming the field otherwise."""
    if kind not in KINDS:
        raise InvalidInputError("kind", f"must be nps, csat or ces, got {kind[:40]!r}")
    if by not in GROUPS:
        raise InvalidInputError("by", f"must be one of {', '.join(GROUPS)}, got {by[:40]!r}")
    if period not in PERIODS:
        raise InvalidInputError("period", f"must be week, month or quarter, got {period[:40]!r}")
    return TrendQuery(kind, by, period)


@dataclass(frozen=True)
class TrendPoint:
    """One period of one group: the score with its interval, n, and the response rate."""

    period: date
    partial: bool
    n: int
    score: float | None
    low: float | None
    high: float | None
    few_answers: bool
    invited: int
    responded: int
    response_rate: float | None
    change: float | None

    @property
    def caution(self) -> str:
        """The caution in words, "from 12 answers: read with care", for a score on few answers."""
        if not self.n or not self.few_answers:
            return ""
        return f"from {self.n} answer{'' if self.n == 1 else 's'}: read with care"


@dataclass(frozen=True)
class TrendGroup:
    key: str
    label: str
    link: tuple[str, int] | None  # (URL name, id) of the group's page, if it has one
    latest: TrendPoint
    points: list[TrendPoint]


def _none(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _point(row: Any) -> TrendPoint:
    invited = int(getattr(row, "invited", 0) or 0)
    return TrendPoint(
        period=pd.Timestamp(row.period).date(),
        partial=bool(row.partial),
        n=int(row.n),
        score=_none(row.score),
        low=_none(row.low),
        high=_none(row.high),
        few_answers=bool(row.few_answers),
        invited=invited,
        responded=int(getattr(row, "responded", 0) or 0),
        response_rate=_none(getattr(row, "response_rate", None)),
        change=_none(row.change),
    )


def _answers(user: User | None, kind: str | None, within: QuerySet[Any, Any] | None) -> Any:
    answers = SurveyResponse.objects.all() if user is None else visible(user, SurveyResponse)
    answers = answers if kind is None else answers.filter(kind=kind)
    return answers if within is None else answers.filter(customer_id__in=within)


def _person(contact_id: int | None, customer_id: int) -> str:
    return f"contact:{contact_id}" if contact_id else f"customer:{customer_id}"


def _moments(values: Iterable[datetime]) -> pd.Series:
    stamps = pd.to_datetime(pd.Series(list(values), dtype=object), utc=True)
    return stamps.dt.tz_convert(settings.TIME_ZONE)


def trend_frames(
    *,
    user: User | None,
    kind: str,
    by: str,
    within: QuerySet[Any, Any] | None = None,
    segment: str = "Every customer you see",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The answers and invitations as :func:`survey_trends` reads them, with the ``by``
    column (a group's key: an id, or ``contact:<id>`` / ``customer:<id>`` for a person)."""
    answers = _answers(user, kind, within)
    invitations = invitations_visible(user=user).filter(survey__kind=kind)
    if within is not None:
        invitations = invitations.filter(customer_id__in=within)
    fields = ["answered_at", "score"]
    a_keys: list[str | None]
    i_keys: list[str | None]
    sent = ["sent_at", "answered_at"]
    if by == "person":
        a_rows = list(answers.values_list(*fields, "invitation__contact_id", "customer_id"))
        i_rows = list(invitations.values_list(*sent, "contact_id", "customer_id"))
        a_keys = [_person(r[2], r[3]) for r in a_rows]
        i_keys = [_person(r[2], r[3]) for r in i_rows]
    elif by == "segment":
        a_rows = list(answers.values_list(*fields))
        i_rows = list(invitations.values_list(*sent))
        a_keys, i_keys = [segment] * len(a_rows), [segment] * len(i_rows)
    else:
        a_rows = list(answers.values_list(*fields, _ANSWER_GROUP[by]))
        i_rows = list(invitations.values_list(*sent, _INVITATION_GROUP[by]))
        a_keys = [None if r[2] is None else str(r[2]) for r in a_rows]
        i_keys = [None if r[2] is None else str(r[2]) for r in i_rows]
    answer_frame = pd.DataFrame(
        {
            "answered_at": _moments(r[0] for r in a_rows),
            "kind": [kind] * len(a_rows),
            "score": pd.Series([r[1] for r in a_rows], dtype="int64"),
            by: pd.Series(a_keys, dtype=object),
        }
    )
    invitation_frame = pd.DataFrame(
        {
            "sent_at": _moments(r[0] for r in i_rows),
            "kind": [kind] * len(i_rows),
            "answered": pd.Series([r[1] is not None for r in i_rows], dtype=bool),
            by: pd.Series(i_keys, dtype=object),
        }
    )
    return answer_frame, invitation_frame


def _labels(by: str, keys: list[str]) -> dict[str, tuple[str, tuple[str, int] | None]]:
    """Each group key's name and the page it opens."""
    if by == "segment":
        return {key: (key, None) for key in keys}
    if by == "person":
        ids = {kind: [int(k.split(":")[1]) for k in keys if k.startswith(kind)]
               for kind in ("contact", "customer")}  # fmt: skip
        out: dict[str, tuple[str, tuple[str, int] | None]] = {}
        for contact in Contact.objects.filter(pk__in=ids["contact"]).select_related("account"):
            out[f"contact:{contact.pk}"] = (
                f"{contact} ({contact.account.name})",
                ("web:account", contact.account_id),
            )
        for customer in Customer.objects.filter(pk__in=ids["customer"]):
            name = customer.name or customer.external_id
            out[f"customer:{customer.pk}"] = (str(name), ("web:customer", customer.pk))
        return out
    numbers = [int(key) for key in keys]
    if by == "account":
        rows = Account.objects.filter(pk__in=numbers).values_list("pk", "name")
        return {str(pk): (name, ("web:account", pk)) for pk, name in rows}
    if by == "project":
        # Through the answers' and invitations' own links: orders are a sibling app.
        found = {
            **dict(
                SurveyInvitation.objects.filter(order_id__in=numbers).values_list(
                    "order_id", "order__external_id"
                )
            ),
            **dict(
                SurveyResponse.objects.filter(order_id__in=numbers).values_list(
                    "order_id", "order__external_id"
                )
            ),
        }
        return {str(pk): (f"Order {ext}", ("web:order", pk)) for pk, ext in found.items()}
    return {str(u.pk): (str(u), None) for u in User.objects.filter(pk__in=numbers)}


def survey_trend_groups(
    *,
    user: User | None,
    query: TrendQuery,
    now: datetime,
    within: QuerySet[Any, Any] | None = None,
    segment: str = "Every customer you see",
) -> tuple[list[TrendGroup], int]:
    """Per group, its periods (oldest first) and its latest period with answers; the groups by
    name, at most :data:`MAX_GROUPS`, and how many there were."""
    answers, invitations = trend_frames(
        user=user, kind=query.kind, by=query.by, within=within, segment=segment
    )
    if answers.empty:
        return [], 0
    trend = survey_trends(
        answers, by=[query.by], now=now, period=query.period,  # type: ignore[arg-type]
        invitations=invitations, tz=settings.TIME_ZONE,
    )  # fmt: skip
    trend = trend[trend[query.by].isin(set(answers[query.by].dropna()))]
    keys = sorted(trend[query.by].unique().tolist())
    labels = _labels(query.by, keys)
    groups = []
    for key, rows in trend.groupby(query.by, sort=False):
        points = [_point(row) for row in rows.itertuples(index=False)]
        answered = [p for p in points if p.n]
        label, link = labels.get(str(key), (str(key), None))
        groups.append(TrendGroup(str(key), label, link, answered[-1], points))
    groups.sort(key=lambda g: (g.label.casefold(), g.key))
    return groups[:MAX_GROUPS], len(groups)


def survey_trend_card(
    *,
    user: User | None,
    customers: QuerySet[Customer],
    now: datetime,
    kinds: tuple[str, ...] = ("nps", "csat"),
    quarters: int = 4,
) -> dict[str, list[TrendPoint]]:
    """The customer or account page's card: ``customers``' NPS and CSAT by quarter (the last
    ``quarters`` with answers, oldest first), among the answers ``user`` may see."""
    answers = (
        _answers(user, None, customers.values("pk"))
        .filter(kind__in=kinds)
        .values_list("answered_at", "kind", "score")
    )
    rows = list(answers)
    if not rows:
        return {}
    frame = pd.DataFrame(
        {
            "answered_at": _moments(r[0] for r in rows),
            "kind": [r[1] for r in rows],
            "score": pd.Series([r[2] for r in rows], dtype="int64"),
        }
    )
    trend = survey_trends(frame, by=[], now=now, period="quarter", tz=settings.TIME_ZONE)
    out: dict[str, list[TrendPoint]] = {}
    for kind in kinds:
        points = [_point(row) for row in trend[trend["kind"] == kind].itertuples(index=False)]
        if answered := [p for p in points if p.n][-quarters:]:
            out[kind] = answered
    return out
