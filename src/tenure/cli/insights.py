"""`tenure metrics` (retention, churn) and `tenure clv` (fit, top): tenure.insights at the prompt.

Figures are the operator's view of every customer unless ``--as USERNAME`` asks for what that
user may see; ``--segment ID_OR_SLUG`` narrows them to a segment's members now (one that user
may see), as ``in_segment`` does in the API. Exit codes: 0 done, 1 the work could not be done
(a failed fit, no fit yet), 2 bad arguments (an unreadable period, an unknown user, a segment
that user may not see).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

import click
from rich.console import Console
from rich.table import Table

from tenure.cli.main import setup_django

if TYPE_CHECKING:
    from tenure.analytics.activity import RuleKind
    from tenure.insights.selectors import RetentionFigures

RULES = ("gap_multiple", "p_alive", "fixed_days")


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, default=_json_default, indent=2, ensure_ascii=False))


def _user(username: str | None) -> Any:
    if username is None:
        return None
    from tenure.users.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        raise click.BadParameter(f"no user named {username!r}", param_hint="--as")
    return user


def _within(segment: str | None, user: Any) -> Any:
    """The selectors' ``within`` for ``--segment`` (None without one)."""
    from tenure.analytics.errors import InvalidInputError
    from tenure.segments.selectors import segment_within

    try:
        return segment_within(user=user, ref=segment, field="--segment")
    except InvalidInputError as error:
        raise click.BadParameter(error.reason, param_hint="--segment") from error


def _segment_option(command: Any) -> Any:
    return click.option("--segment", metavar="ID_OR_SLUG", help="only this segment's members now")(
        command
    )


def _view_options(command: Any) -> Any:
    command = click.option(
        "--as", "as_user", metavar="USERNAME", help="only the customers this user may see"
    )(command)
    return click.option("--json", "as_json", is_flag=True, help="print JSON")(command)


def _figures(
    period: str,
    rule_kind: str,
    k: float,
    threshold: float,
    days: int,
    as_user: str | None,
    segment: str | None,
) -> RetentionFigures:
    setup_django()
    from tenure.analytics.activity import ActivityRule
    from tenure.analytics.errors import InvalidInputError
    from tenure.insights.selectors import period_bounds, retention_figures

    try:
        start, end = period_bounds(period)
    except InvalidInputError as error:
        raise click.BadParameter(error.reason, param_hint="--period") from error
    try:
        rule = ActivityRule(
            kind=cast("RuleKind", rule_kind), gap_multiple=k, p_alive_threshold=threshold, days=days
        )
    except InvalidInputError as error:
        hint = {"gap_multiple": "--gap-multiple", "p_alive_threshold": "--threshold"}
        raise click.BadParameter(error.reason, param_hint=hint.get(error.name, "--days")) from error
    user = _user(as_user)
    within = _within(segment, user)
    try:
        return retention_figures(user=user, start=start, end=end, rule=rule, within=within)
    except InvalidInputError as error:
        raise click.ClickException(error.reason) from error


