"""`tenure send-due` and `tenure mail ...`: the email sender by hand, and bounces coming back."""

from __future__ import annotations

import signal
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from tenure.cli.main import setup_django


@click.command("send-due")
@click.option("--follow", is_flag=True, help="keep sending what falls due, until stopped")
@click.option("--poll", default=0.5, show_default=True, help="seconds between looks (--follow)")
def send_due(follow: bool, poll: float) -> None:
    """Send the email that is due now (the worker does this by itself, every half second)."""
    setup_django()
    from tenure.events.record import acting_via
    from tenure.mail.sending import mail_send_due

    stop = {"asked": False}

    def ask(*_: object) -> None:
        stop["asked"] = True

    signal.signal(signal.SIGTERM, ask)
    signal.signal(signal.SIGINT, ask)
    totals: dict[str, int] = {}
    with acting_via("cli"):
        while True:
            result = mail_send_due()
            for name, count in vars(result).items():
                totals[name] = totals.get(name, 0) + count
            if stop["asked"] or (not follow and not result.handled):
                break
            if not result.handled:
                time.sleep(poll)
    click.echo(", ".join(f"{name} {count:,}" for name, count in totals.items()))


@click.group()
def mail() -> None:
    """Email: bounces and complaints coming back, broadcasts."""


@mail.command("bounces")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def bounces(path: Path) -> None:
    """Read bounces and spam complaints from an mbox file or a folder of messages: hard
    bounces suppress their address, soft ones after TENURE_MAIL_SOFT_BOUNCES, complaints
    refuse all marketing email."""
    setup_django()
    from django.utils import timezone

    from tenure.events.record import acting_via
    from tenure.mail.bounces import bounces_ingest

    with acting_via("cli"):
        result = bounces_ingest(path=path, now=timezone.now())
    click.echo(
        f"read {result.read:,}: {result.hard:,} hard, {result.soft:,} soft, "
        f"{result.complaints:,} complaints, {result.unrecognised:,} not bounces; "
        f"{result.suppressed:,} addresses suppressed"
    )


@mail.group("broadcasts")
def broadcasts() -> None:
    """Broadcasts (the newsletter): a template to a segment's members on a date."""


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise click.BadParameter(
            "give the time zone, e.g. 2025-07-01T09:00+02:00", param_hint="--at"
        )
    return moment


def _print(broadcast: Any) -> None:
    from tenure.mail.selectors import broadcast_counts

    counts = broadcast_counts(broadcast)
    when = broadcast.scheduled_at.isoformat() if broadcast.scheduled_at else "not scheduled"
    click.echo(f"#{broadcast.pk} {broadcast.name}: {broadcast.status}, {when}")
    click.echo(
        f"  segment {broadcast.segment.name if broadcast.segment else '(none)'}, "
        f"template {broadcast.template.name}, valid {broadcast.valid_days} days"
        + (f", reason: {broadcast.reason}" if broadcast.reason else "")
    )
    click.echo(
        f"  audience {counts.audience:,}: sent {counts.sent:,}, skipped {counts.skipped:,}, "
        f"failed {counts.failed:,}, expired {counts.expired:,}, pending {counts.pending:,}"
        f" (held {counts.held:,}, unknown {counts.unknown:,})"
    )
    for reason, count in sorted(counts.skipped_reasons.items()):
        click.echo(f"    skipped {count:,}: {reason}")


def _refusals() -> tuple[type[Exception], ...]:
    """What the services refuse with, each put in words (anything else is a bug: shown)."""
    from django.core.exceptions import ObjectDoesNotExist, ValidationError
    from django.http import Http404

    from tenure.domain.errors import Conflict

    return (ValidationError, Conflict, ObjectDoesNotExist, Http404)


def _fail(error: Exception) -> None:
    from django.core.exceptions import ObjectDoesNotExist, ValidationError
    from django.http import Http404

    if isinstance(error, ObjectDoesNotExist | Http404):
        raise click.ClickException("no such broadcast") from None
    if isinstance(error, ValidationError):
        words = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
        raise click.ClickException(words) from None
    raise click.ClickException(str(error)) from None


