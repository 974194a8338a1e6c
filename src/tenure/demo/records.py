"""The demo business as plain records, before it meets the database.

Records point at each other by position (``customer=3`` is ``DemoBusiness.customers[3]``) and at
team members by username, so that the generator needs no database and its output can be hashed.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class TeamMemberRecord:
    username: str
    first_name: str
    last_name: str
    email: str
    role: str


@dataclass(frozen=True)
class AccountRecord:
    name: str
    industry: str
    size_band: str
    budget_band: str
    website: str
    custom_attributes: dict[str, Any]
    owner: str
    team: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class ContactRecord:
    account: int
    first_name: str
    last_name: str
    email: str
    phone: str
    title: str
    role: str
    is_primary: bool


@dataclass(frozen=True)
class CustomerRecord:
    external_id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    birthday: date | None
    time_zone: str
    channel: str
    category: str
    account: int | None
    custom_attributes: dict[str, Any]
    owner: str | None
    team: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class TruthRecord:
    """What only the generator knows: the customer's buying rate and when they left."""

    customer: int
    purchases_per_year: float
    dropout_probability: float
    dropped_out_at: datetime | None


@dataclass(frozen=True)
class OrderRecord:
    external_id: str
    customer: int
    placed_at: datetime
    amount: Decimal
    currency: str
    status: str


@dataclass(frozen=True)
class OrderLineRecord:
    order: int
    sku: str
    description: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class SpecialDateRecord:
    customer: int
    label: str
    date: date
    recurs_yearly: bool


@dataclass(frozen=True)
class ConsentRecord:
    customer: int
    purpose: str
    granted: bool
    changed_at: datetime
    source: str


@dataclass(frozen=True)
class SubscriptionRecord:
    external_id: str
    customer: int
    plan: str
    amount: Decimal
    currency: str
    interval: str
    started_at: datetime
    renews_at: datetime | None
    cancelled_at: datetime | None
    cancellation_reason: str


@dataclass(frozen=True)
class InteractionRecord:
    customer: int | None
    account: int | None
    contact: int | None
    kind: str
    occurred_at: datetime
    author: str | None
    subject: str
    body: str
    status: str
    resolution: str
    resolved_at: datetime | None


@dataclass(frozen=True)
class SurveyResponseRecord:
    external_id: str
    customer: int
    kind: str
    score: int
    comment: str
    answered_at: datetime
    channel: str
    order: int | None  # position in ``DemoBusiness.orders``


@dataclass(frozen=True)
class ReferralRecord:
    external_id: str
    referrer: int
    referred_customer: int | None
    referred_email: str
    referred_at: datetime
    status: str


@dataclass(frozen=True)
class MessageRecord:
    """One email the demo's playbooks or newsletter sent, and whether it was opened or
    clicked (the first time)."""

    customer: int
    stream: str  # the built-in playbook's slug, or relationship-newsletter
    step: str
    occurrence: str
    template: str
    sent_at: datetime
    opened_at: datetime | None
    clicked_at: datetime | None


@dataclass(frozen=True)
class DemoBusiness:
    """Everything the demo loader writes, in the order it writes it."""

    seed: int
    today: date
    team: tuple[TeamMemberRecord, ...]
    accounts: tuple[AccountRecord, ...]
    contacts: tuple[ContactRecord, ...]
    customers: tuple[CustomerRecord, ...]
    truths: tuple[TruthRecord, ...]
    orders: tuple[OrderRecord, ...]
    order_lines: tuple[OrderLineRecord, ...]
    special_dates: tuple[SpecialDateRecord, ...]
    consents: tuple[ConsentRecord, ...]
    subscriptions: tuple[SubscriptionRecord, ...]
    interactions: tuple[InteractionRecord, ...]
    survey_responses: tuple[SurveyResponseRecord, ...]
    referrals: tuple[ReferralRecord, ...]
    messages: tuple[MessageRecord, ...] = ()

    def content_hash(self) -> str:
        """SHA-256 of every record: equal hashes mean equal businesses."""
        digest = hashlib.sha256()
        for field in fields(self):
            value = getattr(self, field.name)
            rows = value if isinstance(value, tuple) else (value,)
            digest.update(field.name.encode())
            for row in rows:
                digest.update(repr(row).encode())
                digest.update(b"\n")
        return digest.hexdigest()

    def counts(self) -> dict[str, int]:
        """How many records of each kind, by the names the loader reports."""
        return {
            field.name: len(getattr(self, field.name))
            for field in fields(self)
            if isinstance(getattr(self, field.name), tuple)
        }


@dataclass(frozen=True)
class Clock:
    """Turns the generator's days (from ``start``) into aware datetimes, to the second."""

    start: datetime
    horizon_days: float

    def at(self, day: float) -> datetime:
        return self.start + timedelta(seconds=math.floor(day * 86400))
