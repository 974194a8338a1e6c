"""Storing the health scores (``tenure.domain.health``) of customers and of accounts, and their
history.

``HealthScore`` (``AccountHealthScore``) holds the latest score, band, component scores, the
drivers with the facts their words need (the words are rendered when read: the model's
``explanation``) and a trend arrow; ``HealthSnapshot`` (``AccountHealthSnapshot``) the
history, one row per customer (account) and day **on which the score changed** (by a point or
more after rounding, or in band) and on the first day scored: a score is constant between its
snapshots, so the table does not grow by a row per customer and night (365 million rows a year
at a million customers).

The trend compares today's score with the one 7 days ago (the latest snapshot at least 7 days
before today); one scored for less than a week is compared with their latest snapshot before
today. Steady within 5 points (``health_trend``). A snapshot keeps each factor's score too,
and is also written when a factor moved by ``COMPONENT_STEP`` points though the score did not.

An account is scored by the same engine on the facts of its customers taken together
(``tenure.lifecycle.account_facts``), with the revenue-weighted mean of its customers' own
scores kept beside it for context. ``health_recompute`` scores the accounts after the
customers: all of them after a whole-base run, the accounts of the given customers after an
event, so an account follows its customers.

Rows are written column-wise, by ``COPY`` into a temporary table and one ``INSERT ... ON
CONFLICT`` on PostgreSQL, one prepared statement on SQLite. The configuration is the latest
``HealthDefinition`` (weights an admin adopted from a health backtest,
``tenure.lifecycle.health_tuning``), the defaults until one is stored.
"""

from __future__ import annotations

import time
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.db import connection, models, transaction
from django.db.models import F, FloatField, Q, Sum, Window
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from tenure.customers.models import Customer
from tenure.domain.health import HealthConfig, health_config_validate, health_scores, health_trend
from tenure.events.bulk import events_write_rows
from tenure.lifecycle.account_facts import account_facts_frame, account_ids_all
from tenure.lifecycle.events import HEALTH_BAND_CHANGED
from tenure.lifecycle.facts import (
    Chunk,
    all_customer_ids,
    chunks,
    facts_frame,
    fetch_numbers,
    stored_median_gap,
)
from tenure.lifecycle.models import (
    AccountHealthScore,
    AccountHealthSnapshot,
    HealthDefinition,
    HealthScore,
    HealthSnapshot,
)
from tenure.transfer.bulk import concrete_field

TREND_DAYS = 7
COMPONENT_STEP = 5.0
"""A snapshot is also kept when a factor moved this many points since the last one, though
the score did not (one factor's fall made up by another's rise): each factor's trend (the
cockpit's) is then right to within these points."""


def health_definition_active() -> HealthDefinition | None:
    """The configuration in use: the latest adopted (None: the defaults)."""
    return HealthDefinition.objects.order_by("-adopted_at", "-id").first()


def health_config_active() -> HealthConfig:
    """The health configuration in use, validated (the defaults until one is adopted)."""
    found = health_definition_active()
    return health_config_validate(None if found is None else found.definition)


@dataclass(frozen=True)
class AccountHealthResult:
    accounts: int
    scored: int
    bands: dict[str, int]
    seconds: float
    as_of: datetime


@dataclass(frozen=True)
class HealthResult:
    """What a health recompute did: customers scored and per band; ``seconds`` in all;
    ``accounts``: the accounts rescored after them (None: not asked)."""

    customers: int
    scored: int
    bands: dict[str, int]
    seconds: float
    as_of: datetime
    accounts: AccountHealthResult | None = None


@dataclass(frozen=True)
class _Subject:
    """Whose health: the tables of the scores and of their history, and their key."""

    scores: type[models.Model]
    snapshots: type[models.Model]
    key: str


