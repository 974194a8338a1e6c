"""Churn audit: what do churned customers have in common that retained ones do not?

Every attribute of the customers is compared between the churned and the retained:

- **categorical** (text, yes/no, categories): chi-square test of independence on the
  category x churned table (Pearson 1900; ``scipy.stats.chi2_contingency`` without Yates'
  continuity correction), effect size **Cramér's V** = sqrt(chi2 / (n (min(r, c) - 1)))
  (Cramér 1946, eq. 21.9.1), which for the k x 2 table is sqrt(chi2 / n); the finding names
  the category whose churn rate is highest relative to everyone else's (the *lift*);
- **numeric**: Mann-Whitney U test (Mann & Whitney 1947; ``scipy.stats.mannwhitneyu``,
  two-sided), effect size the **rank-biserial correlation** r = 2 U / (n1 n2) - 1 with U the
  statistic of the churned group (Kerby 2014, "The simple difference formula", Comprehensive
  Psychology 3:11.IT.3.1): the share of (churned, retained) pairs where the churned customer has
  the larger value minus the share where they have the smaller; the medians of both groups.

All p-values are corrected together for multiple testing with Benjamini & Hochberg's (1995)
false discovery rate (``scipy.stats.false_discovery_control``); an effect is *significant*
when its adjusted p-value is at most ``alpha``. Both effect sizes run from 0 (none) to 1
(complete separation), so one ranking orders them (by absolute value). Under the global null
(no attribute matters) BH bounds the chance of *any* finding at ``alpha`` (Benjamini &
Hochberg 1995, Theorem 1 with all hypotheses true), which is what "no difference found"
rests on: the caller must leave out what defines churn (recency, orders after the window),
which differs by construction and would only loosen the test of the real attributes.

Each effect comes with a confidence interval (``confidence``, 95 % by default):

- Cramér's V: by inverting the noncentral chi-square distribution for its noncentrality
  lambda (Smithson 2003, "Confidence Intervals", ch. 4), with V = sqrt(lambda / (n (k - 1)))
  the population value that lambda implies;
- the rank-biserial r = 2 A - 1, where A = U / (n1 n2) is the area under the ROC curve: the
  interval of A by Hanley & McNeil (1982, Radiology 143:29, eq. 1-2);
- the lift of the category named (a risk ratio): Katz, Baptista, Azen & Pike's (1978)
  log method.

Numeric attributes are also cut in ``bands`` (quantiles, quartiles by default) with the churn
rate of each, so a reader sees where along the scale churn gathers.

Rare categories (fewer than ``min_category_size`` customers) and those beyond the
``max_categories`` most common are pooled as "other"; a missing value is its own category
"(missing)" (that it is missing may be the finding). Numeric attributes leave missing values
out and say how many. Attributes that are constant, or where either group has fewer than
``min_group_size`` customers with a value, are listed with "not enough data" and no test.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from tenure.analytics.effect_intervals import (
    cramers_v_interval,
    rank_biserial_interval,
    risk_ratio_interval,
)
from tenure.analytics.errors import InvalidInputError

COLUMNS = [
    "attribute", "label", "kind", "test", "n", "effect_size", "effect_measure", "statistic",
    "p_value", "p_adjusted", "significant", "finding", "category", "churn_rate_in",
    "churn_rate_rest", "lift", "median_churned", "median_retained", "note", "effect_low",
    "effect_high", "lift_low", "lift_high", "bands",
]  # fmt: skip


def churn_audit(
    frame: Any,
    churned_col: str,
    attributes: Sequence[str] | None = None,
    *,
    alpha: float = 0.05,
    categorical: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
    max_categories: int = 10,
    min_category_size: int = 10,
    min_group_size: int = 10,
    confidence: float = 0.95,
    bands: int = 4,
) -> pd.DataFrame:
    """Compare churned and retained customers over every attribute, strongest effect first.

    Parameters
    ----------
    frame : pandas.DataFrame or polars.DataFrame
        One row per customer.
    churned_col : str
        Whether each customer churned: booleans, or 0/1.
    attributes : sequence of str, optional
        The columns to compare (default: every other column).
    alpha : float
        False discovery rate for the ``significant`` flag.
    categorical : sequence of str
        Numeric columns to treat as categories (e.g. a numeric plan code).
    labels : mapping, optional
        Display names for the findings (default: ``"budget_band"`` -> ``"Budget band"``).
    max_categories, min_category_size, min_group_size : int
        See the module docstring.
    confidence : float
        Level of the intervals ``effect_low``-``effect_high`` and ``lift_low``-``lift_high``.
    bands : int
        How many quantile bands numeric attributes are cut into (``bands`` column).

    Returns
    -------
    pandas.DataFrame
        One row per attribute, ranked by effect size (untested ones last), with the columns
        in :data:`COLUMNS`: the test, its statistic, ``p_value``, ``p_adjusted`` (BH),
        ``significant``, ``effect_size`` (Cramér's V or rank-biserial r, signed: > 0 when
        churned customers have larger values), a plain-words ``finding``, the category with the
        highest lift and its churn rates, or the medians, and a ``note``; the effect's
        interval, the lift's, and for numbers the ``bands`` (a list of ``{"band", "n",
        "churn_rate"}``). Significant findings come first. ``attrs`` holds the group sizes,
        ``alpha``, ``tested`` (how many attributes were tested) and ``summary``: the outcome in
        one plain sentence, "No difference found ..." when nothing is significant.
    """
    frame = _pandas(frame)
    churned = _churned(frame, churned_col)
    if not 0 < alpha < 1:
        raise InvalidInputError("alpha", f"must be between 0 and 1, got {alpha!r}")
    if not 0 < confidence < 1:
        raise InvalidInputError("confidence", f"must be between 0 and 1, got {confidence!r}")
    if isinstance(bands, bool) or not isinstance(bands, int) or not 2 <= bands <= 10:
        raise InvalidInputError("bands", f"must be a whole number from 2 to 10, got {bands!r}")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    names = [c for c in frame.columns if c != churned_col] if attributes is None else attributes
    rows = []
    for name in names:
        if name not in frame.columns:
            raise InvalidInputError(str(name), "is not a column of the frame")
        label = (labels or {}).get(name) or str(name).replace("_", " ").capitalize()
        column = frame[name]
        row: dict[str, Any] = {"attribute": name, "label": label}
        if pd.api.types.is_datetime64_any_dtype(column):
            row.update(kind="date", note="dates are not compared: derive a number of days first")
        elif _is_numeric(column) and name not in categorical:
            row.update(_numeric(column, churned, label, min_group_size, z, bands))
        else:
            row.update(_categorical(column, churned, label, max_categories, min_category_size, z))
        rows.append(row)
    result = pd.DataFrame(rows, columns=COLUMNS)
    _adjust(result, alpha)
    order = result["effect_size"].abs().fillna(-1.0)
    keys = (result["p_value"].fillna(2.0), -order, ~result["significant"])
    result = result.iloc[np.lexsort(keys)].reset_index(drop=True)
    tested = int(result["p_value"].notna().sum())
    result.attrs.update(
        churned=int(churned.sum()),
        retained=int((~churned).sum()),
        alpha=alpha,
        tested=tested,
        summary=_summary(result, tested, alpha),
    )
    return result


def _pandas(frame: Any) -> pd.DataFrame:
    if type(frame).__module__.startswith("polars"):
        return frame.to_pandas()
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInputError("frame", "must be a pandas or Polars DataFrame")
    return frame


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _churned(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        raise InvalidInputError(name, "is not a column of the frame")
    column = frame[name]
    missing = column.isna().to_numpy()
    if missing.any():
        raise InvalidInputError(
            name, "has customers whose churn is unknown", count=int(missing.sum()),
            example=int(np.argmax(missing)),
        )  # fmt: skip
    values = column.to_numpy()
    if not (pd.api.types.is_bool_dtype(column) or np.isin(values, [0, 1]).all()):
        raise InvalidInputError(name, "must be true/false (or 1/0) for every customer")
    churned = values.astype(bool)
    if churned.all() or not churned.any():
        raise InvalidInputError(name, "needs both churned and retained customers to compare")
    return churned


def _categorical(
    column: pd.Series,
    churned: np.ndarray,
    label: str,
    max_categories: int,
    min_size: int,
    z: float,
) -> dict[str, Any]:
    row: dict[str, Any] = {"kind": "categorical"}
    if pd.api.types.is_bool_dtype(column):
        column = column.map({True: "yes", False: "no"})
    values = column.astype(object).where(column.notna(), "(missing)").astype(str)
    sizes = values.value_counts()
    if len(sizes) < 2:
        return row | {"note": "constant: every customer has the same value"}
    keep = sizes[sizes >= min_size].index[:max_categories]
    pooled = len(sizes) - len(keep)
    values = values.where(values.isin(keep), "other")
    notes = [f"{pooled} rare categories pooled as 'other'"] if pooled else []
    table = pd.crosstab(values, churned).reindex(columns=[False, True], fill_value=0)
    if len(table) < 2:
        return row | {"note": f"not enough data: every value is rare (under {min_size} customers)"}
    chi2, p, dof, expected = stats.chi2_contingency(table.to_numpy(), correction=False)
    n = int(table.to_numpy().sum())
    if (expected < 5).mean() > 0.2:  # Cochran's (1954) rule for the chi-square approximation
        notes.append("few customers per cell: p-value approximate")
    total = int(table[True].sum())
    size = table.sum(axis=1)
    rate_in = table[True] / size
    rest = n - size
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_rest = ((total - table[True]) / rest).where(rest > 0)
        lift = rate_in / rate_rest
    best = lift.fillna(0).sort_values(kind="stable", ascending=False).index[0]
    r_in, r_rest, best_lift = float(rate_in[best]), float(rate_rest[best]), float(lift[best])
    if math.isinf(best_lift):
        finding = f"{label} '{best}' churns while the others do not ({_pct(r_in)} vs 0 %)"
    else:
        finding = (
            f"{label} '{best}' churns {best_lift:.1f}x as often ({_pct(r_in)} vs {_pct(r_rest)})"
        )
    confidence = _confidence(z)
    low, high = cramers_v_interval(float(chi2), n, int(dof), 2, confidence)
    events_in = int(table.loc[best, True])
    lift_low, lift_high = risk_ratio_interval(
        events_in, int(size[best]), total - events_in, int(rest[best]), confidence
    )
    return row | {
        "test": "chi-square", "n": n, "statistic": float(chi2), "p_value": float(p),
        "effect_size": math.sqrt(chi2 / n), "effect_measure": "Cramér's V", "finding": finding,
        "category": best, "churn_rate_in": r_in, "churn_rate_rest": r_rest, "lift": best_lift,
        "note": "; ".join(notes) or None, "effect_low": low, "effect_high": high,
        "lift_low": lift_low, "lift_high": lift_high,
    }  # fmt: skip


def _numeric(
    column: pd.Series, churned: np.ndarray, label: str, min_group: int, z: float, bands: int
) -> dict[str, Any]:
    row: dict[str, Any] = {"kind": "numeric"}
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    known = ~np.isnan(values)
    notes = [f"{int((~known).sum())} missing values left out"] if not known.all() else []
    lost, kept = values[known & churned], values[known & ~churned]
    if min(lost.size, kept.size) < min_group:
        note = f"not enough data: under {min_group} customers with a value in a group"
        return row | {"note": "; ".join([note, *notes])}
    if np.all(values[known] == values[known][0]):
        return row | {"note": "constant: every customer has the same value"}
    u, p = stats.mannwhitneyu(lost, kept, alternative="two-sided")
    r = 2.0 * float(u) / (lost.size * kept.size) - 1.0
    low, high = rank_biserial_interval(float(u), lost.size, kept.size, _confidence(z))
    m1, m0 = float(np.median(lost)), float(np.median(kept))
    direction = "higher" if r > 0 else "lower"
    medians = f"median {_num(m1)} vs {_num(m0)}" if m1 != m0 else f"median {_num(m1)} for both"
    return row | {
        "test": "Mann-Whitney U", "n": int(known.sum()), "statistic": float(u),
        "p_value": float(p), "effect_size": r, "effect_measure": "rank-biserial r",
        "finding": f"Churned customers have {direction} {label.lower()} ({medians})",
        "median_churned": m1, "median_retained": m0, "note": "; ".join(notes) or None,
        "effect_low": low, "effect_high": high,
        "bands": _bands(values[known], churned[known], bands),
    }  # fmt: skip


def _confidence(z: float) -> float:
    return float(2 * stats.norm.cdf(z) - 1)


def _bands(values: np.ndarray, churned: np.ndarray, count: int) -> list[dict[str, Any]]:
    """Quantile bands of ``values`` with each band's size and churn rate, lowest first.

    Edges are the quantiles, made unique (a value shared by many customers is one edge), so
    heavy ties give fewer bands; each band is [edge, next edge), the last one closed."""
    edges = np.unique(np.quantile(values, np.linspace(0, 1, count + 1)))
    if edges.size < 2:
        return []
    index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, edges.size - 2)
    result = []
    for band in range(edges.size - 1):
        inside = index == band
        if not inside.any():
            continue
        low, high = edges[band], edges[band + 1]
        if band == 0:
            words = f"under {_num(float(high))}"
        elif band == edges.size - 2:
            words = f"{_num(float(low))} or more"
        else:
            words = f"{_num(float(low))} to under {_num(float(high))}"
        result.append(
            {
                "band": words,
                "n": int(inside.sum()),
                "churn_rate": float(churned[inside].mean()),
            }
        )
    return result


def bands_in_words(value: Any) -> Any:
    """A ``bands`` cell as one line of text (for CSV and terminals); other values as given."""
    if not isinstance(value, list):
        return value
    return "; ".join(
        f"{band['band']}: {_pct(band['churn_rate'])} of {band['n']:,} churned" for band in value
    )


def _summary(result: pd.DataFrame, tested: int, alpha: float) -> str:
    if not tested:
        return "Nothing could be tested: no attribute has enough customers with a value."
    found = result[result["significant"]]
    rate = f"{100 * alpha:g} %"
    if found.empty:
        return (
            f"No difference found: none of the {tested} attributes tested separates churned "
            f"from retained customers (false discovery rate {rate})."
        )
    names = ", ".join(str(label) for label in found["label"].head(3))
    more = f" and {len(found) - 3} more" if len(found) > 3 else ""
    return (
        f"{len(found)} of the {tested} attributes tested differ between churned and retained "
        f"customers (false discovery rate {rate}), strongest first: {names}{more}."
    )


def _adjust(result: pd.DataFrame, alpha: float) -> None:
    tested = result["p_value"].notna()
    result["significant"] = False
    if tested.any():
        adjusted = stats.false_discovery_control(result.loc[tested, "p_value"], method="bh")
        result.loc[tested, "p_adjusted"] = adjusted
        result.loc[tested, "significant"] = adjusted <= alpha
        faint = tested & ~result["significant"]
        result.loc[faint, "finding"] = result.loc[faint, "finding"] + " (not significant)"
    result["significant"] = result["significant"].astype(bool)


def _pct(rate: float) -> str:
    return f"{100 * rate:.0f} %"


def _num(x: float) -> str:
    if x == int(x) or abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.2f}".rstrip("0").rstrip(".")
