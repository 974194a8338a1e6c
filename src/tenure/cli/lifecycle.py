"""`tenure lifecycle` (recompute, funnel) and `tenure churn audit`: the lifecycle at the prompt.

Figures are the operator's view of every customer unless ``--as USERNAME`` asks for what that
user may see. Exit codes: 0 done, 1 the work could not be done, 2 bad arguments.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from tenure.cli.insights import _echo_json, _user, _view_options
from tenure.cli.main import setup_django


@click.group()
def lifecycle() -> None:
    """Lifecycle stages: recompute them, see the funnel."""


@lifecycle.command("recompute")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.option(
    "--from-scratch",
    is_flag=True,
    help="replay every customer's whole history (moves stored before tenure kept two clocks "
    "are dated when they were recorded: this dates them when they happened)",
)
def lifecycle_recompute_command(as_json: bool, from_scratch: bool) -> None:
    """Place every customer in their stage now (as the nightly job does) and score health."""
    setup_django()
    from tenure.lifecycle.services import health_recompute, lifecycle_recompute

    result = lifecycle_recompute(from_scratch=from_scratch)
    health = health_recompute(now=result.as_of)
    if as_json:
        _echo_json(
            {
                "customers": result.customers,
                "moved": result.moved,
                "transitions": result.transitions,
                "superseded": result.superseded,
                "counts": result.counts,
                "moves_by_rule": result.moves,
                "seconds": round(result.seconds, 3),
                "health_seconds": round(health.seconds, 3),
                "definition_version": result.definition_version,
                "as_of": result.as_of,
            }
        )
        return
    table = Table("stage", "customers", title=f"Stages (definition v{result.definition_version})")
    for key, count in result.counts.items():
        table.add_row(key, f"{count:,}")
    console = Console()
    console.print(table)
    console.print(
        f"{result.customers:,} customers, {result.moved:,} moved ({result.transitions:,} "
        f"transitions) in {result.seconds:.2f} s; health scored in {health.seconds:.2f} s"
    )


@lifecycle.command("move")
@click.argument("customer_id", type=int)
@click.argument("stage")
@click.option("--reason", required=True, help="why, in words (kept with the move)")
@click.option("--as", "as_user", required=True, help="the team member making the move")
def lifecycle_move_command(customer_id: int, stage: str, reason: str, as_user: str) -> None:
    """Put a customer in STAGE by hand; held until something next happens to them."""
    setup_django()
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from tenure.access import AccessDenied
    from tenure.lifecycle.services import customer_stage_move

    user = _user(as_user)
    try:
        moved = customer_stage_move(by=user, customer_id=customer_id, stage=stage, reason=reason)
    except ValidationError as refused:
        for field, problems in refused.message_dict.items():
            click.echo(f"{field}: {'; '.join(problems)}", err=True)
        raise SystemExit(2) from refused
    except (Http404, AccessDenied) as refused:
        click.echo(f"no customer {customer_id} that {as_user} may change", err=True)
        raise SystemExit(1) from refused
    click.echo(f"customer {customer_id} is in {moved.stage if moved else 'no stage'}")


@lifecycle.command("funnel")
@_view_options
def lifecycle_funnel_command(as_user: str | None, as_json: bool) -> None:
    """Customers per stage now, in the definition's order."""
    setup_django()
    from tenure.lifecycle.selectors import stage_counts

    rows = stage_counts(user=_user(as_user))
    total = sum(row.customers for row in rows)
    if as_json:
        _echo_json([{"stage": r.key, "name": r.name, "customers": r.customers} for r in rows])
        return
    table = Table("stage", "name", "customers", "share", title="Lifecycle funnel now")
    for row in rows:
        share = f"{100 * row.customers / total:.1f} %" if total else "-"
        table.add_row(row.key, row.name, f"{row.customers:,}", share)
    Console().print(table)


@click.group()
def churn() -> None:
    """Churned customers: what they have in common."""


