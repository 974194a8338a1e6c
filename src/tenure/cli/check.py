"""`tenure check-data`: stored values outside the limits of ``tenure.domain.limits``.

Rows written before the limits (a date-time in year 10000 in UTC, a day in year 1) break the
pages, exports and personal-data exports that read them. This finds them by a range filter
per date and date-time column, without reading the values into Python (which is what fails);
fix them in the admin or with SQL, then run it again. It changes nothing.
"""

from __future__ import annotations

import click

from tenure.cli.main import setup_django

SHOWN_IDS = 10


@click.command("check-data")
def check_data() -> None:
    """List stored date-times and days outside what tenure can read back (exit 1 if any)."""
    setup_django()
    from django.apps import apps
    from django.db import models
    from django.db.models import Q

    from tenure.domain import limits

    found = 0
    low: object
    high: object
    for model in apps.get_models():
        if not model.__module__.startswith("tenure."):
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateTimeField):
                low, high = limits.MOMENT_FIRST, limits.MOMENT_END
                outside = Q(**{f"{field.name}__lt": low}) | Q(**{f"{field.name}__gte": high})
            elif isinstance(field, models.DateField):
                low, high = limits.DAY_FIRST, limits.DAY_LAST
                outside = Q(**{f"{field.name}__lt": low}) | Q(**{f"{field.name}__gt": high})
            else:
                continue
            ids = list(
                model._default_manager.filter(outside).order_by("pk").values_list("pk", flat=True)
            )
            if ids:
                found += len(ids)
                shown = ", ".join(str(pk) for pk in ids[:SHOWN_IDS])
                more = f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else ""
                click.echo(
                    f"{model._meta.label}.{field.name}: {len(ids)} outside {low} .. {high} "
                    f"(ids {shown}{more})"
                )
    if found:
        raise click.exceptions.Exit(1)
    click.echo("every stored date and date-time is within the limits")


COMMANDS = [check_data]
