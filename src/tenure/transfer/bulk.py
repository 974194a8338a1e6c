"""Upserting many rows at once, fast: ``INSERT ... ON CONFLICT`` without building model objects.

``QuerySet.bulk_create(update_conflicts=True)`` does the same, but instantiates a model and
compiles every value of every row in Python: about 60 µs a row here, a minute per million
orders. This writes the values as they are, giving the columns not written the model's defaults
(once per batch), and sends them by ``COPY`` into a temporary table on PostgreSQL (then one
``INSERT ... SELECT ... ON CONFLICT``) and by ``executemany`` on SQLite.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Collection, Sequence
from typing import Any

from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone


def concrete_field(model: type[models.Model], name: str) -> models.Field:
    """A stored field of ``model`` by name or attname (``account`` or ``account_id``)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise ValueError(f"{model.__name__}.{name} is not a stored field")
    return field


def _column(model: type[models.Model], name: str) -> str:
    return str(concrete_field(model, name).column)


def rows_by_keys(
    model: type[models.Model], name: str, keys: Collection[Any], *, values: Sequence[str]
) -> list[tuple[Any, ...]]:
    """The ``values`` of the rows of ``model`` whose ``name`` is one of ``keys``.

    Tens of thousands of keys go as one parameter: ``= ANY(array)`` on PostgreSQL (the driver
    formats a list of placeholders slower than the server runs the query) and a JSON array on
    SQLite (which allows 32,766 parameters, and whose driver would keep a prepared statement
    for every length of list).
    """
    quote = connection.ops.quote_name
    column = f"{quote(model._meta.db_table)}.{quote(_column(model, name))}"
    parameter: object
    if connection.vendor == "postgresql":
        sql, parameter = f"{column} = ANY(%s)", list(keys)
    else:
        sql = f"{column} IN (SELECT value FROM json_each(%s))"  # noqa: S608 -- names from the model
        parameter = json.dumps(list(keys))
    condition = RawSQL(sql, (parameter,), output_field=models.BooleanField())  # noqa: S611 -- names from the model, keys as one parameter
    return list(model._default_manager.filter(Q(condition)).values_list(*values))


def new_row_defaults(
    model: type[models.Model], *, written: Collection[str]
) -> list[tuple[models.Field, Any]]:
    """The stored fields of ``model`` a new row takes defaults for (all but the primary key and
    the ``written`` attnames), each with its default ready for the driver (``auto_now``: now)."""
    now = timezone.now()
    defaults: list[tuple[models.Field, Any]] = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in written:
            continue
        value = now if getattr(field, "auto_now", False) else field.get_default()
        defaults.append((field, field.get_db_prep_save(value, connection)))
    return defaults


def _prepare(field: models.Field) -> Callable[[Any], Any] | None:
    """How a value of this field must be adapted for the driver; None when it goes as is."""
    needs = isinstance(field, models.JSONField) or (
        connection.vendor == "sqlite" and isinstance(field, models.DateTimeField)
    )
    if not needs:
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def rows_upsert(
    model: type[models.Model],
    *,
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    unique: str,
    update: Sequence[str] = (),
) -> None:
    """Insert ``rows`` (values of ``fields``, in that order) into ``model``'s table; a row whose
    ``unique`` value exists updates the ``update`` fields instead (or is skipped when
    ``update`` is empty). Other columns take the model's defaults (``auto_now`` ones: now).

    Within ``rows`` the ``unique`` values must differ. Runs in the caller's transaction.
    """
    if not rows:
        return
    opts = model._meta
    given = [concrete_field(model, name) for name in fields]
    defaults = new_row_defaults(model, written={field.attname for field in given})
    columns = [str(field.column) for field in [*given, *(field for field, _ in defaults)]]
    tail = tuple(value for _, value in defaults)
    preparers = [_prepare(field) for field in given]
    if any(preparers):
        values = [
            tuple(p(v) if p else v for p, v in zip(preparers, row, strict=True)) + tail
            for row in rows
        ]
    else:
        values = [tuple(row) + tail for row in rows]

    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    column_list = ", ".join(quote(column) for column in columns)
    conflict = quote(_column(model, unique))
    if update:
        sets = ", ".join(
            f"{quote(c)} = EXCLUDED.{quote(c)}" for c in (_column(model, n) for n in update)
        )
        action = f"DO UPDATE SET {sets}"
    else:
        action = "DO NOTHING"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Named after its columns: a connection that outlives a migration gets a new one.
            staging = quote(f"tenure_upsert_{zlib.crc32((table + column_list).encode()):08x}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} AS "  # noqa: S608
                f"SELECT {column_list} FROM {table} WITH NO DATA"
            )
            cursor.execute(f"TRUNCATE {staging}")
            with cursor.cursor.copy(f"COPY {staging} ({column_list}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
            # In the order of the unique key: two writers of the same rows lock them in the same
            # order, so one waits for the other instead of deadlocking.
            cursor.execute(
                f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {staging} "  # noqa: S608
                f"ORDER BY {conflict} ON CONFLICT ({conflict}) {action}"
            )
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({column_list}) VALUES ({placeholders}) "  # noqa: S608
                f"ON CONFLICT ({conflict}) {action}",
                values,
            )
