"""The points consumer's earns as SQL, set-wise: a batch of 100,000 ``order.placed`` events
earns in a few statements, no row passing through Python (``following.orders_earn``).

The batch's earns are first computed into a temporary table (``stage``) by one
``INSERT ... SELECT`` per 100,000 events: each event joined with its order (the customer is
the order's; an order gone since earns nothing) and the customer's tier, the points computed
in integers from the event's amount (``tenure.domain.loyalty.points_for``'s arithmetic,
exactly: see below), the orders whose key is in the ledger already and those of 0 points left
out, each row given its entry's id (PostgreSQL: the entries' sequence; SQLite, one writer:
above the largest id). Then, a statement each over the whole table: the balances made and
locked in customer order, the customers in debt taken out (they earn one by one: the points
pay the debt first), the entries (``ON CONFLICT DO NOTHING``: a key written meanwhile by
another writer is skipped and its row dropped), the lots, the balances (``balance`` and
``earned`` plus the batch's points, as ``services._move`` adds one earn) and the
``loyalty.earned`` events (``events.entries_announce_select``).

Exact arithmetic on both engines: SQLite has no decimal type (its ``NUMERIC`` columns hold
floats), so the points are ``(cents x rate_e7 [+ half]) / 10**9`` in 64-bit integers, where
``cents`` is the amount's text without its point and ``rate_e7`` the program's rate times the
tier's multiplier (4 and 3 places: 7 in all) as a whole number, computed in Python with
``Decimal`` per tier. An event whose amount is not plain ``digits.dd`` text, or so large that
the product could pass 2**63, is computed by the Python rule instead and joins the same
table (``stage_add``). Engine-specific SQL is limited to reading the event's JSON and the
batch's ids, the expiry moment, the entries' ids and the lock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection

from tenure.events.models import Event
from tenure.loyalty.models import (
    CustomerTier,
    EntryKind,
    LoyaltyBalance,
    LoyaltyProgram,
    LoyaltyTier,
    PointsEntry,
    PointsLot,
)
from tenure.orders.models import Order

STAGE = "tenure_loyalty_earn_stage"
SCALE = 10**7  # the rate's places: points_per_unit 4, a tier's multiplier 3
ONE = Decimal(1)
INT64 = 2**63 - 1
FILL_CHUNK = 100_000  # the consumer's batch: one statement
_DEFINITION = (
    "order_id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, points INTEGER NOT NULL, "
    "amount NUMERIC(14, 2), multiplier NUMERIC(6, 3) NOT NULL, cause VARCHAR(200) NOT NULL, "
    "earned_at {moment} NOT NULL, expires_at {moment}, entry_id BIGINT"
)


@dataclass(frozen=True)
class Rate:
    """A tier's (or no tier's) earning rate: ``scaled`` is rate x 10**7, whole."""

    tier_id: int | None
    multiplier: Decimal
    scaled: int
    suffix: str  # the cause's words after "order <id>"


def _rate(tier_id: int | None, per_unit: Decimal, multiplier: Decimal) -> Rate | None:
    scaled = per_unit * multiplier * SCALE
    if scaled != scaled.to_integral_value():
        return None  # more places than the fields hold: the Python rule computes it
    suffix = f" (x{multiplier.normalize():f} tier)" if multiplier != ONE else ""
    return Rate(tier_id, multiplier, int(scaled), suffix)


def rates(program: LoyaltyProgram) -> list[Rate] | None:
    """No tier's rate first, then each tier's; None if one cannot be exact in integers."""
    found = [_rate(None, program.points_per_unit, ONE)]
    for pk, multiplier in LoyaltyTier.objects.values_list("pk", "multiplier"):
        found.append(_rate(pk, program.points_per_unit, multiplier))
    return None if None in found else [r for r in found if r is not None]


def plain_amount(rates_: Sequence[Rate]) -> re.Pattern[str]:
    """The amounts SQL computes: ``digits.dd`` with few enough digits that cents x the largest
    rate (plus a half for rounding) stays below 2**63."""
    bound = (INT64 - 10**9) // max(max(r.scaled for r in rates_), 1)
    digits = len(str(bound)) - 1  # cents below 10**digits <= bound
    return re.compile(rf"\d{{1,{max(digits - 2, 0)}}}\.\d\d")


def _q(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _c(name: str) -> str:
    return connection.ops.quote_name(name)


def _moment(at: datetime | None) -> Any:
    return None if at is None else connection.ops.adapt_datetimefield_value(at)


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def stage_create() -> None:
    """The batch's table, empty (PostgreSQL: dropped at commit; SQLite: kept per connection,
    emptied here and at the end)."""
    moment = "TIMESTAMP WITH TIME ZONE" if _postgres() else "DATETIME"
    tail = " ON COMMIT DROP" if _postgres() else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} "
            f"({_DEFINITION.format(moment=moment)}){tail}"
        )
        cursor.execute(f"DELETE FROM {STAGE}")  # noqa: S608 -- a constant


def _expiry_sql(program: LoyaltyProgram) -> tuple[str, list[Any]]:
    days = program.lot_lifetime_days
    if days is None:
        return "CAST(NULL AS TIMESTAMP WITH TIME ZONE)" if _postgres() else "NULL", []
    if _postgres():  # seconds, not days: the same instant as Python's timedelta
        return "e.at + CAST(%s AS INTEGER) * INTERVAL '1 second'", [days * 86400]
    # Stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC): datetime() drops the fraction.
    return "datetime(e.at, %s) || substr(e.at, 20)", [f"+{days} days"]


def stage_fill(event_ids: Sequence[int], program: LoyaltyProgram, rates_: Sequence[Rate]) -> None:
    """The earns of the ``order.placed`` events ``event_ids`` (completed, amounts plain: the
    caller chose them), per chunk of 100,000 events: one ``INSERT ... SELECT`` each."""
    values = ", ".join(
        ["(CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS NUMERIC(6, 3)), %s)"] * len(rates_)
    )
    rate_params: list[Any] = []
    for rate in rates_:
        rate_params += [rate.tier_id if rate.tier_id is not None else -1, rate.scaled,
                        rate.multiplier, rate.suffix]  # fmt: skip
    base = rates_[0]
    half = SCALE * 100 // 2 if program.rounding == "half_up" else 0
    expiry, expiry_params = _expiry_sql(program)
    if _postgres():
        amount, ids = "e.data ->> 'amount'", "e.id = ANY(CAST(%s AS BIGINT[]))"
    else:
        amount, ids = (
            "json_extract(e.data, '$.amount')",
            "e.id IN (SELECT value FROM json_each(%s))",
        )
    cents = f"CAST(REPLACE({amount}, '.', '') AS BIGINT)"
    # PostgreSQL: the entry's id taken here, for the rows kept only (SQLite: entries_write).
    entry_id = "nextval(%s)" if _postgres() else "NULL"
    sql = (
        f"WITH rates (tier_id, scaled, multiplier, suffix) AS (VALUES {values}) "  # noqa: S608 -- model names
        f"INSERT INTO {STAGE} (order_id, customer_id, points, amount, multiplier, cause, "
        f"earned_at, expires_at, entry_id) "
        f"SELECT order_id, customer_id, points, amount, multiplier, cause, earned_at, expires_at, "
        f"{entry_id} FROM (SELECT o.id AS order_id, o.customer_id AS customer_id, "
        f"({cents} * COALESCE(r.scaled, CAST(%s AS BIGINT)) + CAST(%s AS BIGINT)) "
        f"/ CAST(%s AS BIGINT) AS points, "
        f"CAST({amount} AS NUMERIC(14, 2)) AS amount, "
        f"COALESCE(r.multiplier, CAST(%s AS NUMERIC(6, 3))) AS multiplier, "
        f"'order ' || CAST(o.id AS VARCHAR(20)) || COALESCE(r.suffix, %s) AS cause, "
        f"e.at AS earned_at, {expiry} AS expires_at "
        f"FROM {_q(Event)} e JOIN {_q(Order)} o ON o.id = e.subject_id "
        f"LEFT JOIN {_q(CustomerTier)} ct ON ct.customer_id = o.customer_id "
        f"LEFT JOIN rates r ON r.tier_id = ct.tier_id "
        f"WHERE {ids} AND NOT EXISTS (SELECT 1 FROM {_q(PointsEntry)} pe "
        f"WHERE pe.source_key = {_key_sql('o', 'id')})) earns WHERE points > 0"
    )
    sequence = [_sequence()] if _postgres() else []
    with connection.cursor() as cursor:
        for start in range(0, len(event_ids), FILL_CHUNK):
            part = list(event_ids[start : start + FILL_CHUNK])
            params = [
                *rate_params, *sequence, base.scaled, half, SCALE * 100, base.multiplier,
                base.suffix, *expiry_params, part if _postgres() else json.dumps(part),
            ]  # fmt: skip
            cursor.execute(sql, params)


STAGE_COLUMNS = ("order_id", "customer_id", "points", "amount", "multiplier", "cause",
                 "earned_at", "expires_at")  # fmt: skip


def stage_add(rows: Iterable[tuple[PointsEntry, datetime, datetime | None]]) -> None:
    """Earns the Python rule computed (unsaved entries, with their lots' earned and expiry
    moments), into the same table."""
    adapt = connection.ops.adapt_decimalfield_value
    values = [
        (row.order_id, row.customer_id, row.points, adapt(row.amount, 14, 2),
         adapt(row.multiplier, 6, 3), row.cause, _moment(earned_at), _moment(expires_at))
        for row, earned_at, expires_at in rows
    ]  # fmt: skip
    if values:
        marks = ", ".join(["%s"] * len(STAGE_COLUMNS))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {STAGE} ({', '.join(STAGE_COLUMNS)}) VALUES ({marks}) "  # noqa: S608 -- a constant
                f"ON CONFLICT DO NOTHING",
                values,
            )


def _key_sql(alias: str, column: str = "order_id") -> str:
    """``following.earn_key`` in SQL."""
    return f"'order:' || CAST({alias}.{column} AS VARCHAR(20)) || ':earn'"


def capped(cause: str, cap: int) -> str:
    """An earn's cause when the program's cap cut it (the Python rule writes the same)."""
    return f"{cause} (capped at {cap})"[:200]


def stage_cap(cap: int) -> None:
    """The program's most points for one order, on every staged earn above it, said in the
    cause (an order's earn is at most 200 characters: ``order <id> (x1.5 tier)``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {STAGE} SET points = %s, cause = SUBSTR(cause || %s, 1, 200) "  # noqa: S608 -- a constant
            "WHERE points > %s",
            [cap, f" (capped at {cap})", cap],
        )


