"""Storing every customer's health score (``tenure.domain.health``) and its history.

``HealthScore`` holds the latest score, band, component scores, the drivers in words and a
trend arrow; ``HealthSnapshot`` the history, one row per customer and day **on which the score
changed** (by a point or more after rounding, or in band) and on the first day scored: a
score is constant between its snapshots, so the table does not grow by a row per customer and
night (365 million rows a year at a million customers).

The trend compares today's score with the one the customer had 7 days ago (their latest
snapshot at least 7 days before today); a customer scored for less than a week is compared
with their latest snapshot before today. Steady within 5 points (``health_trend``).

The configuration is the default (``health_config_validate()``) until a page stores one.
Account-level health is not computed yet.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from tenure.domain.health import HealthConfig, health_config_validate, health_scores, health_trend
from tenure.lifecycle.facts import Chunk, all_customer_ids, chunks, facts_frame, stored_median_gap
from tenure.lifecycle.models import HealthScore, HealthSnapshot
from tenure.transfer.bulk import rows_upsert

TREND_DAYS = 7


@dataclass(frozen=True)
class HealthResult:
    customers: int
    scored: int
    bands: dict[str, int]
    seconds: float
    as_of: datetime


def health_recompute(
    *,
    now: datetime | None = None,
    customer_ids: Any = None,
    config: HealthConfig | None = None,
) -> HealthResult:
    """Score the customers (None: all) as of ``now`` and store scores and today's snapshot."""
    began = time.perf_counter()
    now = now or timezone.now()
    config = config or health_config_validate()
    ids = all_customer_ids() if customer_ids is None else customer_ids
    parts = list(chunks(ids))
    median = stored_median_gap(now) if parts else None
    customers = scored = 0
    bands: dict[str, int] = {}
    for part in parts:
        n, s, b = _health_chunk(part, now, config, median)
        customers, scored = customers + n, scored + s
        for key, count in b.items():
            bands[key] = bands.get(key, 0) + count
    return HealthResult(customers, scored, bands, time.perf_counter() - began, now)


def _snapshots(chunk: Chunk, today: Any) -> pd.DataFrame:
    rows = (
        HealthSnapshot.objects.filter(chunk.where("customer_id"), day__lte=today)
        .order_by("customer_id", "day")
        .values_list("customer_id", "day", "score", "band")
    )
    return pd.DataFrame(list(rows), columns=["customer", "day", "score", "band"])


def _latest(frame: pd.DataFrame, ids: np.ndarray, column: str) -> np.ndarray:
    last = frame.groupby("customer").last()
    return last[column].reindex(ids).to_numpy()


def _health_chunk(
    chunk: Chunk, now: datetime, config: HealthConfig, median: float | None
) -> tuple[int, int, dict[str, int]]:
    facts = facts_frame(chunk=chunk, now=now, needed=set(config.facts_used), median_gap_days=median)
    ids = facts.index.to_numpy(dtype=np.int64)
    if ids.size == 0:
        return 0, 0, {}
    scores = health_scores(facts, config)
    texts = scores.explain()
    band = scores.band_keys()
    today = timezone.localdate(now)
    history = _snapshots(chunk, today)
    week_ago = history[history["day"] <= today - timedelta(days=TREND_DAYS)]
    before = history[history["day"] < today]
    previous = _latest(week_ago, ids, "score").astype(float)
    recent = _latest(before, ids, "score").astype(float)
    previous = np.where(np.isnan(previous), recent, previous)
    trend = health_trend(previous, scores.score)
    recent_band = _latest(before, ids, "band")
    scored_today = set(history.loc[history["day"] == today, "customer"].tolist())

    parts = scores.components.round(1).to_numpy()
    keys = list(scores.components.columns)
    score_list = [None if math.isnan(x) else round(x, 2) for x in scores.score.tolist()]
    score_rows, snapshot_rows = [], []
    for i, customer in enumerate(ids.tolist()):
        components = {k: v for k, v in zip(keys, parts[i].tolist(), strict=True) if v == v}
        score, key = score_list[i], band[i] or ""
        score_rows.append((customer, score, key, components, texts[i], int(trend[i]), now))
        last_score, last_band = recent[i], recent_band[i]
        changed = (
            customer in scored_today
            or last_band is None
            or (last_band or "") != key
            or (score is None) != math.isnan(last_score)
            or (score is not None and round(score) != round(last_score))
        )
        if changed:
            snapshot_rows.append((customer, today, score, key))
    with transaction.atomic():
        rows_upsert(
            HealthScore,
            fields=["customer", "score", "band", "components", "explanation", "trend",
                    "computed_at"],
            rows=score_rows,
            unique="customer",
            update=["score", "band", "components", "explanation", "trend", "computed_at"],
        )  # fmt: skip
        _snapshots_upsert(snapshot_rows)
    counts = pd.Series(band).value_counts(dropna=True)
    return int(ids.size), int((~np.isnan(scores.score)).sum()), counts.to_dict()


def _snapshots_upsert(rows: list[tuple[Any, ...]]) -> None:
    """Insert today's snapshots; one already there (an earlier run today) takes the new
    score. Few rows (only changes), so the ORM's bulk upsert is fast enough."""
    if not rows:
        return
    HealthSnapshot.objects.bulk_create(
        [HealthSnapshot(customer_id=c, day=d, score=s, band=b) for c, d, s, b in rows],
        update_conflicts=True,
        unique_fields=["customer", "day"],
        update_fields=["score", "band"],
        batch_size=5000,
    )
