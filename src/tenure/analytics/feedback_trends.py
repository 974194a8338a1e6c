"""Survey trends: NPS, CSAT and CES per group and calendar period, with their intervals, the
response rate and the change against the period before.

A group is any set of columns of the answers: the account, the person who answered, the
project, the segment, the owner (``by=["account"]``, ``by=["account", "person"]``; ``by=[]``
for the whole base). The counting is one Ibis expression (DuckDB by default, the data's own
backend for an ``ibis.Table``), as in :mod:`tenure.analytics.lifecycle_buckets`; the scores
and intervals (:mod:`tenure.analytics.feedback`) are computed in NumPy on its small result,
one row per group, kind and period.

Rules:

- Periods are calendar weeks (Monday to Sunday), months or quarters in the business's time
  zone (``tz``, by default the answers' own zone): an answer at 23:30 on 31 March in Paris is
  March's, though it is April in UTC. The period holding ``now`` is marked ``partial``: its
  figures are so far. Answers and invitations after ``now`` are not counted.
- Answers whose group value is missing (an answer about no project, in ``by=["project"]``)
  belong to no group and are left out.
- The response rate of a period is the share of the invitations *sent* in it that were
  answered (``answered``, however late): a survey sent on 30 June and answered on 2 July
  counts for June. Answers without an invitation (a survey shown by link) count in the
  score, not in the rate. A partial period's rate can still rise.
- ``change`` is the score minus the score of the calendar period just before, for the same
  group and kind; NaN when either has no answers (a gap is not a change).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from tenure.analytics._frames import execute_on_duckdb, is_ibis_table
from tenure.analytics.errors import InvalidInputError
from tenure.analytics.feedback import (
    BANDS,
    KINDS,
    SCALES,
    check_confidence,
    score_arrays,
)
from tenure.analytics.periods import period_unfinished

Period = Literal["week", "month", "quarter"]
_FREQ = {"week": "W", "month": "M", "quarter": "Q"}
_STEP = {
    "week": pd.DateOffset(weeks=1),
    "month": pd.DateOffset(months=1),
    "quarter": pd.DateOffset(months=3),
}
KEYS = ("kind", "start")
OUTPUT = (
    "kind", "period", "partial", "n", "score", "low", "high", "standard_error", "few_answers",
    "negative", "neutral", "positive", "mean", "invited", "responded", "response_rate",
    "previous_score", "change",
)  # fmt: skip


def _in_band(rows: Any, band: Literal["negative", "positive"]) -> Any:
    import ibis

    cases = []
    for kind in KINDS:
        top_negative, bottom_positive = BANDS[kind]
        inside = rows.score <= top_negative if band == "negative" else rows.score >= bottom_positive
        cases.append((rows.kind == kind, inside))
    return ibis.cases(*cases, else_=False).cast("int64")


def _until(table: Any, column: str, until: pd.Timestamp) -> Any:
    import ibis

    # A naive literal cast to the column's type: a wall-clock time in the column's zone.
    return table.filter(table[column] <= ibis.literal(until).cast(table[column].type()))


def answers_expression(table: Any, by: Sequence[str], *, period: Period, until: Any) -> Any:
    """Per (group, kind, period start): ``n``, ``negative``, ``positive`` and ``total`` (the
    sum of the answers, for the mean), of the answers up to ``until`` (a wall-clock time)."""
    table = _until(table, "answered_at", until)
    rows = table.select(
        *by,
        kind=table.kind,
        score=table.score.cast("float64"),
        start=table.answered_at.truncate(_FREQ[period]).cast("date"),
    )
    return rows.group_by([*by, *KEYS]).aggregate(
        n=rows.count(),
        negative=_in_band(rows, "negative").sum(),
        positive=_in_band(rows, "positive").sum(),
        total=rows.score.sum(),
    )


def invitations_expression(table: Any, by: Sequence[str], *, period: Period, until: Any) -> Any:
    """Per (group, kind, period the invitation was sent in): ``invited`` and ``responded``."""
    table = _until(table, "sent_at", until)
    rows = table.select(
        *by,
        kind=table.kind,
        answered=table.answered.cast("int64"),
        start=table.sent_at.truncate(_FREQ[period]).cast("date"),
    )
    return rows.group_by([*by, *KEYS]).aggregate(
        invited=rows.count(), responded=rows.answered.sum()
    )


def _check_by(by: str | Sequence[str]) -> list[str]:
    names = [by] if isinstance(by, str) else list(by)
    for name in names:
        if not isinstance(name, str) or not name:
            raise InvalidInputError("by", f"must name columns, got {name!r}")
        if name in OUTPUT or name in (
            "start",
            "total",
            "score",
            "answered",
            "answered_at",
            "sent_at",
        ):
            raise InvalidInputError("by", f"{name!r} is a column of the trend: rename it")
    if len(set(names)) != len(names):
        raise InvalidInputError("by", "names a column twice")
    return names


def _wall_clock(moment: Any, tz: str | None) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is None:
        raise InvalidInputError("now", "must be timezone-aware (a moment, not a wall-clock time)")
    return (stamp.tz_convert(tz) if tz else stamp).tz_localize(None)


def _first_bad(
    frame: pd.DataFrame, bad: np.ndarray, field: str, reason: str | Callable[[int], str]
) -> None:
    """Raise naming the first offending row (its index label and position) and the field."""
    if bad.any():
        first = int(np.argmax(bad))
        said = reason(first) if callable(reason) else reason
        raise InvalidInputError(
            field, f"row {frame.index[first]!r} {said}", count=int(bad.sum()), example=first
        )


def _moments(frame: pd.DataFrame, column: str) -> pd.Series:
    series = frame[column]
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        try:
            series = pd.to_datetime(series)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(column, f"must hold timezone-aware moments ({exc})") from None
        if len(series) and not isinstance(series.dtype, pd.DatetimeTZDtype):
            raise InvalidInputError(column, "must be timezone-aware (a moment, not a wall clock)")
    _first_bad(frame, series.isna().to_numpy(), column, "has no moment")
    return series


def _checked(frame: Any, by: list[str], what: str, at: str) -> pd.DataFrame:
    """The rows of a pandas frame after checking them; errors name the row and the field."""
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInputError(what, "must be a pandas DataFrame or an ibis.Table")
    value = "score" if what == "answers" else "answered"
    for column in (at, "kind", value, *by):
        if column not in frame.columns:
            raise InvalidInputError(column, f"is not a column of {what}")
    kinds = frame["kind"].to_numpy(dtype=object)
    known = np.isin(kinds, list(KINDS))
    _first_bad(frame, ~known, "kind", lambda i: f"has {kinds[i]!r}: a kind is nps, csat or ces")
    if what == "answers":
        raw = frame["score"].to_numpy(dtype=object)
        scores = pd.to_numeric(frame["score"], errors="coerce").to_numpy(np.float64)
        low = np.array([SCALES[k][0] for k in kinds], dtype=np.float64)
        high = np.array([SCALES[k][1] for k in kinds], dtype=np.float64)
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(scores) | (scores != np.floor(scores))
            bad |= (scores < low) | (scores > high)

        def reason(i: int) -> str:
            k = kinds[i]
            return (
                f"has {raw[i]!r}: {k} answers are whole numbers from "
                f"{SCALES[k][0]} to {SCALES[k][1]}"
            )

        _first_bad(frame, bad, "score", reason)
    else:
        answered = frame["answered"].to_numpy(dtype=object)
        bad = np.array([not isinstance(a, bool | np.bool_) for a in answered], dtype=bool)
        _first_bad(frame, bad, "answered", lambda i: f"has {answered[i]!r}: True or False")
    moments = _moments(frame, at)
    out = frame[[*by, "kind", value]].copy()
    out[at] = moments
    keyed = out[by].notna().all(axis=1) if by else pd.Series(True, index=out.index)
    return out[keyed.to_numpy()]


def _check_table(table: Any, by: list[str], what: str, at: str) -> None:
    """The same checks on an ibis.Table, a query each; the error shows an offending row."""
    import ibis

    column = "score" if what == "answers" else "answered"
    missing = [c for c in (at, "kind", column, *by) if c not in table.columns]
    if missing:
        raise InvalidInputError(missing[0], f"is not a column of {what}")
    bad_kind = table.kind.isnull() | ~table.kind.isin(list(KINDS))
    checks = [("kind", bad_kind)]
    if what == "answers":
        score = table.score.cast("float64")
        out_of_scale = ibis.cases(
            *((table.kind == k, (score < lo) | (score > hi)) for k, (lo, hi) in SCALES.items()),
            else_=False,
        )
        checks.append(("score", score.isnull() | (score != score.floor()) | out_of_scale))
    else:
        checks.append(("answered", table.answered.isnull()))
    for field, bad in checks:
        example = table.filter(bad).limit(1).to_pandas()
        if len(example):
            row = example.iloc[0].to_dict()
            raise InvalidInputError(field, f"a row of {what} breaks the rule of its kind: {row}")


def _counts(
    source: Any, by: list[str], what: str, *, period: Period, until: pd.Timestamp
) -> pd.DataFrame:
    build = answers_expression if what == "answers" else invitations_expression
    if is_ibis_table(source):
        table = source.filter(*(source[c].notnull() for c in by)) if by else source
        return build(table, by, period=period, until=until).to_pandas()
    columns = ["n", "negative", "positive", "total"]
    if what == "invitations":
        columns = ["invited", "responded"]
    if source.empty:
        return pd.DataFrame(columns=[*by, *KEYS, *columns])
    import ibis
    import pyarrow as pa

    table = ibis.memtable(pa.Table.from_pandas(source, preserve_index=False))
    return execute_on_duckdb(build(table, by, period=period, until=until))


def survey_trends(
    answers: Any,
    *,
    by: str | Sequence[str],
    now: Any,
    period: Period = "month",
    invitations: Any = None,
    confidence: float = 0.95,
    tz: str | None = None,
) -> pd.DataFrame:
    """NPS, CSAT and CES per group and period (see the module docstring for the rules).

    Parameters
    ----------
    answers : pandas.DataFrame or ibis.Table
        One row per answer: ``answered_at`` (timezone-aware), ``kind`` ("nps", "csat",
        "ces"), ``score`` (a whole number on the kind's scale) and the ``by`` columns.
    by : str or list of str
        The grouping columns (``[]``: the whole base).
    now : timezone-aware datetime
        The moment of the figures: its period is partial; nothing later is counted.
    period : {"week", "month", "quarter"}
    invitations : pandas.DataFrame or ibis.Table, optional
        One row per invitation sent: ``sent_at``, ``kind``, ``answered`` (bool) and the
        ``by`` columns. Without it there are no response-rate columns.
    confidence : float
        Of the intervals (0.95).
    tz : str, optional
        The time zone of the calendar (default: the answers' own). An ``ibis.Table`` is
        truncated to periods as its backend stores the moments.

    Returns
    -------
    pandas.DataFrame
        One row per group, kind and period with answers or invitations, sorted: the ``by``
        columns, ``kind``, ``period`` (start), ``partial``, ``n``, ``score``, ``low``,
        ``high``, ``standard_error`` (points; NaN without answers), ``few_answers``,
        ``negative``, ``neutral``, ``positive`` (the band counts), ``mean`` (the mean
        answer), with invitations ``invited``, ``responded`` and ``response_rate``
        (percent), then ``previous_score`` and ``change``.
    """
    names = _check_by(by)
    if period not in _FREQ:
        raise InvalidInputError("period", f"must be week, month or quarter, got {period!r}")
    check_confidence(confidence)
    sources = {"answers": answers}
    if invitations is not None:
        sources["invitations"] = invitations
    zone = tz
    if not is_ibis_table(answers) and isinstance(answers, pd.DataFrame) and zone is None:
        dtype = answers["answered_at"].dtype if "answered_at" in answers.columns else None
        zone = str(dtype.tz) if isinstance(dtype, pd.DatetimeTZDtype) else None
    moment = _wall_clock(now, zone)
    frames = {}
    for what, source in sources.items():
        at = "answered_at" if what == "answers" else "sent_at"
        if is_ibis_table(source):
            _check_table(source, names, what, at)
            stored_in = getattr(source[at].type(), "timezone", None)
            until = _wall_clock(now, stored_in) if stored_in else moment
            frames[what] = _counts(source, names, what, period=period, until=until)
            continue
        rows = _checked(source, names, what, at)
        stamps = rows[at]
        stamps = (stamps.dt.tz_convert(zone) if zone else stamps).dt.tz_localize(None)
        rows = rows.assign(**{at: stamps})
        frames[what] = _counts(rows, names, what, period=period, until=moment)
    return _assemble(frames, names, period, confidence, moment)


def _assemble(
    frames: dict[str, pd.DataFrame],
    by: list[str],
    period: Period,
    confidence: float,
    moment: pd.Timestamp,
) -> pd.DataFrame:
    keys = [*by, *KEYS]
    out = frames["answers"]
    if "invitations" in frames:
        out = out.merge(frames["invitations"], on=keys, how="outer")
    counts = [c for c in ("n", "negative", "positive", "invited", "responded") if c in out]
    out[counts] = out[counts].fillna(0).astype(np.int64)
    n = out["n"].to_numpy(np.float64)
    out["neutral"] = out["n"] - out["negative"] - out["positive"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["mean"] = out["total"].astype(np.float64).to_numpy() / n
        if "invited" in out:
            invited = out["invited"].where(out["invited"] > 0)
            out["response_rate"] = 100.0 * out["responded"] / invited
    for column in ("score", "low", "high", "standard_error"):
        out[column] = np.nan
    out["few_answers"] = True
    for kind in KINDS:
        mask = (out["kind"] == kind).to_numpy()
        if mask.any():
            part = out.loc[mask]
            scores = score_arrays(
                kind, part["negative"], part["neutral"], part["positive"], confidence=confidence
            )
            for column in ("score", "low", "high", "standard_error", "few_answers"):
                out.loc[mask, column] = getattr(scores, column)
    out["period"] = pd.to_datetime(out["start"])
    today = moment.date()
    unfinished = {
        start: period_unfinished(start, period, data_end=today, today=today)
        for start in out["start"].unique()
    }
    out["partial"] = out["start"].map(unfinished)
    earlier = out[[*by, "kind", "period", "score"]].rename(columns={"score": "previous_score"})
    earlier = earlier.assign(period=earlier["period"] + _STEP[period])
    out = out.merge(earlier, on=[*by, "kind", "period"], how="left")
    out["change"] = out["score"] - out["previous_score"]
    columns = [*by, *(c for c in OUTPUT if c in out)]
    out = out[columns].sort_values([*by, "kind", "period"], ignore_index=True)
    out["few_answers"] = out["few_answers"].astype(bool)
    out["partial"] = out["partial"].astype(bool)
    return out