def stage_drop_known() -> int:
    """Drop the earns whose source key is in the ledger already; how many are left."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {STAGE} WHERE EXISTS (SELECT 1 FROM {_q(PointsEntry)} pe "  # noqa: S608 -- model names
            f"WHERE pe.source_key = {_key_sql(STAGE)})"
        )
        cursor.execute(f"SELECT COUNT(*) FROM {STAGE}")  # noqa: S608 -- a constant
        return int(cursor.fetchone()[0])


def balances_lock(now: datetime) -> None:
    """The batch's customers' balance rows, made if missing, locked in customer order (one
    order for every writer; SQLite: the transaction holds the write lock already)."""
    table = _q(LoyaltyBalance)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (customer_id, balance, debt, earned, updated_at) "  # noqa: S608 -- model names
            f"SELECT DISTINCT customer_id, 0, 0, 0, %s FROM {STAGE} WHERE true "
            f"ORDER BY customer_id ON CONFLICT DO NOTHING",
            [_moment(now)],
        )
        if _postgres():
            cursor.execute(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} b WHERE b.customer_id IN "  # noqa: S608 -- model names
                f"(SELECT customer_id FROM {STAGE}) ORDER BY b.customer_id FOR UPDATE OF b) l"
            )


def debtors_take() -> list[int]:
    """The orders of customers in debt (they earn one by one: the points pay the debt
    first), taken out of the batch's table."""
    where = (
        f"customer_id IN (SELECT b.customer_id FROM {_q(LoyaltyBalance)} b "  # noqa: S608 -- model names
        f"WHERE b.debt > 0 AND b.customer_id IN (SELECT customer_id FROM {STAGE}))"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT order_id FROM {STAGE} WHERE {where} ORDER BY order_id")  # noqa: S608
        found = [int(row[0]) for row in cursor.fetchall()]
        if found:
            cursor.execute(f"DELETE FROM {STAGE} WHERE {where}")  # noqa: S608
    return found


def _sequence() -> str:
    """PostgreSQL: the entries' id sequence, for ``nextval``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [PointsEntry._meta.db_table])
        return str(cursor.fetchone()[0])


def entries_write(now: datetime) -> int:
    """The batch's entries, with the ids the table holds for them (PostgreSQL: the entries'
    sequence; SQLite, one writer: above the largest id), a key written meanwhile skipped and
    its row dropped from the table; how many were new."""
    entry = _q(PointsEntry)
    names = ("id", "customer_id", "kind", "points", "written_off", "cause", "source_key",
             "order_id", "amount", "multiplier", "created_at")  # fmt: skip
    with connection.cursor() as cursor:
        if _postgres():  # the Python rule's rows (the others have theirs from stage_fill)
            cursor.execute(
                f"UPDATE {STAGE} SET entry_id = nextval(%s) WHERE entry_id IS NULL",  # noqa: S608
                [_sequence()],
            )
        else:  # AUTOINCREMENT: above the largest id ever given too (an entry deleted since)
            cursor.execute(
                f"SELECT MAX(x) FROM (SELECT COALESCE(MAX(id), 0) AS x FROM {entry} "  # noqa: S608
                f"UNION ALL SELECT seq FROM sqlite_sequence WHERE name = %s) ids",
                [PointsEntry._meta.db_table],
            )
            cursor.execute(
                f"UPDATE {STAGE} SET entry_id = %s + rowid",  # noqa: S608 -- a constant
                [cursor.fetchone()[0]],
            )
        cursor.execute(f"SELECT COUNT(*) FROM {STAGE}")  # noqa: S608
        staged = int(cursor.fetchone()[0])
        cursor.execute(
            f"INSERT INTO {entry} ({', '.join(_c(n) for n in names)}) "  # noqa: S608 -- model names
            f"SELECT entry_id, customer_id, %s, points, 0, cause, {_key_sql(STAGE)}, order_id, "
            f"amount, multiplier, %s FROM {STAGE} WHERE true ORDER BY entry_id "
            f"ON CONFLICT DO NOTHING",
            [EntryKind.EARN.value, _moment(now)],
        )
        written = cursor.rowcount
        if written != staged:  # another writer's key (its id is not ours): not this batch's
            cursor.execute(
                f"DELETE FROM {STAGE} WHERE NOT EXISTS (SELECT 1 FROM {entry} pe "  # noqa: S608
                f"WHERE pe.id = {STAGE}.entry_id AND pe.source_key = {_key_sql(STAGE)})"
            )
        return int(written)


def lots_and_balances_write() -> None:
    """A lot per new entry; each customer's balance and points earned plus the batch's."""
    lot, balance = _q(PointsLot), _q(LoyaltyBalance)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {lot} (entry_id, customer_id, points, remaining, earned_at, "  # noqa: S608 -- model names
            f"expires_at) SELECT entry_id, customer_id, points, points, earned_at, expires_at "
            f"FROM {STAGE} ORDER BY entry_id"
        )
        cursor.execute(
            f"UPDATE {balance} SET balance = {balance}.balance + t.points, "  # noqa: S608 -- model names
            f"earned = {balance}.earned + t.points FROM (SELECT customer_id, SUM(points) AS "
            f"points FROM {STAGE} GROUP BY customer_id) t "
            f"WHERE {balance}.customer_id = t.customer_id"
        )


def announce() -> int:
    """A ``loyalty.earned`` event per new entry, as ``events.entry_event`` makes it."""
    from tenure.loyalty.events import entries_announce_select

    return entries_announce_select(
        EntryKind.EARN,
        f"SELECT {_key_sql(STAGE)} AS source_key, customer_id, entry_id, points, "  # noqa: S608 -- a constant
        f"0 AS written_off FROM {STAGE}",
        [],
    )


def stage_clear() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {STAGE}")  # noqa: S608 -- a constant
