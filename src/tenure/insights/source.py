"""The orders the analytics read on an engine beside the app's database: the extract as an
Ibis table on DuckDB (in this process, the default) or on Spark (``TENURE_ANALYTICS_ENGINE``).

``engine_fit`` runs the whole path: the extract (brought up to date), the models'
sufficient statistics counted on the engine (:mod:`tenure.analytics.sufficient`), and the
fits on this machine from the counted rows alone: no order row comes back from the engine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings

from tenure.analytics import engines
from tenure.analytics.errors import FitError, InvalidInputError
from tenure.insights.extract import Extract, extract_directory, extract_read, orders_extract

ORDERS = ("customer_id", "placed_at", "amount")


def analytics_engine(engine: str | None = None) -> engines.Engine:
    """The engine asked for, else the setting; refused with the setting's name if unknown."""
    chosen = engine or settings.ANALYTICS_ENGINE
    if chosen not in engines.ENGINES:
        raise InvalidInputError(
            "TENURE_ANALYTICS_ENGINE" if engine is None else "engine",
            f"must be one of {', '.join(engines.ENGINES)}, got {chosen!r}",
        )
    return chosen


def engine_backend(engine: engines.Engine) -> Any:
    """An Ibis backend of ``engine`` (Spark: ``TENURE_SPARK_REMOTE``'s cluster, else local)."""
    if engine == "spark":
        return engines.connect("spark", session=engines.spark_session())
    return engines.connect("duckdb")


def extract_table(backend: Any, directory: Path | None = None) -> Any:
    """The extract's orders as an Ibis table on ``backend``."""
    where = directory or extract_directory()
    if extract_read(where) is None:
        raise InvalidInputError(
            "extract", f"there is no extract at {where}: run `tenure analytics extract` first"
        )
    if backend.name == "duckdb":
        table = backend.read_parquet(str(where / "**" / "*.parquet"), hive_partitioning=True)
    else:
        table = backend.read_parquet(str(where))
    return table.select(*ORDERS)


@dataclass
class EngineFit:
    """What a fit on an engine found: the extract it read, the counted rows, the models."""

    engine: str
    extract: Extract
    observation_end: date
    customers: float
    rows_fetched: int
    params: dict[str, dict[str, float]] = field(default_factory=dict)
    log_likelihood: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def engine_fit(
    *,
    engine: str | None = None,
    observation_end: date | None = None,
    directory: Path | None = None,
    refresh: bool = False,
) -> EngineFit:
    """Bring the extract up to date (all of it with ``refresh``), count on the engine, fit
    here (see the module)."""
    from tenure.analytics.models import BetaGeo, ModifiedBetaGeo, ParetoNBD
    from tenure.analytics.sufficient import sufficient_statistics

    chosen = analytics_engine(engine)
    where = directory or extract_directory()
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    extract = orders_extract(where, full=refresh)  # the months changed since, or all of it
    seconds["extract"] = time.perf_counter() - started
    if extract.orders == 0:
        raise InvalidInputError("orders", "there are no completed orders to fit on")
    backend = engine_backend(chosen)
    try:
        started = time.perf_counter()
        stats = sufficient_statistics(
            extract_table(backend, where), "customer_id", "placed_at", "amount",
            observation_end=observation_end,
        )  # fmt: skip
        seconds["count"] = time.perf_counter() - started
    finally:
        if chosen == "duckdb":
            backend.disconnect()
    result = EngineFit(
        engine=chosen, extract=extract, observation_end=stats.observation_end,
        customers=stats.n_customers, rows_fetched=stats.rows + 1, seconds=seconds,
    )  # fmt: skip
    started = time.perf_counter()
    for name, model in (("bg_nbd", BetaGeo()), ("mbg_nbd", ModifiedBetaGeo()),
                        ("pareto_nbd", ParetoNBD())):  # fmt: skip
        try:
            fitted = stats.fit_purchases(model)
        except FitError as error:
            result.errors[name] = error.reason
            continue
        result.params[name] = dict(fitted.params_)
        result.log_likelihood[name] = float(fitted.log_likelihood_)
    try:
        spend = stats.fit_spend()
    except (FitError, InvalidInputError) as error:
        result.errors["gamma_gamma"] = error.reason
    else:
        result.params["gamma_gamma"] = dict(spend.params_)
        result.log_likelihood["gamma_gamma"] = float(spend.log_likelihood_)
    seconds["fit"] = time.perf_counter() - started
    return result
