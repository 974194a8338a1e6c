"""Personal data of one person: export everything, or erase it."""

from __future__ import annotations

import json
from typing import TextIO

import click

from tenure.cli.main import setup_django


def _customer_pk(customer_id: str) -> int:
    from tenure.customers.models import Customer

    found = Customer.objects.filter(external_id=customer_id).values_list("pk", flat=True).first()
    if found is None:
        raise click.ClickException(f"no customer with customer_id {customer_id!r}")
    return found


@click.group()
def person() -> None:
    """A person's data: what tenure holds (export) and forgetting it (erase)."""


@person.command("export")
@click.argument("customer_id")
@click.option("-o", "--output", type=click.File("w"), default="-", show_default=True)
def person_export_command(customer_id: str, output: TextIO) -> None:
    """Write everything tenure holds about CUSTOMER_ID as JSON."""
    setup_django()
    from tenure.privacy.services import JSON_ENCODER, person_export

    data = person_export(customer_id=_customer_pk(customer_id))
    json.dump(data, output, cls=JSON_ENCODER, indent=2, ensure_ascii=False)
    output.write("\n")


@person.command("erase")
@click.argument("customer_id")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def person_erase_command(customer_id: str, yes: bool) -> None:
    """Anonymise CUSTOMER_ID: personal data goes, orders stay as anonymous figures."""
    setup_django()
    from tenure.privacy.services import person_erase

    pk = _customer_pk(customer_id)
    if not yes:
        click.confirm(
            f"Erase the personal data of {customer_id}? This cannot be undone", abort=True
        )
    touched = person_erase(customer_id=pk)
    click.echo(
        f"erased {customer_id}: now erased-{pk}; "
        + ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in touched.items())
    )


COMMANDS = [person]