@broadcasts.command("list")
def broadcasts_list() -> None:
    """Every broadcast, newest first."""
    setup_django()
    from tenure.mail.selectors import broadcast_list

    for broadcast in broadcast_list(user=None):
        when = broadcast.scheduled_at.isoformat() if broadcast.scheduled_at else "-"
        click.echo(
            f"{broadcast.pk:>5}  {broadcast.status:<10} {when:<26} {broadcast.audience or 0:>8,}  "
            f"{broadcast.name}"
        )


@broadcasts.command("show")
@click.argument("broadcast_id", type=int)
def broadcasts_show(broadcast_id: int) -> None:
    """One broadcast and where its messages ended up."""
    setup_django()
    from tenure.mail.selectors import broadcast_get

    try:
        _print(broadcast_get(user=None, broadcast_id=broadcast_id))
    except _refusals() as error:
        _fail(error)


@broadcasts.command("create")
@click.option("--name", required=True)
@click.option("--segment", "segment_id", type=int, required=True, help="the segment's id")
@click.option("--template", "template_id", type=int, required=True, help="a marketing template")
@click.option("--valid-days", type=int, default=3, show_default=True)
@click.option("--priority", type=int, default=0, show_default=True)
@click.option("--at", help="schedule it: an ISO moment with its time zone")
@click.option("--now", "send_now", is_flag=True, help="send it now")
def broadcasts_create(
    name: str,
    segment_id: int,
    template_id: int,
    valid_days: int,
    priority: int,
    at: str | None,
    send_now: bool,
) -> None:
    """Make a broadcast: a draft, or scheduled (--at), or sent now (--now)."""
    setup_django()
    from django.utils import timezone

    from tenure.events.record import acting_via
    from tenure.mail.broadcasts import broadcast_create, broadcast_schedule, broadcast_start

    moment = _when(at)
    try:
        with acting_via("cli"):
            broadcast = broadcast_create(
                by=None,
                name=name,
                segment_id=segment_id,
                template_id=template_id,
                valid_days=valid_days,
                priority=priority,
            )
            if moment is not None or send_now:
                broadcast = broadcast_schedule(
                    by=None, broadcast_id=broadcast.pk, at=moment, now=timezone.now()
                )
            if send_now:  # at the terminal the operator may wait for a large audience
                broadcast = broadcast_start(broadcast_id=broadcast.pk, now=timezone.now())
    except _refusals() as error:
        _fail(error)
    _print(broadcast)


def _act(name: str, broadcast_id: int, **extra: Any) -> None:
    setup_django()
    from django.utils import timezone

    from tenure.events.record import acting_via
    from tenure.mail import broadcasts as service

    action = getattr(service, f"broadcast_{name}")
    try:
        with acting_via("cli"):
            broadcast = action(by=None, broadcast_id=broadcast_id, now=timezone.now(), **extra)
    except _refusals() as error:
        _fail(error)
    _print(broadcast)


@broadcasts.command("pause")
@click.argument("broadcast_id", type=int)
def broadcasts_pause(broadcast_id: int) -> None:
    """Hold its unsent messages; nothing sent is sent again."""
    _act("pause", broadcast_id)


@broadcasts.command("resume")
@click.argument("broadcast_id", type=int)
def broadcasts_resume(broadcast_id: int) -> None:
    """Send its held messages again."""
    _act("resume", broadcast_id)


@broadcasts.command("cancel")
@click.argument("broadcast_id", type=int)
@click.option("--reason", default="", help="kept with each message it expires")
def broadcasts_cancel(broadcast_id: int, reason: str) -> None:
    """Stop it for good: its unsent messages expire with the reason."""
    _act("cancel", broadcast_id, reason=reason)


COMMANDS = [send_due, mail]