def _cell(value: Any) -> Any:
    from tenure.transfer.csv_safety import cell_neutralise

    if isinstance(value, float) and math.isnan(value):
        return ""
    return cell_neutralise(value) if isinstance(value, str) else value


@churn.command("audit")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.05, show_default=True, help="false discovery rate")  # fmt: skip
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="also write the full table to this CSV file")  # fmt: skip
@_view_options
def churn_audit_command(
    alpha: float, csv_path: Path | None, as_user: str | None, as_json: bool
) -> None:
    """Churned against retained customers over every attribute, strongest effect first."""
    setup_django()
    from tenure.analytics.audit import bands_in_words
    from tenure.lifecycle.audit import churn_audit_for

    result = churn_audit_for(user=_user(as_user), alpha=alpha)
    if csv_path is not None:
        with csv_path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(list(result.columns))
            for row in result.itertuples(index=False):
                writer.writerow([_cell(bands_in_words(value)) for value in row])
    if as_json:
        frame = result.astype(object).where(result.notna(), None)
        _echo_json({**result.attrs, "findings": frame.to_dict(orient="records")})
        return
    table = Table(
        "attribute", "effect", "p adjusted", "finding",
        title=f"Churn audit: {result.attrs['churned']:,} churned, "
        f"{result.attrs['retained']:,} retained",
    )  # fmt: skip
    for row in result.itertuples(index=False):
        effect = "-" if math.isnan(row.effect_size) else f"{row.effect_size:+.2f}"
        p = "-" if math.isnan(row.p_adjusted) else f"{row.p_adjusted:.3g}"
        mark = " *" if row.significant is True else ""
        table.add_row(row.label, effect + mark, p, str(row.finding or row.note or ""))
    console = Console()
    if result.attrs["note"]:
        console.print(f"Nothing to compare yet: {result.attrs['note']}.")
    else:
        console.print(table)
        console.print(f"* significant at a false discovery rate of {alpha:g}")
        console.print(result.attrs["summary"])
        console.print(result.attrs["left_out"], style="dim")
    if csv_path is not None:
        console.print(f"Written to {csv_path}")


@lifecycle.command("account-health")
@click.argument("account_id", type=int)
@_view_options
def lifecycle_account_health_command(account_id: int, as_user: str | None, as_json: bool) -> None:
    """An account's health: score, band, trend, drivers in words and its history."""
    setup_django()
    from django.http import Http404

    from tenure.lifecycle.selectors import account_health

    try:
        found = account_health(user=_user(as_user), account_id=account_id)
    except Http404:
        raise click.BadParameter(f"no account {account_id}", param_hint="ACCOUNT_ID") from None
    health = found.health
    history = [{"day": p.day, "score": p.score, "band": p.band} for p in found.history]
    if as_json:
        now = None
        if health is not None:
            now = {
                "score": health.score, "band": health.band, "trend": health.trend,
                "explanation": health.explanation, "components": health.components,
                "customers_score": health.customers_score,
                "customers_scored": health.customers_scored, "computed_at": health.computed_at,
            }  # fmt: skip
        _echo_json({"account_id": account_id, "health": now, "history": history})
        return
    console = Console()
    if health is None:
        console.print(f"{found.account.name}: not scored yet (the nightly recompute scores it).")
        return
    arrow = {1: "up", -1: "down"}.get(health.trend, "steady")
    shown = "-" if health.score is None else f"{health.score:.0f}"
    console.print(f"{found.account.name}: health {shown} ({health.band or 'no band'}, {arrow})")
    console.print(health.explanation)
    if health.customers_score is not None:
        console.print(
            f"Its {health.customers_scored:,} scored customers, weighted by revenue: "
            f"{health.customers_score:.0f}"
        )
    table = Table("day", "score", "band", title="History (one row per change)")
    for point in history:
        score = "-" if point["score"] is None else f"{point['score']:.0f}"
        table.add_row(f"{point['day']:%Y-%m-%d}", score, str(point["band"]))
    console.print(table)


COMMANDS = [lifecycle, churn]
