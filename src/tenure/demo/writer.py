"""Write a generated demo business to the database, table by table, in bulk.

Called by ``demo_load`` inside its transaction; every insert is a ``bulk_create`` in batches,
and the primary keys it returns (PostgreSQL, SQLite >= 3.35) link the next table to the last.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import models

from tenure.customers.models import (
    Account,
    Consent,
    Contact,
    Customer,
    SpecialDate,
    Subscription,
)
from tenure.demo.models import DemoTruth
from tenure.demo.records import DemoBusiness, TeamMemberRecord
from tenure.events.bulk import events_write_rows
from tenure.events.record import events_record
from tenure.events.tracking import events_of_created
from tenure.feedback.models import Referral, SurveyResponse
from tenure.interactions.models import Interaction
from tenure.mail.models import Message, MessageKind, MessageStatus, Template
from tenure.orders.models import Order, OrderLine
from tenure.orders.services import customer_stats_refresh
from tenure.playbooks.models import Playbook
from tenure.users.models import Role, User

BATCH_SIZE = 2000
M = TypeVar("M", bound=models.Model)


def _insert(model: type[M], rows: Sequence[M]) -> list[int]:
    """Insert ``rows`` and return their primary keys, in order."""
    created = model._default_manager.bulk_create(rows, batch_size=BATCH_SIZE)
    ids = [row.pk for row in created]
    if any(pk is None for pk in ids):  # a database that cannot return ids from bulk inserts
        raise RuntimeError(f"{model.__name__}: the database did not return the new ids")
    # The events every other path writes for these creations (customers created, orders
    # placed, ...), so the lifecycle, webhooks and later playbooks hear about the demo too.
    events_record(events_of_created(created))
    return ids


def _team(members: Sequence[TeamMemberRecord]) -> dict[str, int]:
    """The demo team by username; members who exist already (same username) are reused."""
    existing = dict(
        User.objects.filter(username__in=[m.username for m in members]).values_list(
            "username", "id"
        )
    )
    new = []
    for member in members:
        if member.username in existing:
            continue
        user = User(
            username=member.username,
            first_name=member.first_name,
            last_name=member.last_name,
            email=member.email,
            role=member.role,
            # the same rule as users.services.user_create; no password: nobody logs in as them
            is_staff=member.role in (Role.ADMIN, Role.MANAGER),
            is_superuser=member.role == Role.ADMIN,
        )
        user.set_unusable_password()
        new.append(user)
    ids = _insert(User, new)
    return existing | {user.username: pk for user, pk in zip(new, ids, strict=True)}


def _teams(through: Any, owner_field: str, ids: list[int], teams: list[tuple[int, ...]]) -> None:
    """Rows of a ``team`` many-to-many table: (record id, user id) pairs."""
    rows = [
        through(**{owner_field: record_id, "user_id": user_id})
        for record_id, members in zip(ids, teams, strict=True)
        for user_id in members
    ]
    through.objects.bulk_create(rows, batch_size=BATCH_SIZE)


def business_write(business: DemoBusiness) -> None:
    """Insert every record of ``business``; the caller owns the transaction."""
    users = _team(business.team)
    account_ids = _insert(
        Account,
        [
            Account(
                name=a.name,
                industry=a.industry,
                size_band=a.size_band,
                budget_band=a.budget_band,
                website=a.website,
                custom_attributes=a.custom_attributes,
                owner_id=users[a.owner],
                created_at=a.created_at,
            )
            for a in business.accounts
        ],
    )
    _teams(
        Account.team.through,
        "account_id",
        account_ids,
        [tuple(users[u] for u in a.team) for a in business.accounts],
    )
    contact_ids = _insert(
        Contact,
        [
            Contact(
                account_id=account_ids[c.account],
                first_name=c.first_name,
                last_name=c.last_name,
                email=c.email,
                phone=c.phone,
                title=c.title,
                role=c.role,
                is_primary=c.is_primary,
            )
            for c in business.contacts
        ],
    )
    customer_ids = _customers_write(business, users=users, account_ids=account_ids)
    order_ids = _orders_write(business, customer_ids=customer_ids)
    _profile_write(business, customer_ids=customer_ids)
    _interactions_write(
        business,
        users=users,
        account_ids=account_ids,
        contact_ids=contact_ids,
        customer_ids=customer_ids,
    )
    _feedback_write(business, customer_ids=customer_ids, order_ids=order_ids)
    _messages_write(business, customer_ids=customer_ids)


def _customers_write(
    business: DemoBusiness, *, users: dict[str, int], account_ids: list[int]
) -> list[int]:
    customer_ids = _insert(
        Customer,
        [
            Customer(
                external_id=c.external_id,
                first_name=c.first_name,
                last_name=c.last_name,
                email=c.email,
                phone=c.phone,
                birthday=c.birthday,
                time_zone=c.time_zone,
                channel=c.channel,
                category=c.category,
                account_id=None if c.account is None else account_ids[c.account],
                custom_attributes=c.custom_attributes,
                owner_id=None if c.owner is None else users[c.owner],
                created_at=c.created_at,
            )
            for c in business.customers
        ],
    )
    _teams(
        Customer.team.through,
        "customer_id",
        customer_ids,
        [tuple(users[u] for u in c.team) for c in business.customers],
    )
    _insert(
        DemoTruth,
        [
            DemoTruth(
                customer_id=customer_ids[t.customer],
                purchases_per_year=t.purchases_per_year,
                dropout_probability=t.dropout_probability,
                dropped_out_at=t.dropped_out_at,
            )
            for t in business.truths
        ],
    )
    return customer_ids


def _orders_write(business: DemoBusiness, *, customer_ids: list[int]) -> list[int]:
    order_ids = _insert(
        Order,
        [
            Order(
                external_id=o.external_id,
                customer_id=customer_ids[o.customer],
                placed_at=o.placed_at,
                amount=o.amount,
                currency=o.currency,
                status=o.status,
            )
            for o in business.orders
        ],
    )
    _insert(
        OrderLine,
        [
            OrderLine(
                order_id=order_ids[line.order],
                sku=line.sku,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
            for line in business.order_lines
        ],
    )
    customer_stats_refresh(customer_ids=customer_ids)
    return order_ids


def _profile_write(business: DemoBusiness, *, customer_ids: list[int]) -> None:
    _insert(
        SpecialDate,
        [
            SpecialDate(
                customer_id=customer_ids[d.customer],
                label=d.label,
                date=d.date,
                recurs_yearly=d.recurs_yearly,
            )
            for d in business.special_dates
        ],
    )
    _insert(
        Consent,
        [
            Consent(
                customer_id=customer_ids[c.customer],
                purpose=c.purpose,
                granted=c.granted,
                changed_at=c.changed_at,
                source=c.source,
            )
            for c in business.consents
        ],
    )
    _insert(
        Subscription,
        [
            Subscription(
                external_id=s.external_id,
                customer_id=customer_ids[s.customer],
                plan=s.plan,
                amount=s.amount,
                currency=s.currency,
                interval=s.interval,
                started_at=s.started_at,
                renews_at=s.renews_at,
                cancelled_at=s.cancelled_at,
                cancellation_reason=s.cancellation_reason,
            )
            for s in business.subscriptions
        ],
    )


def _interactions_write(
    business: DemoBusiness,
    *,
    users: dict[str, int],
    account_ids: list[int],
    contact_ids: list[int],
    customer_ids: list[int],
) -> None:
    def pick(ids: list[int], index: int | None) -> int | None:
        return None if index is None else ids[index]

    _insert(
        Interaction,
        [
            Interaction(
                customer_id=pick(customer_ids, i.customer),
                account_id=pick(account_ids, i.account),
                contact_id=pick(contact_ids, i.contact),
                kind=i.kind,
                occurred_at=i.occurred_at,
                author_id=None if i.author is None else users[i.author],
                subject=i.subject,
                body=i.body,
                status=i.status,
                resolution=i.resolution,
                resolved_at=i.resolved_at,
            )
            for i in business.interactions
        ],
    )


def _feedback_write(
    business: DemoBusiness, *, customer_ids: list[int], order_ids: list[int]
) -> None:
    _insert(
        SurveyResponse,
        [
            SurveyResponse(
                external_id=a.external_id,
                customer_id=customer_ids[a.customer],
                kind=a.kind,
                score=a.score,
                comment=a.comment,
                answered_at=a.answered_at,
                channel=a.channel,
                order_id=None if a.order is None else order_ids[a.order],
            )
            for a in business.survey_responses
        ],
    )
    _insert(
        Referral,
        [
            Referral(
                external_id=r.external_id,
                referrer_id=customer_ids[r.referrer],
                referred_customer_id=(
                    None if r.referred_customer is None else customer_ids[r.referred_customer]
                ),
                referred_email=r.referred_email,
                referred_at=r.referred_at,
                status=r.status,
            )
            for r in business.referrals
        ],
    )


def _messages_write(business: DemoBusiness, *, customer_ids: list[int]) -> None:
    """The email history as the sender would have left it: each message sent, with its
    ``mail.sent`` event and the opens and clicks as ``mail.opened`` / ``mail.clicked``
    (what the health score's email component reads). A built-in playbook's messages carry its
    source (``playbook:<id>``), so a playbook switched on later never sends them again."""
    templates = dict(Template.objects.values_list("slug", "id"))
    playbooks = {slug: f"playbook:{pk}" for slug, pk in Playbook.objects.values_list("slug", "id")}
    emails = dict(Customer.objects.filter(pk__in=customer_ids).values_list("pk", "email"))
    rows = []
    for m in business.messages:
        customer_id = customer_ids[m.customer]
        source = playbooks.get(m.stream, f"demo:{m.stream}")
        rows.append(
            Message(
                key=f"{source}:{m.step}:{customer_id}:{m.occurrence}", source=source,
                step=m.step, occurrence=m.occurrence, customer_id=customer_id,
                template_id=templates.get(m.template), kind=MessageKind.MARKETING,
                topic="newsletter" if m.stream == "relationship-newsletter" else "email_marketing",
                subject="" if m.template in templates else m.template, text="",
                due_at=m.sent_at, next_at=m.sent_at, created_at=m.sent_at, claimed_at=m.sent_at,
                handed_at=m.sent_at, finished_at=m.sent_at, status=MessageStatus.SENT,
                to_address=emails.get(customer_id, ""),
                reason="sent before this install kept copies (the demo's history)",
            )
        )  # fmt: skip
    created = Message.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    events: list[tuple[Any, ...]] = []
    for row, m in zip(created, business.messages, strict=True):
        for kind, at in (("mail.sent", m.sent_at), ("mail.opened", m.opened_at),
                         ("mail.clicked", m.clicked_at)):  # fmt: skip
            if at is not None:
                key = f"{kind}:{row.pk}:demo"
                events.append((kind, key, row.customer_id, "message", row.pk, at, {}))
    events_write_rows(events)
