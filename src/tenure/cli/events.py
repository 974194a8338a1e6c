"""`tenure events`: how far each follower of the events got, and catching them up by hand."""

from __future__ import annotations

import click

from tenure.cli.main import setup_django


@click.command()
@click.option("--drain", is_flag=True, help="handle every waiting event now, in this process")
def events(drain: bool) -> None:
    """Show each consumer's position, what waits for it and why it is stuck, if it is."""
    setup_django()
    from tenure.events.consumers import consumer_position, consumers, consumers_drain
    from tenure.events.models import Event
    from tenure.events.record import acting_via

    if drain:
        with acting_via("cli"):
            handled = consumers_drain()
        for name, count in handled.items():
            click.echo(f"{name}: handled {count:,} events")
    for consumer in consumers():
        position = consumer_position(consumer)
        waiting = Event.objects.filter(id__gt=position.event_id).count()
        line = f"{consumer.name}: {position.handled:,} handled, about {waiting:,} waiting"
        if position.failures:
            line += f"; failing ({position.failures} in a row, next try {position.retry_at}): "
            line += position.error
        click.echo(line)


COMMANDS = [events]