def band_event_rows(
    key: str, ids: np.ndarray, before: np.ndarray, after: np.ndarray, now: datetime
) -> list[tuple[Any, ...]]:
    """``health.band_changed`` for each subject whose band is not the one it had (a first
    score is no change); once per subject, day and band (a recompute done twice, once)."""
    subject = key.removesuffix("_id")
    day = timezone.localdate(now).isoformat()
    rows: list[tuple[Any, ...]] = []
    for i in np.flatnonzero(pd.notna(before) & (before != after) & (after != "")).tolist():
        record, old, new = int(ids[i]), str(before[i]), str(after[i])
        rows.append((
            HEALTH_BAND_CHANGED.name, f"{HEALTH_BAND_CHANGED.name}:{subject}:{record}:{day}:{new}",
            record if subject == "customer" else None, subject, record, now,
            {"band": new, "from_band": old},
        ))  # fmt: skip
    return rows


_CUSTOMERS = _Subject(HealthScore, HealthSnapshot, "customer_id")
_ACCOUNTS = _Subject(AccountHealthScore, AccountHealthSnapshot, "account_id")


def health_recompute(
    *,
    now: datetime | None = None,
    customer_ids: Any = None,
    config: HealthConfig | None = None,
    accounts: bool = True,
) -> HealthResult:
    """Score the customers (None: all) as of ``now`` and store scores and today's snapshot;
    then (``accounts``) their accounts: every account after a whole-base run."""
    began = time.perf_counter()
    now = now or timezone.now()
    config = config or health_config_active()
    ids = all_customer_ids() if customer_ids is None else customer_ids
    parts = list(chunks(ids))
    median = stored_median_gap(now) if parts else None
    tally: Counter[str] = Counter()
    customers = scored = 0
    for part in parts:
        facts = facts_frame(
            chunk=part, now=now, needed=set(config.facts_used) | config.ceiling_facts,
            median_gap_days=median,
        )  # fmt: skip
        n, s = _score_and_store(_CUSTOMERS, part, facts, now, config, tally)
        customers, scored = customers + n, scored + s
    rescored = None
    if accounts:
        of = None if customer_ids is None else _accounts_of(parts)
        if of is None or of.size:
            rescored = account_health_recompute(
                now=now, account_ids=of, config=config, median_gap_days=median
            )
    return HealthResult(customers, scored, dict(tally), time.perf_counter() - began, now, rescored)


def account_health_recompute(
    *,
    now: datetime | None = None,
    account_ids: Any = None,
    config: HealthConfig | None = None,
    median_gap_days: float | None = None,
) -> AccountHealthResult:
    """Score the accounts (None: all) as of ``now`` and store scores and today's snapshot.
    Run after the customers' scores: the revenue-weighted mean of those is stored beside."""
    began = time.perf_counter()
    now = now or timezone.now()
    config = config or health_config_active()
    ids = account_ids_all() if account_ids is None else account_ids
    parts = list(chunks(ids))
    if parts and median_gap_days is None:
        median_gap_days = stored_median_gap(now)
    tally: Counter[str] = Counter()
    accounts = scored = 0
    for part in parts:
        facts = account_facts_frame(
            chunk=part, now=now, needed=config.facts_used, median_gap_days=median_gap_days
        )
        extra = _customers_rollup(part, facts.index.to_numpy(dtype=np.int64))
        n, s = _score_and_store(_ACCOUNTS, part, facts, now, config, tally, extra)
        accounts, scored = accounts + n, scored + s
    return AccountHealthResult(accounts, scored, dict(tally), time.perf_counter() - began, now)


def _accounts_of(parts: list[Chunk]) -> npt.NDArray[np.int64]:
    found = [
        fetch_numbers(
            Customer.objects.filter(part.where("pk"), account__isnull=False)
            .order_by()
            .values_list("account_id")
            .distinct(),
            1,
        )[:, 0]
        for part in parts
    ]
    return np.unique(np.concatenate(found)).astype(np.int64) if found else np.empty(0, np.int64)


