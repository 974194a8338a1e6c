"""`tenure playbooks`: list, show, switch on and off, and run what is due, as the operator."""

from __future__ import annotations

import json

import click

from tenure.cli.main import setup_django


@click.group()
def playbooks() -> None:
    """Playbooks: a trigger, conditions and steps (welcome series, win-back, ...)."""


@playbooks.command("list")
def playbooks_list() -> None:
    """Every playbook: on or off, priority, trigger, enrolments."""
    setup_django()
    from tenure.playbooks.selectors import enrollment_totals, playbook_list

    for playbook in playbook_list(by=None):
        totals = enrollment_totals(by=None, playbook=playbook)
        trigger = playbook.definition.get("trigger", {}).get("type", "?")
        state = "on " if playbook.enabled else "off"
        click.echo(
            f"{playbook.pk:>4}  {state}  {playbook.priority:>4}  {playbook.slug:<36} {trigger:<15}"
            f" active {totals['active']:,}, completed {totals['completed']:,}, "
            f"exited {totals['exited']:,}, failed {totals['failed']:,}"
        )


@playbooks.command("show")
@click.argument("playbook_id", type=int)
def playbooks_show(playbook_id: int) -> None:
    """A playbook's definition and its counts per step."""
    setup_django()
    from tenure.playbooks.selectors import playbook_get, step_counts

    playbook = playbook_get(by=None, playbook_id=playbook_id)
    click.echo(json.dumps(playbook.definition, indent=2))
    kinds = [str(step.get("kind")) for step in playbook.definition.get("steps", [])]
    for count in step_counts(by=None, playbook=playbook, kinds=kinds):
        click.echo(
            f"step {count.index}: {count.kind:<14} entered {count.entered:,}, done "
            f"{count.done:,}, skipped {count.skipped:,}, waiting {count.waiting:,}, exited "
            f"{count.exited:,}"
        )


def _switch(playbook_id: int, *, on: bool) -> None:
    setup_django()
    from django.core.exceptions import ValidationError

    from tenure.playbooks.services import playbook_disable, playbook_enable

    try:
        playbook = (playbook_enable if on else playbook_disable)(by=None, playbook_id=playbook_id)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            for message in messages:
                click.echo(f"{field}: {message}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{playbook.slug}: {'on' if playbook.enabled else 'off'}")


@playbooks.command("enable")
@click.argument("playbook_id", type=int)
def playbooks_enable(playbook_id: int) -> None:
    """Switch a playbook on (refused when a step has nothing to run it)."""
    _switch(playbook_id, on=True)


@playbooks.command("disable")
@click.argument("playbook_id", type=int)
def playbooks_disable(playbook_id: int) -> None:
    """Switch a playbook off."""
    _switch(playbook_id, on=False)


@playbooks.command("run-due")
@click.option("--daily", is_flag=True, help="also enrol by today's special days and silences")
def playbooks_run_due(daily: bool) -> None:
    """Run the due steps now (and, with --daily, the daily triggers), in this process."""
    setup_django()
    from tenure.events.record import acting_via
    from tenure.playbooks.tasks import steps_due
    from tenure.playbooks.triggers import daily_triggers

    with acting_via("cli"):
        if daily:
            enrolled = daily_triggers()["enrolled"]
            for slug, count in enrolled.items():
                click.echo(f"{slug}: enrolled {count:,}")
        click.echo(f"steps run for {steps_due()['enrollments']:,} enrolments")


COMMANDS = [playbooks]
