"""Funnel and flow from a lifecycle transitions table: conversion, time in stage, stage counts.

Input: one row per transition (``customer``, ``to_stage``, ``at``), as the lifecycle engine's
``Evaluation.transitions()`` rows are stored. A customer's *stay* in a stage runs from the
transition into it to their next transition (or, for the stage they are in now, is still open
at ``observation_end``). Moves made in one evaluation share their time; the zero-length stays
they leave between them (a customer passing through a stage in one evaluation) are not stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from tenure.analytics.errors import InvalidInputError

DAY = pd.Timedelta(days=1)


def _utc_naive(values: Any) -> pd.DatetimeIndex:
    """Instants as naive UTC ``datetime64[ns]``: a time-zone-aware column's ``to_numpy()`` is
    an array of Timestamp objects (1.6 s for 800,000 moves), this is a view of integers."""
    index = pd.DatetimeIndex(values)
    return index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index


def _stays(
    transitions: pd.DataFrame,
    customer_col: str,
    stage_col: str,
    at_col: str,
    end: Any,
    *,
    passing: bool = False,
) -> pd.DataFrame:
    """One row per stay: customer, stage, start, finish (NaT: still open), days, completed.
    Computed on naive UTC instants; ``start`` and ``finish`` come back in the input's zone."""
    for col in (customer_col, stage_col, at_col):
        if col not in transitions.columns:
            raise InvalidInputError(col, "is not a column of the transitions")
    at = pd.to_datetime(transitions[at_col])
    if at.isna().any():
        raise InvalidInputError(at_col, "has transitions without a time")
    tz = at.dt.tz
    moves = pd.DataFrame(
        {"customer": transitions[customer_col].to_numpy(),
         "stage": transitions[stage_col].to_numpy(), "start": _utc_naive(at).to_numpy(),
         "order": np.arange(len(transitions))}
    ).sort_values(["customer", "start", "order"], kind="stable")  # fmt: skip
    following = moves.groupby("customer", sort=False)["start"].shift(-1)
    moves["finish"] = following
    if not passing:  # passed through in one evaluation
        moves = moves[~(moves["finish"] == moves["start"])]
    moves["completed"] = moves["finish"].notna()
    if end is not None:
        end_stamp = pd.Timestamp(end)
        if tz is not None and end_stamp.tzinfo is None:
            end_stamp = end_stamp.tz_localize(tz)
        if end_stamp.tzinfo is not None:
            end_stamp = end_stamp.tz_convert("UTC").tz_localize(None)
        if (moves["start"] > end_stamp).any():
            raise InvalidInputError("observation_end", "is before some transitions")
        moves["days"] = (moves["finish"].fillna(end_stamp) - moves["start"]) / DAY
    if tz is not None:
        for column in ("start", "finish"):
            moves[column] = moves[column].dt.tz_localize("UTC").dt.tz_convert(tz)
    return moves.drop(columns="order").reset_index(drop=True)


