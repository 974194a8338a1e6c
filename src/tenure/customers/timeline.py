"""One timeline of a customer (or of an account over its customers): orders, interactions,
emails, tasks, stage moves, field changes, survey answers, referrals, comments and reviews
(voices), newest first, a page at a time with a keyset cursor, narrowed to the kinds asked for.

The apps that own those records (orders, interactions, feedback, todos, lifecycle, mail) sit
above this one in the layers, so their tables are reached through the customer's reverse
relations (``Customer._meta``), never imported; the change history (auditlog) sits below.
Each source is read with an index walk from the cursor, so the hundredth page costs what the
first does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q, QuerySet

from tenure.customers.models import Account, Customer
from tenure.domain.limits import integer_problem, moment_problem

# The kinds in the order the filters offer them, with their labels.
TIMELINE_KINDS = {
    "order": "Orders",
    "interaction": "Interactions",
    "message": "Emails",
    "task": "Tasks",
    "stage": "Stage moves",
    "change": "Field changes",
    "survey": "Survey answers",
    "referral": "Referrals",
    "voice": "Comments and reviews",
}
# Entries at the same instant are ordered by this rank, then newest id first: any fixed total
# order works, the cursor only has to name a place in it.
_SOURCE_RANK = {
    "order": 0, "interaction": 1, "survey": 2, "referral": 3, "message": 4, "task": 5,
    "stage": 6, "change": 7, "voice": 8,
}  # fmt: skip


@dataclass(frozen=True)
class TimelineEntry:
    """One entry; ``kind`` is a key of ``TIMELINE_KINDS``, ``item`` the record itself (a
    ``LogEntry`` for a field change, a ``StageTransition`` for a stage move)."""

    kind: str
    at: datetime
    item: Any

    @property
    def cursor(self) -> str:
        return f"{self.at.isoformat()}~{_SOURCE_RANK[self.kind]}~{self.item.pk}"


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: str | None


def timeline_kinds_parse(raw: Iterable[str] | None) -> frozenset[str]:
    """The kinds asked for (``?kind=order&kind=task``, or "order,task"); unknown words are
    dropped, and none (or none known) means every kind."""
    asked = {word.strip() for value in raw or () for word in str(value).split(",")}
    known = frozenset(asked & TIMELINE_KINDS.keys())
    return known or frozenset(TIMELINE_KINDS)


def _parse_cursor(cursor: str | None) -> tuple[datetime, int, int] | None:
    if not cursor:
        return None
    try:
        at, rank, pk = cursor.split("~")
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or int(rank) not in _SOURCE_RANK.values():
            return None
        if moment_problem(moment) or integer_problem(int(pk)):  # a forged cursor
            return None
        return moment, int(rank), int(pk)
    except ValueError:
        return None


def _before(field: str, rank: int, cursor: tuple[datetime, int, int] | None) -> Q:
    """Rows of the source with ``rank`` that come after ``cursor`` in newest-first order."""
    if cursor is None:
        return Q()
    at, cursor_rank, pk = cursor
    same_instant = Q(**{field: at})
    if rank < cursor_rank:
        tie = same_instant
    elif rank == cursor_rank:
        tie = same_instant & Q(pk__lt=pk)
    else:
        tie = Q(pk__in=[])
    return Q(**{f"{field}__lt": at}) | tie


def _model(relation: str) -> type[Model]:
    """The model of a customer's reverse relation (an app above this one)."""
    return Customer._meta.get_field(relation).related_model  # type: ignore[return-value]


def _sources(customers: Any, account: Account | None) -> dict[str, tuple[QuerySet[Any], str]]:
    """Each kind's rows about ``customers`` (ids, or a subquery of them) and, for an account's
    timeline, about the account itself; with the field that dates them."""
    own = Q(customer_id__in=customers)
    of_account = own | Q(account=account) if account is not None else own
    changed = Q(content_type=ContentType.objects.get_for_model(Customer), object_id__in=customers)
    if account is not None:
        changed |= Q(content_type=ContentType.objects.get_for_model(Account), object_id=account.pk)
    return {
        "order": (
            _model("orders")._default_manager.filter(own).select_related("customer"),
            "placed_at",
        ),
        "interaction": (
            _model("interactions")._default_manager.filter(of_account)
            .select_related("author", "contact", "customer"),
            "occurred_at",
        ),
        "survey": (_model("survey_responses")._default_manager.filter(own), "answered_at"),
        # Comments and reviews (tenure.voices): the customer's, and an account's own.
        "voice": (
            _model("voices")._default_manager.filter(of_account).select_related("customer"),
            "published_at",
        ),
        "referral": (
            _model("referrals_made")._default_manager.filter(
                Q(referrer_id__in=customers) | Q(referred_customer_id__in=customers)
            ),
            "referred_at",
        ),
        # Email: each message at the moment it was due, with what became of it and why; an
        # account's also those to its contacts who are no customers (the results report).
        "message": (
            _model("messages")._default_manager
            .filter(own | Q(contact__account=account) if account is not None else own)
            .defer("raw", "html", "text").select_related("customer", "contact"),
            "due_at",
        ),
        "task": (
            _model("tasks")._default_manager.filter(of_account)
            .select_related("owner", "customer"),
            "created_at",
        ),
        # The effective history: moves a replay replaced are not what happened.
        "stage": (
            _model("stage_transitions")._default_manager.filter(own, superseded_at__isnull=True)
            .select_related("customer"),
            "effective_at",
        ),
        "change": (
            LogEntry.objects.filter(changed, action=LogEntry.Action.UPDATE)
            .select_related("actor"),
            "timestamp",
        ),
    }  # fmt: skip


def _page(
    sources: dict[str, tuple[QuerySet[Any], str]],
    before: str | None,
    limit: int,
    kinds: Iterable[str] | None,
) -> TimelinePage:
    cursor = _parse_cursor(before)
    wanted = frozenset(kinds) if kinds is not None else frozenset(TIMELINE_KINDS)
    entries: list[TimelineEntry] = []
    for kind, (rows, field) in sources.items():
        if kind not in wanted:
            continue
        found = rows.filter(_before(field, _SOURCE_RANK[kind], cursor)).order_by(
            f"-{field}", "-id"
        )[: limit + 1]
        entries += [TimelineEntry(kind, getattr(row, field), row) for row in found]
    entries.sort(key=lambda e: (e.at, _SOURCE_RANK[e.kind], e.item.pk), reverse=True)
    page = entries[:limit]
    has_more = len(entries) > limit
    return TimelinePage(entries=page, next_cursor=page[-1].cursor if has_more and page else None)


def customer_timeline(
    *,
    customer: Customer,
    before: str | None = None,
    limit: int = 20,
    kinds: Iterable[str] | None = None,
) -> TimelinePage:
    """The customer's timeline, newest first, ``limit`` at a time; ``before`` is the previous
    page's ``next_cursor``; ``kinds`` (None: all) keys of ``TIMELINE_KINDS``."""
    return _page(_sources([customer.pk], None), before, limit, kinds)


def account_timeline(
    *,
    account: Account,
    customers: QuerySet[Customer],
    before: str | None = None,
    limit: int = 20,
    kinds: Iterable[str] | None = None,
) -> TimelinePage:
    """The account's timeline: the same over ``customers`` (the account's customers the
    user may see, from ``account_customers``) and the account's own interactions, tasks and
    changes."""
    ids = customers.order_by().values("pk")
    return _page(_sources(ids, account), before, limit, kinds)
