"""Ceilings on the health score: a strong sign the business sees caps the band, whatever else.

A weighted mean lets a customer's good order record outvote a CSAT of 1 or an open complaint:
at the default weights the sentiment component is 15 points of 100, so a customer who answered
"1 of 5" yesterday could still score 85 (green). What the business sees contradicts that, so
each of these signs caps the score at the top of the band below the best (yellow's 75 by
default), and says so first among the drivers:

========================  ====================================================================
``csat``                  latest CSAT of 1 (the lowest: whenever given, until they answer
                          again), or of 2 answered within the last 90 days
``nps``                   latest NPS a detractor's (0-6), answered within the last 90 days
``complaint``             a complaint or ticket still open
``silence``               no order for more than twice the customer's own usual gap
``churn_risk``            the latest fit's churn risk (the backtest-chosen ranking) 0.5 or more
``at_risk_stage``         standing in the lifecycle's at-risk stage
========================  ====================================================================

A ceiling whose facts are not given is not checked (an account's facts have no stage, and the
health backtest leaves out the stored churn risk and stage, which are today's, not the past's).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Facts = Mapping[str, FloatArray]
Row = Mapping[str, float]

FRESH_DAYS = 90.0
CSAT_AT_MOST = 2.0
CSAT_LOWEST = 1.0
DETRACTOR_AT_MOST = 6.0
SILENCE_GAPS = 2.0
CHURN_RISK_AT_LEAST = 0.5
CAP_PREFIX = "cap:"


def _days(x: float) -> str:
    return f"{x:.0f} day{'' if round(x) == 1 else 's'}"


@dataclass(frozen=True)
class Ceiling:
    """One ceiling: the facts it reads, when it holds, and its reason in words."""

    key: str
    facts: tuple[str, ...]
    holds: Callable[[Facts], BoolArray]
    words: Callable[[Row], str]


def _fresh(days: FloatArray) -> BoolArray:
    with np.errstate(invalid="ignore"):
        return np.asarray(days <= FRESH_DAYS, dtype=bool)


def _csat(f: Facts) -> BoolArray:
    csat = f["latest_csat"]
    with np.errstate(invalid="ignore"):
        return (csat <= CSAT_LOWEST) | ((csat <= CSAT_AT_MOST) & _fresh(f["days_since_csat"]))


def _nps(f: Facts) -> BoolArray:
    with np.errstate(invalid="ignore"):
        return (f["latest_nps"] <= DETRACTOR_AT_MOST) & _fresh(f["days_since_nps"])


def _complaint(f: Facts) -> BoolArray:
    with np.errstate(invalid="ignore"):
        return np.asarray(f["open_complaints"] > 0, dtype=bool)


def _silence(f: Facts) -> BoolArray:
    gap = f["typical_gap_days"]
    with np.errstate(invalid="ignore"):
        return (gap > 0) & (f["days_since_last_order"] > SILENCE_GAPS * gap)


def _churn(f: Facts) -> BoolArray:
    with np.errstate(invalid="ignore"):
        return np.asarray(f["churn_risk"] >= CHURN_RISK_AT_LEAST, dtype=bool)


def _stage(f: Facts) -> BoolArray:
    with np.errstate(invalid="ignore"):
        return np.asarray(f["in_at_risk_stage"] > 0, dtype=bool)


def _silence_words(f: Row) -> str:
    silent, gap = f.get("days_since_last_order", math.nan), f.get("typical_gap_days", math.nan)
    if math.isnan(silent) or math.isnan(gap) or gap <= 0:
        return "No order for more than twice their usual gap"
    return (
        f"No order for {_days(silent)}, more than twice their usual gap of {_days(gap)} "
        f"({silent / gap:.1f} \N{MULTIPLICATION SIGN})"
    )


def _answer_words(kind: str, fact: str, since: str) -> Callable[[Row], str]:
    def words(f: Row) -> str:
        score, days = f.get(fact, math.nan), f.get(since, math.nan)
        what = f"{kind} {score:.0f}" if not math.isnan(score) else kind
        if kind == "CSAT":
            what += " out of 5"
        else:
            what += " (a detractor)"
        return f"Latest {what}" + (f", {_days(days)} ago" if not math.isnan(days) else "")

    return words


def _complaint_words(f: Row) -> str:
    n = f.get("open_complaints", math.nan)
    if math.isnan(n):
        return "A complaint still open"
    return f"{n:.0f} complaint{'s' if n != 1 else ''} still open"


def _churn_words(f: Row) -> str:
    risk = f.get("churn_risk", math.nan)
    shown = "" if math.isnan(risk) else f" {100 * risk:.0f} %"
    return f"Churn risk{shown} (the at-risk ranking), 50 % or more"


CEILINGS: dict[str, Ceiling] = {
    c.key: c
    for c in (
        Ceiling("csat", ("latest_csat", "days_since_csat"), _csat,
                _answer_words("CSAT", "latest_csat", "days_since_csat")),
        Ceiling("nps", ("latest_nps", "days_since_nps"), _nps,
                _answer_words("NPS", "latest_nps", "days_since_nps")),
        Ceiling("complaint", ("open_complaints",), _complaint, _complaint_words),
        Ceiling("silence", ("days_since_last_order", "typical_gap_days"), _silence,
                _silence_words),
        Ceiling("churn_risk", ("churn_risk",), _churn, _churn_words),
        Ceiling("at_risk_stage", ("in_at_risk_stage",), _stage,
                lambda f: "In the at-risk stage of the lifecycle"),
    )
}  # fmt: skip
"""The ceilings, in the order their reasons are listed."""

CEILING_FACTS: tuple[str, ...] = tuple(
    sorted({fact for ceiling in CEILINGS.values() for fact in ceiling.facts})
)


def ceilings_hold(facts: Facts) -> dict[str, BoolArray]:
    """For each ceiling whose facts are all given: which customers it caps (NaN: does not)."""
    return {
        key: np.asarray(ceiling.holds(facts), dtype=bool)
        for key, ceiling in CEILINGS.items()
        if all(name in facts for name in ceiling.facts)
    }


def ceiling_top(bands: tuple[tuple[str, str, float], ...]) -> float | None:
    """The highest score a capped customer may keep: the top of the band below the best
    (None with a single band: nothing to cap to)."""
    return bands[-2][2] if len(bands) >= 2 else None


def ceilings_apply(
    score: FloatArray, held: Mapping[str, BoolArray], top: float | None
) -> FloatArray:
    """``score`` with every customer some ceiling holds for capped at ``top``."""
    if top is None or not held:
        return score
    capped = np.logical_or.reduce(list(held.values()))
    with np.errstate(invalid="ignore"):
        return np.where(capped & (score > top), top, score)


def ceiling_words(key: str, facts: Row, band: str = "yellow") -> str:
    """A ceiling's reason in words, from the facts stored with it; ``band``: the name of the
    band it caps at."""
    reason = CEILINGS[key].words(facts)
    return f"Capped at {band}: {reason[:1].lower()}{reason[1:]}"
