"""`tenure rewards list` and `tenure coupons create|list`: the catalog and the coupons.

``tenure coupons create --kind percent --value 10 [--code SUMMER10] [--max-uses 1] ...``
makes a coupon through ``tenure.rewards.services.coupon_create`` (the page's and the API's
service), as the operator or ``--as USERNAME``; without ``--code`` an unguessable code is
drawn. Exit codes: 0 done, 1 refused, 2 bad arguments.
"""

from __future__ import annotations

import sys
from datetime import datetime
from decimal import Decimal
from typing import Any

import click

from tenure.cli.insights import _echo_json, _user
from tenure.cli.main import setup_django


@click.group("rewards")
def rewards() -> None:
    """The rewards catalog: what customers buy with points."""


@rewards.command("list")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def rewards_list_command(as_json: bool) -> None:
    """Every reward with its cost, what it gives and its stock."""
    setup_django()
    from tenure.rewards.selectors import rewards_list

    found = list(rewards_list(user=None))
    if as_json:
        _echo_json([
            {"id": r.pk, "name": r.name, "points_cost": r.points_cost, "kind": r.kind,
             "coupon_kind": r.coupon_kind, "coupon_value": r.coupon_value, "stock": r.stock,
             "active": r.active}
            for r in found
        ])  # fmt: skip
        return
    for r in found:
        stock = "unlimited" if r.stock is None else str(r.stock)
        gives = f"{r.coupon_kind} {r.coupon_value}" if r.kind == "coupon" else r.kind
        off = "" if r.active else " (not offered)"
        click.echo(f"{r.pk:>5}  {r.points_cost:>8} points  {r.name}: {gives}, stock {stock}{off}")
    click.echo(f"{len(found)} rewards.")


@click.group("coupons")
def coupons() -> None:
    """Coupon codes: make them, list them with their uses."""


@coupons.command("list")
@click.option("--active", is_flag=True, help="only those switched on")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def coupons_list_command(active: bool, as_json: bool) -> None:
    """Coupons, newest first, with their uses."""
    setup_django()
    from tenure.rewards.selectors import coupons_list
    from tenure.users.models import Role, User

    found = list(coupons_list(user=User(role=Role.ADMIN, is_active=True), active_only=active))
    if as_json:
        _echo_json([
            {"id": c.pk, "code": c.code, "kind": c.kind, "value": c.value, "uses": c.uses,
             "max_uses": c.max_uses, "expires_at": c.expires_at, "customer_id": c.customer_id,
             "active": c.active}
            for c in found
        ])  # fmt: skip
        return
    for c in found:
        uses = f"{c.uses}" + (f" of {c.max_uses}" if c.max_uses else "")
        until = c.expires_at.date().isoformat() if c.expires_at else "no expiry"
        click.echo(f"{c.code:<20} {c.kind:<13} {c.value:>10}  uses {uses:<10} {until}")
    click.echo(f"{len(found)} coupons.")


@coupons.command("create")
@click.option("--kind", type=click.Choice(["percent", "fixed", "free_shipping"]), required=True)
@click.option("--value", type=Decimal, default=None, help="percent or amount off")
@click.option("--code", default="", help="the business's own code (default: drawn)")
@click.option("--description", default="")
@click.option("--min-order", type=Decimal, default=None)
@click.option("--max-uses", type=click.IntRange(min=1), default=None, help="default: no limit")
@click.option("--per-customer", type=click.IntRange(min=1), default=None)
@click.option("--valid-from", type=click.DateTime(), default=None, help="business's time")
@click.option("--expires", type=click.DateTime(), default=None, help="business's time")
@click.option("--customer", "customer_id", type=int, default=None, help="only this customer")
@click.option("--as", "as_user", metavar="USERNAME", help="make it as this user")
def coupons_create_command(
    kind: str, value: Decimal | None, code: str, description: str, min_order: Decimal | None,
    max_uses: int | None, per_customer: int | None, valid_from: datetime | None,
    expires: datetime | None, customer_id: int | None, as_user: str | None,
) -> None:  # fmt: skip
    """Make a coupon."""
    setup_django()
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from tenure.access import AccessDenied
    from tenure.domain.errors import Conflict
    from tenure.events.record import acting_via
    from tenure.rewards.services import coupon_create

    def aware(at: datetime | None) -> datetime | None:
        return None if at is None else timezone.make_aware(at)

    data: dict[str, Any] = {
        "code": code, "kind": kind, "value": value, "description": description,
        "min_order": min_order, "max_uses": max_uses, "per_customer_limit": per_customer,
        "valid_from": aware(valid_from), "expires_at": aware(expires), "customer_id": customer_id,
    }  # fmt: skip
    user = _user(as_user)
    try:
        with acting_via("cli", user.pk if user else None):
            made = coupon_create(by=user, data=data, now=timezone.now())
    except (AccessDenied, Conflict) as error:
        click.echo(f"Refused: {error}", err=True)
        sys.exit(1)
    except ValidationError as error:
        words = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
        click.echo(f"Refused: {words}", err=True)
        sys.exit(1)
    click.echo(f"Coupon {made.code} made (id {made.pk}).")


COMMANDS = [rewards, coupons]
