"""Writes for the demo: load the demo business once, and the demo login."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction

from tenure.customers.models import Account
from tenure.demo.generator import (
    DEFAULT_ACCOUNTS,
    DEFAULT_CUSTOMERS,
    DEFAULT_SEED,
    DEFAULT_YEARS,
    generate_business,
)
from tenure.demo.models import DemoLoad
from tenure.demo.vocabulary import BUSINESS_DOMAIN
from tenure.demo.writer import business_write
from tenure.playbooks.models import Playbook
from tenure.users.models import Role, User
from tenure.users.services import user_create

DEMO_USERNAME = "demo"


class DemoConflictError(Exception):
    """The database holds something the demo business would collide with."""

    def __init__(self, *, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DemoLoadResult:
    seed: int
    created: bool
    counts: dict[str, int]


def demo_load(
    *,
    seed: int = DEFAULT_SEED,
    today: date,
    customers: int = DEFAULT_CUSTOMERS,
    accounts: int = DEFAULT_ACCOUNTS,
    years: float = DEFAULT_YEARS,
) -> DemoLoadResult:
    """Load the demo business of ``seed``, observed until ``today``, unless it is loaded already.

    Everything is written in one transaction, claimed first by the seed's ``DemoLoad`` row: a
    second load (even a concurrent one) finds the row and adds nothing. One database holds one
    demo business; asking for another seed raises ``DemoConflictError``.
    """
    if loaded := _loaded(seed):
        return loaded
    business = generate_business(
        seed=seed,
        today=today,
        customers=customers,
        accounts=accounts,
        years=years,
        currency=settings.TENURE_CURRENCY,
    )
    counts = business.counts()
    with transaction.atomic():
        other = DemoLoad.objects.exclude(seed=seed).first()
        if other is not None:
            raise DemoConflictError(
                reason=f"this database already holds the demo business of seed {other.seed}"
            )
        try:
            with transaction.atomic():
                DemoLoad.objects.create(
                    seed=seed, customers=counts["customers"], orders=counts["orders"]
                )
        except IntegrityError:  # another loader claimed the seed between our read and write
            return _loaded(seed) or DemoLoadResult(seed=seed, created=False, counts={})
        taken = Account.objects.filter(name__in=[a.name for a in business.accounts])
        if name := taken.values_list("name", flat=True).first():
            raise DemoConflictError(reason=f"an account named {name!r} exists already")
        business_write(business)
        _playbooks_on()
    return DemoLoadResult(seed=seed, created=True, counts=counts)


def _playbooks_on() -> None:
    """The demo business runs tenure's built-in playbooks (a live install starts with them
    off): from now on, what happens in the demo sends the welcome, check-in, special-day and
    win-back emails to the outbox and opens follow-up tasks."""
    from django.core.exceptions import ValidationError

    from tenure.playbooks.builtin import playbooks_builtin_ensure
    from tenure.playbooks.services import playbook_enable

    playbooks_builtin_ensure()
    for playbook in Playbook.objects.exclude(builtin="").filter(enabled=False):
        try:
            playbook_enable(by=None, playbook_id=playbook.pk)
        except ValidationError:
            continue  # a step that cannot run here (a template deleted): left off, as on a page


def _loaded(seed: int) -> DemoLoadResult | None:
    load = DemoLoad.objects.filter(seed=seed).first()
    if load is None:
        return None
    counts = {"customers": load.customers, "orders": load.orders}
    return DemoLoadResult(seed=seed, created=False, counts=counts)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    created: bool
    works: bool  # False: the user exists and its password was changed since
    is_admin: bool


def demo_password() -> str:
    """The demo login's password, derived from the instance's secret key.

    The same instance always prints the same password, and nobody can guess it without the
    secret key (which already signs every session, so it grants nothing more).
    """
    digest = hmac.new(settings.SECRET_KEY.encode(), b"tenure demo login", hashlib.sha256).digest()
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    letters = "".join(alphabet[byte % len(alphabet)] for byte in digest[:15])
    return "-".join(letters[i : i + 5] for i in range(0, 15, 5))


def demo_login_ensure(*, reset: bool = False) -> DemoLogin:
    """Create the demo admin once; with ``reset``, give an existing one its demo password back.

    An existing demo user whose password was changed keeps it unless ``reset`` is asked for:
    someone may have changed it on purpose.
    """
    password = demo_password()
    user = User.objects.filter(username=DEMO_USERNAME).first()
    created = user is None
    if user is None:
        user = user_create(
            username=DEMO_USERNAME,
            password=password,
            role=Role.ADMIN,
            email=f"{DEMO_USERNAME}@{BUSINESS_DOMAIN}",
            first_name="Demo",
            last_name="Admin",
        )
    works = user.check_password(password)
    if not works and reset:
        user.set_password(password)
        user.save(update_fields=["password"])
        works = True
    return DemoLogin(
        username=DEMO_USERNAME,
        password=password,
        created=created,
        works=works,
        is_admin=user.role == Role.ADMIN and user.is_superuser,
    )
