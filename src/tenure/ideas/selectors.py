"""Reading the ideas board within the reader's scope. Every role reads every idea; the
customers behind it, and what they weigh (how many asked, their cached revenue, their
predicted CLV), are counted over the customers the reader may see: a success manager weighs
an idea by their own book, as the surveys' rates are counted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from tenure.access import sees_all, visible
from tenure.customers.models import Customer
from tenure.ideas.models import Idea, IdeaRequest
from tenure.users.models import User

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=18, decimal_places=2))


def _requests_seen(user: Any, prefix: str = "requests__") -> Q | None:
    """Which requests count for ``user`` (None: all of them; ``user`` None is the operator
    at the command line)."""
    if user is None or sees_all(user):
        return None
    return Q(**{f"{prefix}customer__in": visible(user, Customer).values("pk")})


def ideas_weighed(user: Any, ideas: QuerySet[Idea]) -> QuerySet[Idea]:
    """``ideas`` with ``customers`` (how many asked), ``revenue`` (their cached revenue) and
    ``clv`` (their predicted CLV over 365 days, where a fit predicted one), over the
    requests the reader may see. One row per idea: a request is one customer, who has one
    prediction at most."""
    seen = _requests_seen(user)
    money = DecimalField(max_digits=18, decimal_places=2)
    return ideas.annotate(
        customers=Count("requests", filter=seen),
        revenue=Coalesce(Sum("requests__customer__revenue", filter=seen), ZERO, output_field=money),
        clv=Coalesce(
            Sum("requests__customer__prediction__predicted_clv_365", filter=seen), ZERO,
            output_field=money,
        ),
    )  # fmt: skip


def idea_requests(*, user: User, idea: Idea) -> QuerySet[IdeaRequest]:
    """The idea's requests the reader may see, newest first, with their customer's figures."""
    return (
        visible(user, IdeaRequest)
        .filter(idea=idea)
        .select_related("customer", "customer__prediction", "contact", "created_by")
    )


def customer_idea_requests(*, user: User, customer_id: int) -> list[IdeaRequest]:
    """The ideas a customer asked for (their page's part)."""
    return list(
        visible(user, IdeaRequest).filter(customer_id=customer_id).select_related("idea")[:50]
    )


def idea_merge_targets(*, idea: Idea) -> list[Idea]:
    """The ideas another may be merged into: open (not merged), not itself."""
    return list(
        Idea.objects.filter(merged_into__isnull=True).exclude(pk=idea.pk).order_by("title")[:500]
    )
