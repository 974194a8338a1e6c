"""`tenure loyalty`: a customer's points, an adjustment, the expiry, the reconciliation, the
tiers (``tenure loyalty tiers [--evaluate]``).

``tenure loyalty points CUSTOMER_ID`` prints the balance, the lots and the latest entries;
``tenure loyalty adjust CUSTOMER_ID --points -50 --reason "..."`` writes an adjustment through
``tenure.loyalty.services.points_adjust`` (the page's and the API's service; ``--key`` makes a
retry harmless), as the operator or ``--as USERNAME``; ``expire`` and ``reconcile`` run the
nightly steps now. Exit codes: 0 done, 1 refused, 2 bad arguments.
"""

from __future__ import annotations

import sys
import uuid

import click

from tenure.cli.insights import _echo_json, _user
from tenure.cli.main import setup_django


@click.group("loyalty")
def loyalty() -> None:
    """Loyalty points: balances, adjustments, expiry, reconciliation."""


@loyalty.command("points")
@click.argument("customer_id", type=int)
@click.option("--as", "as_user", metavar="USERNAME", help="read as this user")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def points_command(customer_id: int, as_user: str | None, as_json: bool) -> None:
    """A customer's balance, lots and latest entries."""
    setup_django()
    from tenure.loyalty.selectors import customer_points
    from tenure.users.models import Role, User

    user = _user(as_user) or User(role=Role.ADMIN, is_active=True)
    found = customer_points(user=user, customer_id=customer_id, limit=20)
    if found is None:
        raise click.BadParameter(f"no customer with id {customer_id}", param_hint="CUSTOMER_ID")
    if as_json:
        _echo_json({
            "customer_id": customer_id, "balance": found.balance, "earned": found.earned,
            "lots": [{"id": lot.pk, "remaining": lot.remaining, "points": lot.points,
                      "expires_at": lot.expires_at} for lot in found.lots],
            "entries": [{"id": e.pk, "kind": e.kind, "points": e.points, "cause": e.cause,
                         "created_at": e.created_at} for e in found.entries],
        })  # fmt: skip
        return
    click.echo(f"Customer {customer_id}: balance {found.balance}, earned {found.earned}.")
    for lot in found.lots:
        until = lot.expires_at.date().isoformat() if lot.expires_at else "never"
        click.echo(f"  lot {lot.pk}: {lot.remaining} of {lot.points}, expires {until}")
    for entry in found.entries:
        click.echo(f"  {entry.created_at:%Y-%m-%d} {entry.kind:<8} {entry.points:+d} {entry.cause}")


@loyalty.command("adjust")
@click.argument("customer_id", type=int)
@click.option("--points", type=int, required=True, help="signed: 100 or -50")
@click.option("--reason", required=True, help="why, kept with the entry")
@click.option("--key", default=None, help="the same key is the same adjustment (default: new)")
@click.option("--as", "as_user", metavar="USERNAME", help="adjust as this user")
def adjust_command(
    customer_id: int, points: int, reason: str, key: str | None, as_user: str | None
) -> None:
    """Adjust a customer's points with a reason."""
    setup_django()
    from django.core.exceptions import ValidationError
    from django.http import Http404
    from django.utils import timezone

    from tenure.access import AccessDenied
    from tenure.domain.errors import Conflict
    from tenure.events.record import acting_via
    from tenure.loyalty.services import points_adjust

    user = _user(as_user)
    try:
        with acting_via("cli", user.pk if user else None):
            entry, new = points_adjust(
                by=user, customer_id=customer_id, points=points, cause=reason,
                key=key or uuid.uuid4().hex, now=timezone.now(),
            )  # fmt: skip
    except (AccessDenied, Conflict, Http404) as error:
        click.echo(f"Refused: {error}", err=True)
        sys.exit(1)
    except ValidationError as error:
        click.echo(f"Refused: {'; '.join(error.messages)}", err=True)
        sys.exit(1)
    words = "adjusted" if new else "adjusted already (the same key)"
    click.echo(f"Customer {customer_id}: {words} by {entry.points:+d} (entry {entry.pk}).")


@loyalty.command("expire")
def expire_command() -> None:
    """Expire the lots whose moment has come (the nightly step, now)."""
    setup_django()
    from django.utils import timezone

    from tenure.events.record import acting_via
    from tenure.loyalty.services import lots_expire_due

    with acting_via("cli"):
        done = lots_expire_due(now=timezone.now())
    click.echo(f"{done['lots']} lots of {done['customers']} customers expired, "
               f"{done['points']} points.")  # fmt: skip


@loyalty.command("reconcile")
def reconcile_command() -> None:
    """Check every cached balance against the ledger and the lots; exit 1 on a mismatch."""
    setup_django()
    from tenure.loyalty.selectors import balances_reconcile

    checked, mismatches = balances_reconcile()
    for mismatch in mismatches[:100]:
        click.echo(mismatch.words())
    click.echo(f"{checked} customers checked, {len(mismatches)} mismatches.")
    if mismatches:
        sys.exit(1)


@loyalty.command("tiers")
@click.option(
    "--evaluate",
    is_flag=True,
    help="place every customer with points or orders now (after tiers are defined)",
)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def tiers_command(evaluate: bool, as_json: bool) -> None:
    """The tiers, lowest first: threshold, multiplier, benefits and how many hold each."""
    setup_django()
    from django.utils import timezone

    from tenure.events.record import acting_via
    from tenure.loyalty.selectors import program, tier_mix
    from tenure.loyalty.tiers import tiers_evaluate_all
    from tenure.users.models import Role, User

    if evaluate:
        with acting_via("cli"):
            done = tiers_evaluate_all(now=timezone.now())
        click.echo(f"{done['customers']} customers evaluated: {done['up']} up, "
                   f"{done['down']} down.")  # fmt: skip
    settings = program()
    mix = tier_mix(user=User(role=Role.ADMIN, is_active=True))
    if as_json:
        _echo_json({
            "basis": settings.tier_basis, "period": settings.tier_period,
            "window_days": settings.tier_window_days,
            "tiers": [{"id": t.pk, "rank": t.rank, "name": t.name, "threshold": t.threshold,
                       "multiplier": t.multiplier, "benefits": t.benefits, "customers": n}
                      for t, n in mix],
        })  # fmt: skip
        return
    click.echo(f"Qualified on {settings.get_tier_basis_display().lower()}, "
               f"{settings.get_tier_period_display().lower()}.")  # fmt: skip
    if not mix:
        click.echo("No tiers defined.")
    for tier, held in mix:
        benefits = ", ".join(b["name"] for b in tier.benefits) or "no benefits"
        click.echo(f"  {tier.rank}. {tier.name}: from {tier.threshold:f}, x{tier.multiplier:f}, "
                   f"{benefits}; {held} customers")  # fmt: skip


COMMANDS = [loyalty]