def funnel_conversion(
    transitions: pd.DataFrame,
    steps: Sequence[str],
    *,
    customer_col: str = "customer",
    stage_col: str = "to_stage",
    at_col: str = "at",
) -> pd.DataFrame:
    """Customers who reached each step of a funnel and the conversion between steps.

    A customer *reached* step i if they ever entered it **or any later step** (a customer
    imported straight into retention has passed acquisition), passing through in one
    evaluation included, so the counts never rise down the funnel, as in PostHog's and
    Amplitude's funnels.

    Parameters
    ----------
    transitions : pandas.DataFrame
        One row per transition.
    steps : sequence of str
        The stage keys of the funnel, in order (e.g. reach, acquisition, development,
        retention, advocacy).

    Returns
    -------
    pandas.DataFrame
        ``stage``, ``reached``, ``conversion`` (percent of the previous step's customers who
        reached this one; NaN for the first) and ``overall`` (percent of the first step's).
    """
    if len(steps) < 1 or len(set(steps)) != len(steps):
        raise InvalidInputError("steps", "must be distinct stage keys, at least one")
    stays = _stays(transitions, customer_col, stage_col, at_col, None, passing=True)
    rank = {stage: i for i, stage in enumerate(steps)}
    furthest = stays["stage"].map(rank).groupby(stays["customer"]).max().dropna()
    reached = np.array([(furthest >= i).sum() for i in range(len(steps))], dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        conversion = np.r_[np.nan, 100.0 * reached[1:] / reached[:-1]]
        overall = 100.0 * reached / reached[0]
    return pd.DataFrame(
        {"stage": list(steps), "reached": reached, "conversion": conversion, "overall": overall}
    )


def stage_durations(
    transitions: pd.DataFrame,
    *,
    observation_end: Any,
    stages: Sequence[str] | None = None,
    customer_col: str = "customer",
    stage_col: str = "to_stage",
    at_col: str = "at",
) -> pd.DataFrame:
    """How long customers stay in each stage, in days.

    The median is the Kaplan-Meier estimate (Kaplan & Meier 1958, "Nonparametric estimation
    from incomplete observations", JASA 53:457-481; ``scipy.stats.ecdf`` on right-censored
    data): the stays still open at ``observation_end`` are censored there, so a stage people
    stay in for a long time is not made to look short by counting only those who left. It is
    NaN when more than half the stays are still open beyond the longest finished one.

    Returns
    -------
    pandas.DataFrame
        Per stage: ``stays``, ``completed`` (ended by a move), ``open``, ``median_days``
        (Kaplan-Meier) and ``median_days_completed`` (the plain median of finished stays).
    """
    stays = _stays(transitions, customer_col, stage_col, at_col, observation_end)
    keys = list(stages) if stages is not None else list(pd.unique(stays["stage"]))
    rows = []
    for stage in keys:
        mine = stays[stays["stage"] == stage]
        done = mine.loc[mine["completed"], "days"].to_numpy()
        still = mine.loc[~mine["completed"], "days"].to_numpy()
        rows.append(
            {"stage": stage, "stays": len(mine), "completed": done.size, "open": still.size,
             "median_days": _km_median(done, still),
             "median_days_completed": float(np.median(done)) if done.size else np.nan}
        )  # fmt: skip
    return pd.DataFrame(rows)


def _km_median(done: np.ndarray, still: np.ndarray) -> float:
    if done.size == 0:
        return np.nan
    data = stats.CensoredData(uncensored=done, right=still)
    sf = stats.ecdf(data).sf
    below = np.flatnonzero(sf.probabilities <= 0.5)
    return float(sf.quantiles[below[0]]) if below.size else np.nan


def stage_counts_over_time(
    transitions: pd.DataFrame,
    *,
    observation_start: Any,
    observation_end: Any,
    period: str = "month",
    stages: Sequence[str] | None = None,
    customer_col: str = "customer",
    stage_col: str = "to_stage",
    at_col: str = "at",
) -> pd.DataFrame:
    """Customers in each stage at the end of every period (a stacked-area chart's data).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``period`` (start date; the count is taken at the end of the period), one
        column per stage.
    """
    freq = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q-DEC"}.get(period)
    if freq is None:
        raise InvalidInputError("period", f"must be day, week, month or quarter, got {period!r}")
    stays = _stays(transitions, customer_col, stage_col, at_col, None)
    at_tz = stays["start"].dt.tz
    periods = pd.period_range(
        pd.Timestamp(observation_start), pd.Timestamp(observation_end), freq=freq
    )
    bounds = (periods + 1).start_time  # the instant each period ends
    if at_tz is not None:
        bounds = bounds.tz_localize(at_tz)
    keys = list(stages) if stages is not None else list(pd.unique(stays["stage"]))
    b = _utc_naive(bounds).to_numpy()
    counts = {}
    for stage in keys:
        mine = stays[stays["stage"] == stage]
        entered = np.sort(_utc_naive(mine["start"]).to_numpy())
        left = np.sort(_utc_naive(mine["finish"].dropna()).to_numpy())
        counts[stage] = np.searchsorted(entered, b, "left") - np.searchsorted(left, b, "left")
    return pd.DataFrame(counts, index=pd.Index(periods.start_time, name="period"))