def _customers_rollup(chunk: Chunk, ids: npt.NDArray[np.int64]) -> dict[str, list[Any]]:
    """Per account: its customers' health weighted by their revenue (a plain mean where none
    has revenue yet) and how many of them have a score; one grouped query."""
    revenue = Cast("customer__revenue", FloatField())
    rows = fetch_numbers(
        HealthScore.objects.filter(chunk.where("customer__account_id"), score__isnull=False)
        .order_by()
        .values("customer__account_id")
        .annotate(
            weighted=Sum(F("score") * revenue), revenue=Sum(revenue), plain=Sum("score"),
            n=models.Count("pk"),
        )
        .values_list("customer__account_id", "weighted", "revenue", "plain", "n"),
        5,
    )  # fmt: skip
    frame = pd.DataFrame(rows[:, 1:], index=rows[:, 0].astype(np.int64)).reindex(ids)
    weighted, total, plain, n = (frame[c].to_numpy() for c in range(4))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(total > 0, weighted / total, plain / n)
    return {
        "customers_score": [None if x != x else round(x, 2) for x in mean.tolist()],
        "customers_scored": np.nan_to_num(n).astype(np.int64).tolist(),
    }


@dataclass(frozen=True)
class _Before:
    """Per subject: the score 7 days ago (else the latest before today), the latest snapshot
    before today (score, band, factors; NaN: none), whether one was stored today already."""

    trend_from: npt.NDArray[np.float64]
    score: npt.NDArray[np.float64]
    band: npt.NDArray[np.object_]
    today: npt.NDArray[np.bool_]
    components: list[Any]  # the latest snapshot's factors (a dict; {}: not kept; None: none)

    def factors_moved(self, now: pd.DataFrame) -> npt.NDArray[np.bool_]:
        """Whether a factor of ``now`` (one column per factor) moved ``COMPONENT_STEP`` points
        or more from the latest snapshot's, or gained or lost its data. A snapshot written
        before factors were kept says nothing (no flood of rows on the first run after)."""
        moved = np.zeros(len(now), dtype=bool)
        kept = [c for c in self.components if c]
        if not kept:
            return moved
        stored = [c or {} for c in self.components]
        for key, column in now.items():
            then = np.array([c.get(key, np.nan) for c in stored], dtype=np.float64)
            values = column.to_numpy(dtype=np.float64)
            with np.errstate(invalid="ignore"):
                step = np.abs(np.round(values, 1) - then) >= COMPONENT_STEP
            moved |= step | (np.isnan(values) != np.isnan(then))
        return moved & np.array([bool(c) for c in stored], dtype=bool)


def _before(subject: _Subject, chunk: Chunk, ids: npt.NDArray[np.int64], today: date) -> _Before:
    key = subject.key
    stored = subject.snapshots._default_manager.filter(chunk.where(key), day__lte=today)

    def latest(condition: Q, *fields: str) -> pd.DataFrame:
        newest = Window(RowNumber(), partition_by=[F(key)], order_by=F("day").desc())
        rows = (
            stored.filter(condition)
            .order_by()
            .annotate(newest=newest)
            .filter(newest=1)
            .values_list(key, *fields)
        )
        frame = pd.DataFrame(list(rows), columns=["id", *fields]).set_index("id")
        return frame.reindex(ids)

    week = latest(Q(day__lte=today - timedelta(days=TREND_DAYS)), "score")
    recent = latest(Q(day__lt=today), "score", "band", "components")
    scored_today = stored.filter(day=today).values_list(key, flat=True)
    recent_score = recent["score"].to_numpy(dtype=np.float64, na_value=np.nan)
    week_score = week["score"].to_numpy(dtype=np.float64, na_value=np.nan)
    return _Before(
        trend_from=np.where(np.isnan(week_score), recent_score, week_score),
        score=recent_score,
        band=recent["band"].to_numpy(dtype=object),
        today=np.isin(ids, np.fromiter(scored_today, dtype=np.int64)),
        components=[c if isinstance(c, dict) else None for c in recent["components"].tolist()],
    )


