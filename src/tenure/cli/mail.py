"""`tenure send-due` and `tenure mail ...`: the email sender by hand, and bounces coming back."""

from __future__ import annotations

import signal
import time
from pathlib import Path

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
    """Email: bounces and complaints coming back."""


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


COMMANDS = [send_due, mail]
