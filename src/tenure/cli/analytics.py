"""`tenure analytics`: the orders' Parquet extract, and the models fitted on another engine.

``extract`` writes every completed order to the extract (``TENURE_ANALYTICS_EXTRACT_DIR``);
``fit`` counts the models' sufficient statistics on DuckDB or Spark (``--engine``, default
``TENURE_ANALYTICS_ENGINE``) and fits them here from the counted rows. Exit codes: 0 done, 1 the
work could not be done, 2 bad arguments.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import click

from tenure.cli.main import setup_django


@click.group()
def analytics() -> None:
    """The analytics on an engine beside the database (DuckDB here, or Spark)."""


@analytics.command("extract")
@click.option("--to", "directory", type=click.Path(path_type=Path), default=None,
              help="where to write it  [default: TENURE_ANALYTICS_EXTRACT_DIR]")  # fmt: skip
@click.option("--full", is_flag=True, help="write every month, not only the changed ones")
def analytics_extract(directory: Path | None, full: bool) -> None:
    """Bring the Parquet extract of the completed orders up to date: the months whose orders
    changed since the last run (every month the first time, or with --full)."""
    setup_django()
    from tenure.insights.extract import orders_extract

    try:
        made = orders_extract(directory, full=full)
    except OSError as error:  # a folder that cannot be made or written: say which
        raise click.ClickException(f"the extract could not be written: {error}") from error
    wrote = "every month" if made.whole else f"{len(made.written)} changed month(s)"
    click.echo(
        f"{made.directory}: {made.orders:,} orders in {len(made.months)} months; wrote {wrote}"
    )


@analytics.command("fit")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default=None,
              help="where to count  [default: TENURE_ANALYTICS_ENGINE]")  # fmt: skip
@click.option("--observation-end", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="last day of orders to use  [default: the last order's]")  # fmt: skip
@click.option("--from", "directory", type=click.Path(path_type=Path), default=None,
              help="the extract to read  [default: TENURE_ANALYTICS_EXTRACT_DIR]")  # fmt: skip
@click.option("--refresh", is_flag=True, help="write the whole extract again first")
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON")
def analytics_fit(
    engine: str | None,
    observation_end: datetime | None,
    directory: Path | None,
    refresh: bool,
    as_json: bool,
) -> None:
    """Count the models' statistics on the engine and fit BG/NBD, MBG/NBD, Pareto/NBD and
    Gamma-Gamma here, from the counted rows alone."""
    setup_django()
    from tenure.analytics.errors import InvalidInputError
    from tenure.insights.source import engine_fit

    try:
        result = engine_fit(
            engine=engine,
            observation_end=observation_end.date() if observation_end else None,
            directory=directory,
            refresh=refresh,
        )
    except InvalidInputError as error:
        raise click.BadParameter(error.reason, param_hint=error.name) from error
    except OSError as error:
        raise click.ClickException(f"the extract could not be written: {error}") from error
    if as_json:
        click.echo(json.dumps(asdict(result), default=str, indent=2))
        return
    click.echo(
        f"{result.engine}: {result.customers:,.0f} customers of {result.extract.orders:,} "
        f"orders to {result.observation_end}; {result.rows_fetched:,} counted rows fetched"
    )
    for model, params in result.params.items():
        shown = ", ".join(f"{name} {value:.4g}" for name, value in params.items())
        click.echo(f"  {model}: {shown} (log-likelihood {result.log_likelihood[model]:.2f})")
    for model, reason in result.errors.items():
        click.echo(f"  {model}: not fitted: {reason}")


COMMANDS = [analytics]
