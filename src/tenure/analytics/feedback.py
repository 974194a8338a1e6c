"""Survey scores with their uncertainty: NPS, CSAT and CES, each with a confidence interval.

Every answer falls in one of three bands, and each score is read from the band counts:

- **NPS** (0-10, "how likely are you to recommend us"): detractors 0-6, passives 7-8,
  promoters 9-10; the score is % promoters - % detractors, from -100 to 100 (Reichheld 2003).
- **CSAT** (1-5): dissatisfied 1-2, neutral 3, satisfied 4-5; the score is the % of satisfied
  answers (4 or 5), the industry's definition (as in
  :func:`~tenure.analytics.metrics.customer_satisfaction_score`), not the mean rating.
- **CES** (1-7, "the company made it easy for me to handle my issue", the CES 2.0 wording of
  the Corporate Executive Board, now Gartner): difficult 1-3, neutral 4, easy 5-7. The
  headline score is the % of easy answers (5-7), a proportion with the same kind of interval
  as CSAT's; the mean answer is reported beside it (``mean``), the figure many CES reports
  quote.

Intervals (``confidence``, 95 % by default):

- NPS: the score interval of Tango (1998), "Equivalence test and confidence interval for the
  difference in proportions for the paired-sample design", *Statistics in Medicine*
  17:891-908. Promoters and detractors are the two discordant cells of a paired
  table and NPS is their difference, so the interval is every delta whose score statistic
  ``(d - delta) / sqrt(V(delta) / n)`` lies within +-z, with ``V(delta) = p_pro + p_det -
  delta^2`` taken at the maximum-likelihood (p_pro, p_det) under NPS = delta. Rocks (2016),
  "Interval estimation for the 'Net Promoter Score'", *The American Statistician*
  70(4):365-372, evaluates interval methods for NPS, this one among them (his R package
  ``NPS`` calls it "iterative"). Unlike the Wald interval (the same V at the observed
  proportions), it never has zero width: all of 3 answers promoters gives NPS 100 with the
  interval ((3 - z^2) / (3 + z^2), 1) = (-12.3, 100). With no passives it is exactly the Wilson
  interval of the promoters' share, mapped by 2p - 1. The interval always holds the score.
- CSAT and CES: the Wilson (1927) score interval of the share, "Probable inference, the law of
  succession, and statistical inference", *JASA* 22:209-212; Agresti & Coull (1998) show it
  keeps close to its nominal coverage at small n and near 0 or 1, where the Wald one collapses.

``standard_error`` is the plug-in (Wald) one, in score points: for NPS
``sqrt((p_pro + p_det - (p_pro - p_det)^2) / n)``, the variance of a difference of two
multinomial proportions; for a share ``sqrt(p (1 - p) / n)``.

No answers is a result, not an error: ``n == 0``, ``score`` None. A score from few answers
says so (``few_answers``): fewer than :data:`MIN_ANSWERS`, or an interval wider than a quarter
of the scale's range (:data:`MAX_WIDTH`: 50 NPS points, 25 CSAT or CES points).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from tenure.analytics.errors import InvalidInputError

SurveyKind = Literal["nps", "csat", "ces"]
KINDS: tuple[str, ...] = get_args(SurveyKind)
# Lowest and highest answer of each kind's scale.
SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
# The highest answer of the negative band and the lowest of the positive one.
BANDS: dict[str, tuple[int, int]] = {"nps": (6, 9), "csat": (2, 4), "ces": (3, 5)}
# The bands' names, negative, neutral, positive.
BAND_NAMES: dict[str, tuple[str, str, str]] = {
    "nps": ("detractors", "passives", "promoters"),
    "csat": ("dissatisfied", "neutral", "satisfied"),
    "ces": ("difficult", "neutral", "easy"),
}
MIN_ANSWERS = 30
MAX_WIDTH: dict[str, float] = {"nps": 50.0, "csat": 25.0, "ces": 25.0}
_BISECTIONS = 64  # halves [-1, 1] down to 2**-63: past float64's resolution

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SurveyScore:
    """One score with its interval. Scores and bounds are in points (percent; NPS -100..100).

    ``negative``, ``neutral`` and ``positive`` count the answers per band (for NPS the
    detractors, passives and promoters; :attr:`counts` names them). With no answers,
    ``score``, ``low``, ``high``, ``standard_error`` and ``mean`` are None.
    """

    kind: str
    n: int
    score: float | None
    low: float | None
    high: float | None
    confidence: float
    standard_error: float | None
    mean: float | None
    negative: int
    neutral: int
    positive: int
    few_answers: bool

    @property
    def no_answers(self) -> bool:
        return self.n == 0

    @property
    def counts(self) -> dict[str, int]:
        """The band counts by their names, e.g. ``{"detractors": 2, "passives": 2, ...}``."""
        names = BAND_NAMES[self.kind]
        return dict(zip(names, (self.negative, self.neutral, self.positive), strict=True))


def check_kind(kind: object) -> str:
    if kind not in SCALES:
        raise InvalidInputError("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    return str(kind)


def check_confidence(confidence: object) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float | np.floating):
        raise InvalidInputError("confidence", f"must be a number, got {confidence!r}")
    level = float(confidence)
    if not 0.0 < level < 1.0:
        raise InvalidInputError("confidence", f"must be between 0 and 1, got {confidence!r}")
    return level


def z_value(confidence: float) -> float:
    """The two-sided normal quantile of a confidence level (0.95 -> 1.959963984540054; the
    standard library's, Wichura's AS 241, so the scores do not import SciPy)."""
    return NormalDist().inv_cdf(0.5 + check_confidence(confidence) / 2)


def wilson_interval(
    hits: npt.ArrayLike, n: npt.ArrayLike, z: float
) -> tuple[FloatArray, FloatArray]:
    """Wilson's score interval of hits / n, as shares in [0, 1] (NaN where n is 0)::

    centre = (k + z^2 / 2) / (n + z^2)
    half = z sqrt(n) / (n + z^2) * sqrt(p (1 - p) + z^2 / (4 n))
    """
    k, m = np.asarray(hits, np.float64), np.asarray(n, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / m
        centre = (k + z * z / 2) / (m + z * z)
        half = z * np.sqrt(m) / (m + z * z) * np.sqrt(p * (1 - p) + z * z / (4 * m))
    low, high = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    # At p = 0 or 1 one bound is exactly 0 or 1; float rounding must not move it.
    none = m == 0
    low = np.where(none, np.nan, np.where(k == 0, 0.0, low))
    return low, np.where(none, np.nan, np.where(k == m, 1.0, high))


def _tango_variance(
    promoters: FloatArray, detractors: FloatArray, n: FloatArray, delta: FloatArray
) -> FloatArray:
    """V(delta) = p_pro + p_det - delta^2 at the maximum likelihood under NPS = delta (Tango's
    closed form: the detractors' share q is the positive root of 2n q^2 + B q + C = 0 with
    B = -P - D + (2n - P + D) delta and C = -D delta (1 - delta))."""
    b = -promoters - detractors + (2 * n - promoters + detractors) * delta
    c = -detractors * delta * (1 - delta)
    q = (np.sqrt(np.maximum(b * b - 8 * n * c, 0.0)) - b) / (4 * n)
    return np.maximum(2 * q + delta * (1 - delta), 0.0)


def nps_interval(
    promoters: npt.ArrayLike, detractors: npt.ArrayLike, n: npt.ArrayLike, z: float
) -> tuple[FloatArray, FloatArray]:
    """Tango's score interval of (promoters - detractors) / n, in [-1, 1] (NaN where n is 0).

    Each bound is where ``n (d - delta)^2 = z^2 V(delta)``, found by bisection between the
    observed d (inside: the left side is 0 there) and -1 or 1 (outside, unless every answer
    is a detractor or a promoter, when that end is the bound). The statistic is monotone in
    delta, so the crossing is unique.
    """
    pro = np.atleast_1d(np.asarray(promoters, np.float64))
    det = np.atleast_1d(np.asarray(detractors, np.float64))
    m = np.atleast_1d(np.asarray(n, np.float64))
    answered = m > 0
    safe = np.where(answered, m, 1.0)
    observed = (pro - det) / safe

    def outside(delta: FloatArray) -> npt.NDArray[np.bool_]:
        gap = safe * (observed - delta) ** 2
        return gap > z * z * _tango_variance(pro, det, safe, delta)

    bounds = []
    for end in (-1.0, 1.0):
        inner, outer = observed.copy(), np.full_like(observed, end)
        for _ in range(_BISECTIONS):
            middle = (inner + outer) / 2
            out = outside(middle)
            outer, inner = np.where(out, middle, outer), np.where(out, inner, middle)
        # The bound is the last delta inside; at the scale's end (all promoters) it is the end.
        reached = ~outside(np.full_like(observed, end))
        bounds.append(np.where(answered, np.where(reached, end, inner), np.nan))
    return bounds[0], bounds[1]


@dataclass(frozen=True)
class ScoreArrays:
    """Scores of many groups at once (points; NaN where a group has no answers)."""

    score: FloatArray
    low: FloatArray
    high: FloatArray
    standard_error: FloatArray
    few_answers: npt.NDArray[np.bool_]


def score_arrays(
    kind: str,
    negative: npt.ArrayLike,
    neutral: npt.ArrayLike,
    positive: npt.ArrayLike,
    *,
    confidence: float = 0.95,
) -> ScoreArrays:
    """The score, interval, standard error and few-answers flag of each group's band counts.

    Vectorised over groups: the trends compute every (group, period) in one call.
    """
    kind = check_kind(kind)
    z = z_value(confidence)
    neg = np.atleast_1d(np.asarray(negative, np.float64))
    pos = np.atleast_1d(np.asarray(positive, np.float64))
    n = neg + np.atleast_1d(np.asarray(neutral, np.float64)) + pos
    with np.errstate(divide="ignore", invalid="ignore"):
        p_pos, p_neg = pos / n, neg / n
        if kind == "nps":
            share = p_pos - p_neg
            variance = (p_pos + p_neg - share * share) / n
            low, high = nps_interval(pos, neg, n, z)
        else:
            share = p_pos
            variance = p_pos * (1 - p_pos) / n
            low, high = wilson_interval(pos, n, z)
    low, high = 100.0 * low, 100.0 * high
    width = high - low
    few = (n < MIN_ANSWERS) | ~(width <= MAX_WIDTH[kind])
    return ScoreArrays(
        score=100.0 * share,
        low=low,
        high=high,
        standard_error=100.0 * np.sqrt(np.maximum(variance, 0.0)),
        few_answers=few,
    )


def _optional(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def survey_score_from_counts(
    kind: str,
    negative: int,
    neutral: int,
    positive: int,
    *,
    confidence: float = 0.95,
    mean: float | None = None,
) -> SurveyScore:
    """A :class:`SurveyScore` from band counts (``mean``: the mean answer, if known)."""
    counts = []
    for name, value in (("negative", negative), ("neutral", neutral), ("positive", positive)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise InvalidInputError(name, f"must be a whole count >= 0, got {value!r}")
        counts.append(int(value))
    arrays = score_arrays(kind, *counts, confidence=confidence)
    return SurveyScore(
        kind=kind,
        n=sum(counts),
        score=_optional(arrays.score[0]),
        low=_optional(arrays.low[0]),
        high=_optional(arrays.high[0]),
        confidence=float(confidence),
        standard_error=_optional(arrays.standard_error[0]),
        mean=mean,
        negative=counts[0],
        neutral=counts[1],
        positive=counts[2],
        few_answers=bool(arrays.few_answers[0]),
    )


def check_answers(values: npt.ArrayLike, kind: str, name: str = "scores") -> FloatArray:
    """The answers as floats after checking each is a whole number on ``kind``'s scale; the
    error names the first offending position and its value."""
    low, high = SCALES[check_kind(kind)]
    try:
        array = np.atleast_1d(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(name, f"must be numbers ({exc})") from None
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(array) | (array != np.floor(array)) | (array < low) | (array > high)
    if bad.any():
        first = int(np.argmax(bad))
        raise InvalidInputError(
            name,
            f"{kind} answers are whole numbers from {low} to {high}; "
            f"position {first} has {float(array[first])!r}",
            count=int(bad.sum()),
            example=first,
        )
    return array


def survey_score(kind: str, answers: Iterable[float], *, confidence: float = 0.95) -> SurveyScore:
    """The score of a list of answers of one ``kind`` ("nps", "csat" or "ces").

    Examples
    --------
    >>> s = survey_score("nps", [10, 9, 8, 7, 6, 0])
    >>> s.score, s.counts
    (0.0, {'detractors': 2, 'passives': 2, 'promoters': 2})
    >>> survey_score("csat", []).no_answers
    True
    """
    kind = check_kind(kind)
    check_confidence(confidence)
    values = check_answers(list(answers), kind)
    top_negative, bottom_positive = BANDS[kind]
    negative = int((values <= top_negative).sum())
    positive = int((values >= bottom_positive).sum())
    return survey_score_from_counts(
        kind,
        negative,
        values.size - negative - positive,
        positive,
        confidence=confidence,
        mean=float(values.mean()) if values.size else None,
    )


def nps_score(answers: Iterable[float], *, confidence: float = 0.95) -> SurveyScore:
    """NPS of 0-10 answers with Tango's score interval (see the module docstring)."""
    return survey_score("nps", answers, confidence=confidence)


def csat_score(answers: Iterable[float], *, confidence: float = 0.95) -> SurveyScore:
    """CSAT (% of 4-5 answers on 1-5) with Wilson's interval."""
    return survey_score("csat", answers, confidence=confidence)


def ces_score(answers: Iterable[float], *, confidence: float = 0.95) -> SurveyScore:
    """CES (% of easy answers, 5-7 on 1-7) with Wilson's interval; ``mean`` beside it."""
    return survey_score("ces", answers, confidence=confidence)