def _score_and_store(
    subject: _Subject,
    chunk: Chunk,
    facts: pd.DataFrame,
    now: datetime,
    config: HealthConfig,
    tally: Counter[str],
    extra: dict[str, list[Any]] | None = None,
) -> tuple[int, int]:
    """Score the subjects of ``facts``, store their scores and the snapshots that changed;
    returns how many were there and how many got a score, and counts the bands in
    ``tally``."""
    ids = facts.index.to_numpy(dtype=np.int64)
    if ids.size == 0:
        return 0, 0
    scores = health_scores(facts, config)
    today = timezone.localdate(now)
    before = _before(subject, chunk, ids, today)
    score = np.round(scores.score, 2)
    band = np.array([key or "" for key in scores.band_keys().tolist()], dtype=object)
    missing = np.isnan(score)
    with np.errstate(invalid="ignore"):
        same_points = np.round(score) == np.round(before.score)
    changed = (
        before.today
        | pd.isna(before.band)
        | (before.band != band)
        | (missing != np.isnan(before.score))
        | (~missing & ~same_points)
        | before.factors_moved(scores.components)
    )
    scores_out = [None if x != x else x for x in score.tolist()]
    columns: dict[str, Any] = {
        subject.key: ids.tolist(),
        "score": scores_out,
        "band": band.tolist(),
        "components": scores.components_json(),
        "drivers": scores.drivers_json(),
        "trend": health_trend(before.trend_from, scores.score).tolist(),
        "computed_at": now,
        **(extra or {}),
    }
    picked = np.flatnonzero(changed).tolist()
    with transaction.atomic():
        _upsert(subject.scores, conflict=(subject.key,), columns=columns)
        _upsert(
            subject.snapshots,
            conflict=(subject.key, "day"),
            columns={
                subject.key: [columns[subject.key][i] for i in picked],
                "day": today,
                "score": [scores_out[i] for i in picked],
                "band": [columns["band"][i] for i in picked],
                "components": [columns["components"][i] for i in picked],
            },
        )
        events_write_rows(band_event_rows(subject.key, ids, before.band, band, now))
    tally.update(key for key in columns["band"] if key)
    return int(ids.size), int((~missing).sum())


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_texts(values: list[Any]) -> list[Any]:
    """A column for ``COPY``'s text format: None as ``\\N``, text escaped (one look over the
    whole column says whether any needs it)."""
    out = [r"\N" if v is None else v for v in values] if None in values else values
    texts = [v for v in out if isinstance(v, str)]
    if texts and any(c in "".join(texts) for c in "\\\t\n\r"):
        out = [v.translate(_ESCAPES) if isinstance(v, str) and v != r"\N" else v for v in out]
    return out


def _upsert(
    model: type[models.Model], *, conflict: tuple[str, ...], columns: dict[str, Any]
) -> None:
    """Insert rows given column-wise (field attname -> list of values, JSON as its text; or a
    single value for every row); a row whose ``conflict`` fields exist updates the others."""
    lists = {name: v for name, v in columns.items() if isinstance(v, list)}
    size = len(next(iter(lists.values())))
    if size == 0:
        return
    fixed = {name: v for name, v in columns.items() if name not in lists}
    quote = connection.ops.quote_name
    column = {name: quote(str(concrete_field(model, name).column)) for name in columns}
    table = quote(model._meta.db_table)
    every = ", ".join(column[name] for name in [*lists, *fixed])
    keys = ", ".join(column[name] for name in conflict)
    updates = ", ".join(
        f"{column[name]} = EXCLUDED.{column[name]}" for name in columns if name not in conflict
    )
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            prepared = [
                concrete_field(model, name).get_db_prep_save(value, connection)
                for name, value in fixed.items()
            ]
            cursor.executemany(
                f"INSERT INTO {table} ({every}) VALUES ({', '.join(['%s'] * len(columns))}) "  # noqa: S608 -- model names
                f"ON CONFLICT ({keys}) DO UPDATE SET {updates}",
                list(zip(*lists.values(), *([v] * size for v in prepared), strict=True)),
            )
            return
        varying = ", ".join(column[name] for name in lists)
        staging = quote(f"tenure_health_{zlib.crc32(f'{table} {varying}'.encode()):08x}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} AS "  # noqa: S608 -- model names
            f"SELECT {varying} FROM {table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {staging}")
        line = "\t".join(["{}"] * len(lists)) + "\n"
        text = "".join(map(line.format, *(_copy_texts(v) for v in lists.values())))
        with cursor.cursor.copy(f"COPY {staging} ({varying}) FROM STDIN") as copy:
            copy.write(text)
        chosen = ", ".join([varying, *(["%s"] * len(fixed))])
        cursor.execute(
            f"INSERT INTO {table} ({every}) SELECT {chosen} FROM {staging} "  # noqa: S608
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates}",
            list(fixed.values()),
        )
