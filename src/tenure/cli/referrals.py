"""`tenure referrals`: a customer's code, attributing a customer, the referrals (blocked ones
with their reason), an admin's override, the rewards paid now, the program's points.

``tenure referrals code CUSTOMER_ID [--make | --revoke]``, ``attribute CODE CUSTOMER_ID``,
``list [--status blocked]``, ``override ID --reason "..." [--as ADMIN]``, ``reward`` (the
nightly step, now) and ``program [--referrer-points N] [--referred-points N]``: each one call
of ``tenure.referrals.services`` or ``selectors``, as the operator or ``--as USERNAME``.
Exit codes: 0 done, 1 refused, 2 bad arguments.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from tenure.cli.insights import _user
from tenure.cli.main import setup_django


@click.group("referrals")
def referrals() -> None:
    """Referral codes, attribution, blocked referrals, rewards."""


@contextmanager
def _refusals() -> Iterator[None]:
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from tenure.access import AccessDenied
    from tenure.domain.errors import Conflict

    try:
        yield
    except (AccessDenied, Conflict, Http404) as error:
        click.echo(f"Refused: {error}", err=True)
        sys.exit(1)
    except ValidationError as error:
        click.echo(f"Refused: {'; '.join(error.messages)}", err=True)
        sys.exit(1)


def _as(as_user: str | None, write: Callable[[Any], Any]) -> Any:
    from tenure.events.record import acting_via

    user = _user(as_user)
    with _refusals(), acting_via("cli", user.pk if user else None):
        return write(user)


@referrals.command("code")
@click.argument("customer_id", type=int)
@click.option("--make", is_flag=True, help="make one if the customer has none")
@click.option("--revoke", is_flag=True, help="revoke the live one")
@click.option("--as", "as_user", metavar="USERNAME", help="act as this user")
def code_command(customer_id: int, make: bool, revoke: bool, as_user: str | None) -> None:
    """A customer's live referral code (made or revoked on demand)."""
    setup_django()
    from django.utils import timezone

    from tenure.referrals import selectors, services

    now = timezone.now()
    if make and revoke:
        raise click.UsageError("--make or --revoke, not both")
    if make:
        code, _ = _as(as_user, lambda by: services.code_make(by=by, customer_id=customer_id,
                                                              now=now))  # fmt: skip
    elif revoke:
        code = _as(as_user, lambda by: services.code_revoke(by=by, customer_id=customer_id,
                                                             now=now))  # fmt: skip
        if code is not None:
            click.echo(f"Customer {customer_id}: code {code.code} revoked.")
            return
    else:
        code = selectors.live_code(customer_id)
    if code is None:
        click.echo(f"Customer {customer_id} has no live referral code.")
        return
    click.echo(f"Customer {customer_id}: code {code.code}, link /r/{code.code}/")


@referrals.command("attribute")
@click.argument("code")
@click.argument("customer_id", type=int)
@click.option("--as", "as_user", metavar="USERNAME", help="act as this user")
def attribute_command(code: str, customer_id: int, as_user: str | None) -> None:
    """Attribute a new customer to the referral code that brought them."""
    setup_django()
    from django.utils import timezone

    from tenure.referrals.services import referral_attribute

    attribution, new = _as(as_user, lambda by: referral_attribute(
        by=by, code=code, customer_id=customer_id, now=timezone.now()))  # fmt: skip
    words = "attributed" if new else "attributed already"
    reason = f" ({attribution.reason})" if attribution.reason else ""
    click.echo(f"Customer {customer_id} {words}: referral {attribution.pk}, "
               f"{attribution.get_status_display().lower()}{reason}.")  # fmt: skip


@referrals.command("list")
@click.option("--status", default=None, help="blocked, signed_up, ordered, rewarded, ...")
@click.option("--as", "as_user", metavar="USERNAME", help="read as this user")
def list_command(status: str | None, as_user: str | None) -> None:
    """The referrals through codes, newest first (blocked ones with the reason)."""
    setup_django()
    from tenure.referrals.selectors import attributions_visible

    rows = attributions_visible(user=_user(as_user))
    if status:
        rows = rows.filter(status=status)
    for row in rows[:500]:
        reason = f": {row.reason}" if row.reason else ""
        click.echo(f"{row.pk:>6} {row.attributed_at:%Y-%m-%d} customer {row.referrer_id} -> "
                   f"{row.referred_id} {row.status}{reason}")  # fmt: skip


@referrals.command("override")
@click.argument("referral_id", type=int)
@click.option("--reason", required=True, help="why it is unblocked, kept with it")
@click.option("--as", "as_user", metavar="USERNAME", help="an admin's username")
def override_command(referral_id: int, reason: str, as_user: str | None) -> None:
    """Unblock a blocked referral (admins), with the reason."""
    setup_django()
    from django.utils import timezone

    from tenure.referrals.services import referral_override

    row = _as(as_user, lambda by: referral_override(
        by=by, attribution_id=referral_id, reason=reason, now=timezone.now()))  # fmt: skip
    click.echo(f"Referral {row.pk} unblocked: {row.get_status_display().lower()}.")


@referrals.command("reward")
def reward_command() -> None:
    """Pay the referral rewards that are due (the nightly step, now)."""
    setup_django()
    from django.utils import timezone

    from tenure.events.record import acting_via
    from tenure.referrals.services import rewards_pay_due

    with acting_via("cli"):
        done = rewards_pay_due(now=timezone.now())
    click.echo(", ".join(f"{count} {outcome.replace('_', ' ')}" for outcome, count
                         in done.items()) + ".")  # fmt: skip


@referrals.command("program")
@click.option("--referrer-points", type=int, default=None)
@click.option("--referred-points", type=int, default=None)
@click.option("--as", "as_user", metavar="USERNAME", help="an admin's username")
def program_command(
    referrer_points: int | None, referred_points: int | None, as_user: str | None
) -> None:
    """The points for both sides (changed with the options)."""
    setup_django()
    from tenure.referrals.selectors import program
    from tenure.referrals.services import program_update

    changes = {name: value for name, value in (("referrer_points", referrer_points),
               ("referred_points", referred_points)) if value is not None}  # fmt: skip
    settings = program()
    if changes:
        settings = _as(as_user, lambda by: program_update(by=by, changes=changes))
    click.echo(f"Referrer {settings.referrer_points} points, referred {settings.referred_points} "
               "points.")  # fmt: skip


COMMANDS = [referrals]