def _rule_options(command: Any) -> Any:
    options = [
        click.option("--period", required=True, help='"2025-Q1", "2025-03", "2025" or "A..B"'),
        click.option("--rule", "rule_kind", type=click.Choice(RULES), default=RULES[0],
                     show_default=True, help="when a customer counts as lost"),
        click.option("--gap-multiple", "k", type=float, default=3.0, show_default=True,
                     help="gap_multiple: lost after k x their typical gap"),
        click.option("--threshold", type=float, default=0.3, show_default=True,
                     help="p_alive: lost below this P(alive)"),
        click.option("--days", type=int, default=365, show_default=True,
                     help="fixed_days: lost after this many days without an order"),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return _segment_option(_view_options(command))


def _rate(value: float | None) -> str:
    return "n/a (no customer active at the start)" if value is None else f"{value:.2f} %"


@click.group()
def metrics() -> None:
    """Retention and churn over a period, with the rule that says who is active."""


@metrics.command("retention")
@_rule_options
def metrics_retention(
    period: str, rule_kind: str, k: float, threshold: float, days: int, as_user: str | None,
    segment: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Customer retention rate ((E - N) / S x 100) and churn over --period."""
    figures = _figures(period, rule_kind, k, threshold, days, as_user, segment)
    if as_json:
        _echo_json(dataclasses.asdict(figures))
        return
    console = Console()
    table = Table(title=f"Retention {figures.start} .. {figures.end}", show_header=False)
    table.add_row("S  active at the start", f"{figures.S:,}")
    table.add_row("E  active at the end", f"{figures.E:,}")
    table.add_row(
        "N  joined during the period",
        f"{figures.N:,} (new {figures.new:,}, won back {figures.won_back:,})",
    )
    table.add_row("lost", f"{figures.lost:,}")
    table.add_row("retention", _rate(figures.retention_rate))
    table.add_row("churn", _rate(figures.churn_rate))
    console.print(table)
    console.print(f"Rule: {figures.rule_description}", soft_wrap=True)


@metrics.command("churn")
@_rule_options
def metrics_churn(
    period: str, rule_kind: str, k: float, threshold: float, days: int, as_user: str | None,
    segment: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Churn rate (lost / S x 100) over --period."""
    figures = _figures(period, rule_kind, k, threshold, days, as_user, segment)
    if as_json:
        _echo_json(
            {
                "start": figures.start,
                "end": figures.end,
                "S": figures.S,
                "lost": figures.lost,
                "churn_rate": figures.churn_rate,
                "rule_description": figures.rule_description,
            }
        )
        return
    click.echo(f"Churn {figures.start} .. {figures.end}: {_rate(figures.churn_rate)}")
    click.echo(f"  {figures.lost:,} lost of S = {figures.S:,} active at the start")
    click.echo(f"Rule: {figures.rule_description}")


def _percent(value: float | None) -> str:
    return "n/a (no MRR at the start)" if value is None else f"{value:.2f} %"


@metrics.command("contracts")
@click.option("--period", required=True, help='"2025-Q1", "2025-03", "2025" or "A..B"')
@click.option("--currency", default=None, help="which currency's subscriptions to add up")
@_view_options
@_segment_option
def metrics_contracts(
    period: str, currency: str | None, as_user: str | None, segment: str | None, as_json: bool
) -> None:
    """Subscriptions over --period: MRR movements, gross and net revenue retention, renewals."""
    setup_django()
    from tenure.analytics.errors import InvalidInputError
    from tenure.insights.contracts import contract_figures
    from tenure.insights.selectors import period_bounds

    try:
        start, end = period_bounds(period)
    except InvalidInputError as error:
        raise click.BadParameter(error.reason, param_hint="--period") from error
    user = _user(as_user)
    figures = contract_figures(
        user=user, start=start, end=end, currency=currency, within=_within(segment, user)
    )
    if as_json:
        _echo_json(dataclasses.asdict(figures))
        return
    console = Console()
    table = Table(title=f"Subscriptions {figures.start} .. {figures.end}", show_header=False)
    money = f"{{:,.2f}} {figures.currency}".format
    table.add_row("MRR at the start", money(figures.start_mrr))
    table.add_row("+ new", money(figures.new_mrr))
    table.add_row("- churned", money(figures.churned_mrr))
    table.add_row("MRR at the end", money(figures.end_mrr))
    table.add_row("gross revenue retention", _percent(figures.grr))
    table.add_row("net revenue retention", _percent(figures.nrr))
    renewal = _percent(figures.renewal_rate) if figures.up_for_renewal else "n/a (none due)"
    table.add_row("renewal rate", f"{renewal} ({figures.renewed:,} of {figures.up_for_renewal:,})")
    console.print(table)
    for note in [figures.currency_note, *figures.notes]:
        if note:
            console.print(f"Note: {note}", soft_wrap=True)


@click.group()
def clv() -> None:
    """Customer lifetime value: fit the customer-base models, list the most valuable."""


@clv.command("fit")
@click.option(
    "--observation-end",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="last day of orders to use  [default: today]",
)
@click.option(
    "--discount-rate",
    type=float,
    default=0.10,
    show_default=True,
    help="yearly discount rate of the CLV",
)
@click.option("--margin", type=float, default=1.0, show_default=True,
              help="profit margin; 1.0 makes the CLV revenue")  # fmt: skip
def clv_fit_command(observation_end: datetime | None, discount_rate: float, margin: float) -> None:
    """Fit BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma now, backtest the churn rankings, and
    store every customer's predictions."""
    setup_django()
    from tenure.analytics.errors import InvalidInputError
    from tenure.insights.models import FitStatus
    from tenure.insights.selectors import fit_parameters
    from tenure.insights.services import clv_fit

    try:
        fit = clv_fit(
            observation_end=observation_end.date() if observation_end else None,
            discount_rate_annual=discount_rate,
            margin=margin,
        )
    except InvalidInputError as error:
        raise click.BadParameter(error.reason, param_hint=error.name) from error
    if fit.status != FitStatus.DONE:
        raise click.ClickException(f"fit {fit.pk} failed: {fit.error}")
    console = Console()
    console.print(
        f"fit {fit.pk}: {fit.customers:,} customers, {fit.orders:,} orders to "
        f"{fit.observation_end}, {fit.duration_seconds or 0:.2f} s"
    )
    table = Table("model", "parameter", "estimate", "standard error", "log-likelihood")
    shown = ""
    for row in fit_parameters(fit):
        model = "" if row.model == shown else row.model
        shown = row.model
        if row.error:
            table.add_row(model, "-", "not fitted", row.error, "")
            continue
        se = "-" if row.standard_error is None else f"{row.standard_error:.3g}"
        loglik = "" if row.log_likelihood is None else f"{row.log_likelihood:.2f}"
        estimate = "-" if row.estimate is None else f"{row.estimate:.4g}"
        table.add_row(model, row.name, estimate, se, loglik)
    console.print(table)
    for row in fit_parameters(fit):
        if row.note:
            console.print(f"{row.model}: {row.note}", soft_wrap=True)
    _print_backtest(console, fit)


def _print_backtest(console: Console, fit: Any) -> None:
    """The backtest that chose the churn ranking, in words and figures."""
    from tenure.insights.ranking import ranking_backtest

    backtest = ranking_backtest(fit)
    if backtest is None:
        return
    console.print(f"Purchase model (P(alive), CLV): {backtest.purchase_model}")
    console.print(f"Churn ranking: {backtest.summary}", soft_wrap=True)
    if backtest.holdout_days is None:
        return
    table = Table(
        "ranking", "AUC", "top 10 % lapsed", "",
        title=f"Backtest: fitted to {backtest.holdout_days} days before the end, "
        f"{backtest.customers:,} customers, {backtest.lapsed:,} did not order again",
    )  # fmt: skip
    for row in backtest.candidates:
        if row.auc is None:
            table.add_row(row.label, "-", "-", row.error)
            continue
        share = "-" if row.top_decile_lapsed is None else f"{row.top_decile_lapsed:.1%}"
        table.add_row(row.label, f"{row.auc:.3f}", share, "used" if row.chosen else "")
    console.print(table)


@clv.command("top")
@click.argument("n", type=click.IntRange(1, 1000), default=20)
@_view_options
@_segment_option
def clv_top_command(n: int, as_user: str | None, segment: str | None, as_json: bool) -> None:
    """The N customers with the highest predicted CLV over the next 365 days."""
    setup_django()
    from django.utils import timezone

    from tenure.insights.selectors import clv_top, latest_fit

    fit = latest_fit()
    if fit is None:
        raise click.ClickException("no predictions yet: run `tenure clv fit` first")
    user = _user(as_user)
    rows = clv_top(user=user, n=n, within=_within(segment, user))
    if as_json:
        _echo_json([dataclasses.asdict(row) for row in rows])
        return
    table = Table(title=f"Top {n} by predicted CLV (fit of {fit.observation_end})")
    table.add_column("customer", no_wrap=True)  # an id must stay whole to be copied
    table.add_column("name")
    for heading in ("predicted CLV 365 d", "historic CLV", "P(alive)"):
        table.add_column(heading, justify="right")
    table.add_column("next order", no_wrap=True)
    for row in rows:
        next_order = row.expected_next_order_at
        table.add_row(
            row.external_id,
            row.name,
            f"{row.predicted_clv_365:,.2f}",
            f"{row.historic_clv:,.2f}",
            f"{row.p_alive:.2f}",
            f"{timezone.localtime(next_order):%Y-%m-%d}" if next_order else "-",
        )
    Console().print(table)


COMMANDS = [metrics, clv]
