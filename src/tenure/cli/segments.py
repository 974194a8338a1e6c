"""`tenure segments`: list, show, create, refresh and export the saved segments.

What a user sees with ``--as USERNAME`` (their segments and the shared ones, members among
their customers) is what the pages and the API show them; without it, the operator sees
everything. Writes run through ``tenure.segments.services`` as the operator (``by=None``), or
as ``--as`` when given, with the same validation and events. Exit codes: 0 done, 1 the work
could not be done, 2 bad arguments.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.table import Table

from tenure.cli.insights import _echo_json, _user, _view_options
from tenure.cli.main import setup_django


def _segment(reference: str, user: Any) -> Any:
    from tenure.access import visible
    from tenure.segments.models import Segment

    segments = Segment.objects.all() if user is None else visible(user, Segment)
    found = (
        segments.filter(pk=int(reference)).first()
        if reference.isdigit()
        else segments.filter(slug=reference).first()
    )
    if found is None:
        raise click.BadParameter(
            f"no segment {reference!r} (an id or a slug)", param_hint="SEGMENT"
        )
    return found


def _plain(segment: Any) -> dict[str, Any]:
    return {
        "id": segment.pk,
        "name": segment.name,
        "slug": segment.slug,
        "description": segment.description,
        "kind": segment.kind,
        "definition": segment.definition,
        "shared": segment.shared,
        "owner": segment.owner.username if segment.owner else None,
        "members_count": segment.members_count,
        "refreshed_at": segment.refreshed_at,
    }


@click.group()
def segments() -> None:
    """Saved segments: dynamic filters over customers, with who entered and left them."""


@segments.command("list")
@_view_options
def segments_list_command(as_user: str | None, as_json: bool) -> None:
    """The segments, by name, with their members at the latest refresh."""
    setup_django()
    from tenure.segments.selectors import segment_list

    rows = list(segment_list(user=_user(as_user)))
    if as_json:
        _echo_json([_plain(s) for s in rows])
        return
    table = Table("id", "slug", "name", "members", "refreshed", title="Segments")
    for s in rows:
        when = s.refreshed_at.isoformat(timespec="seconds") if s.refreshed_at else "-"
        table.add_row(str(s.pk), s.slug, s.name, f"{s.members_count:,}", when)
    Console().print(table)


@segments.command("show")
@click.argument("reference", metavar="SEGMENT")
@_view_options
def segments_show_command(reference: str, as_user: str | None, as_json: bool) -> None:
    """One segment (by id or slug): its definition and its members count."""
    setup_django()
    segment = _segment(reference, _user(as_user))
    if as_json:
        _echo_json(_plain(segment))
        return
    click.echo(f"{segment.name} ({segment.slug}, id {segment.pk})")
    if segment.description:
        click.echo(segment.description)
    click.echo(f"{segment.members_count:,} members at {segment.refreshed_at}")
    click.echo(json.dumps(segment.definition, indent=2, ensure_ascii=False))


@segments.command("create")
@click.option("--name", required=True)
@click.option(
    "--definition",
    "definition_text",
    help='JSON, e.g. {"when": {"fact": "health_band", "op": "is", "value": "red"}}',
)
@click.option(
    "--static", is_flag=True, help="no definition: members are added and removed (segments add)"
)
@click.option("--description", default="")
@click.option("--private", is_flag=True, help="not shared with the team")
@click.option("--as", "as_user", metavar="USERNAME", help="create it as this user (its owner)")
def segments_create_command(
    name: str,
    definition_text: str | None,
    static: bool,
    description: str,
    private: bool,
    as_user: str | None,
) -> None:
    """Save a segment and fill it; a refused definition names each problem by its path."""
    setup_django()
    from django.core.exceptions import ValidationError

    from tenure.events.record import acting_via
    from tenure.segments.services import segment_create

    if definition_text is None and not static:
        raise click.UsageError("give --definition, or --static for a segment filled by hand")
    definition = None
    if definition_text is not None:
        try:
            definition = json.loads(definition_text)
        except ValueError as error:
            raise click.BadParameter(f"not JSON: {error}", param_hint="--definition") from None
    try:
        with acting_via("cli"):
            segment = segment_create(
                by=_user(as_user), name=name, definition=definition, description=description,
                shared=not private, kind="static" if static else "dynamic",
            )  # fmt: skip
    except ValidationError as error:
        _refused(error)
    click.echo(
        f"{segment.name} ({segment.slug}, id {segment.pk}): {segment.members_count:,} members"
    )


def _refused(error: Any) -> NoReturn:
    for field, messages in error.message_dict.items():
        for message in messages:
            click.echo(f"{field}: {message}", err=True)
    sys.exit(1)


def _members_change(reference: str, customer_ids: tuple[int, ...], as_user: str | None,
                    adding: bool) -> None:  # fmt: skip
    setup_django()
    from django.core.exceptions import ValidationError

    from tenure.events.record import acting_via
    from tenure.segments.services import segment_members_add, segment_members_remove

    user = _user(as_user)
    segment = _segment(reference, user)
    change = segment_members_add if adding else segment_members_remove
    try:
        with acting_via("cli"):
            done = change(by=user, segment_id=segment.pk, customer_ids=list(customer_ids))
    except ValidationError as error:
        _refused(error)
    click.echo(
        f"{segment.name}: {done.entered:,} entered, {done.left:,} left, {done.members:,} members"
    )


@segments.command("add")
@click.argument("reference", metavar="SEGMENT")
@click.argument("customer_ids", metavar="CUSTOMER_ID...", nargs=-1, required=True, type=int)
@click.option("--as", "as_user", metavar="USERNAME", help="as this user (their customers only)")
def segments_add_command(
    reference: str, customer_ids: tuple[int, ...], as_user: str | None
) -> None:
    """Put customers (by id) in a static segment."""
    _members_change(reference, customer_ids, as_user, adding=True)


@segments.command("remove")
@click.argument("reference", metavar="SEGMENT")
@click.argument("customer_ids", metavar="CUSTOMER_ID...", nargs=-1, required=True, type=int)
@click.option("--as", "as_user", metavar="USERNAME", help="as this user (their customers only)")
def segments_remove_command(
    reference: str, customer_ids: tuple[int, ...], as_user: str | None
) -> None:
    """Take customers (by id) out of a static segment."""
    _members_change(reference, customer_ids, as_user, adding=False)


@segments.command("refresh")
@click.argument("reference", metavar="[SEGMENT]", required=False)
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def segments_refresh_command(reference: str | None, as_json: bool) -> None:
    """Evaluate one segment (or, without one, every segment) for every customer now."""
    setup_django()
    from tenure.events.record import acting_via
    from tenure.segments.services import segment_refresh, segments_refresh

    with acting_via("cli"):
        if reference is not None:
            changes = [segment_refresh(by=None, segment_id=_segment(reference, None).pk)]
            skipped: dict[int, str] = {}
        else:
            result = segments_refresh()
            changes, skipped = result.changes, result.skipped
    rows = [
        {"segment_id": c.segment_id, "entered": c.entered, "left": c.left, "members": c.members}
        for c in changes
    ]
    if as_json:
        _echo_json({"refreshed": rows, "skipped": skipped})
        return
    for row in rows:
        click.echo(
            f"segment {row['segment_id']}: {row['entered']:,} entered, {row['left']:,} left, "
            f"{row['members'] or 0:,} members"
        )
    for pk, reason in skipped.items():
        click.echo(f"segment {pk} skipped: {reason}", err=True)


@segments.command("members")
@click.argument("reference", metavar="SEGMENT")
@click.option("--as", "as_user", metavar="USERNAME", help="only the customers this user may see")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="write the CSV here (default: standard output)")  # fmt: skip
def segments_members_command(reference: str, as_user: str | None, output: Path | None) -> None:
    """The segment's members now as the customers export's CSV (formulas neutralised)."""
    setup_django()
    from tenure.segments.selectors import segment_members
    from tenure.transfer.services import customers_export_csv

    user = _user(as_user)
    segment = _segment(reference, user)
    members = segment_members(user=user, segment=segment).order_by("pk")
    export = customers_export_csv(by=user, customers=members)
    if output is None:
        for piece in export:
            click.echo(piece, nl=False)
        return
    with output.open("w", encoding="utf-8", newline="") as handle:
        for piece in export:
            handle.write(piece)
    click.echo(f"{export.rows:,} members written to {output}", err=True)


COMMANDS = [segments]
