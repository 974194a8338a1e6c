"""Where the analytics' Ibis expressions run: DuckDB in this process (the default) or Spark.

The summary (:func:`tenure.analytics.summary.rfm_summary`), the cohort tables
(:mod:`tenure.analytics.cohorts`) and the lifecycle buckets
(:mod:`tenure.analytics.lifecycle_buckets`) are Ibis expressions: handed an ``ibis.Table``, they
run on its backend and give the same answer on each (``tests/analytics/test_spark_parity.py``:
integers identical, floats within 1e-9 relative). This module makes the backend and puts a
pandas or Polars frame onto it with the in-memory path's checks and dates (a timezone-aware
date becomes its wall-clock time in its own zone), so a caller can move between engines without
touching the analytics.

Spark needs the optional extra (``pip install 'tenure[spark]'``: pyspark 4.0 and Java 17).
``spark_session()`` is a local ``local[2]`` session, or a Spark Connect client when a remote
address is given (``sc://host:15002``, the ``TENURE_SPARK_REMOTE`` setting). Ibis sets the
session's time zone to UTC, so timestamps without a zone are wall-clock times on Spark as on
DuckDB. Spark pays off only across a cluster: on these 2 cores the CDNOW summary takes seconds
against DuckDB's milliseconds (``benchmarks/spark_parity.py``).
"""

from __future__ import annotations

import os
from itertools import count
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from tenure.analytics._frames import arrow_table, columns_from_frame
from tenure.analytics.errors import InvalidInputError

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark")
REMOTE_SETTING = "TENURE_SPARK_REMOTE"

# A local session sized for one machine: as many shuffle partitions as cores (Spark's default,
# 200, spends most of a small query scheduling empty tasks), Arrow for pandas in and out, no UI.
_LOCAL_CONF = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
}
_names = count()


def spark_session(
    *, remote: str | None = None, master: str = "local[2]", conf: dict[str, str] | None = None
) -> Any:
    """A Spark session: a Spark Connect client for ``remote`` (``sc://host:port``), else local.

    ``remote`` defaults to the ``TENURE_SPARK_REMOTE`` environment variable; ``""`` asks for a
    local session whatever it says. An existing session of this process is reused (Spark
    allows one local session per process). ``conf`` adds or overrides a local session's
    settings.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InvalidInputError(
            "engine", "spark needs the optional extra: pip install 'tenure[spark]'"
        ) from None
    remote = (remote if remote is not None else os.environ.get(REMOTE_SETTING)) or None
    if remote is not None:
        if not remote.startswith("sc://"):
            raise InvalidInputError(
                REMOTE_SETTING, f"must be a Spark Connect address sc://host:port, got {remote!r}"
            )
        return SparkSession.builder.remote(remote).getOrCreate()
    builder = SparkSession.builder.master(master).appName("tenure")
    for key, value in {**_LOCAL_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def connect(engine: Engine = "duckdb", *, session: Any = None, remote: str | None = None) -> Any:
    """An Ibis backend: a fresh in-process DuckDB, or Spark on ``session`` (else
    :func:`spark_session` with ``remote``)."""
    import ibis

    if engine == "duckdb":
        return ibis.duckdb.connect()
    if engine == "spark":
        return ibis.pyspark.connect(
            session if session is not None else spark_session(remote=remote)
        )
    raise InvalidInputError("engine", f"must be one of {', '.join(ENGINES)}, got {engine!r}")


def engine_of(table: ir.Table) -> str:
    """The name of the backend an Ibis table lives on (``duckdb``, ``pyspark``, ...)."""
    import ibis

    backend: BaseBackend = ibis.get_backend(table)
    return str(backend.name)


def orders_table(
    backend: Any,
    transactions: Any,
    customer_col: str,
    date_col: str,
    value_col: str | None = None,
    *,
    name: str | None = None,
) -> ir.Table:
    """A pandas or Polars order log as a table on ``backend``, columns renamed to nothing:
    ``customer_col``, ``date_col`` (naive wall-clock timestamps) and ``value_col`` (float64).

    The rows pass the checks of the in-memory path (no missing ids or dates, finite values), so
    the analytics give the same answer for the table as for the frame. The table is a
    temporary view named ``name`` (default: a fresh ``tenure_orders_<n>``).
    """
    import ibis

    columns = columns_from_frame(transactions, customer_col, date_col, value_col)
    data: dict[str, np.ndarray] = {
        customer_col: columns.customers,
        date_col: columns.dates.astype("datetime64[us]"),
    }
    if value_col is not None and columns.values is not None:
        data[value_col] = columns.values
    view = name or f"tenure_orders_{next(_names)}"
    table: ir.Table = backend.create_view(view, ibis.memtable(arrow_table(data)), overwrite=True)
    return table
