"""Themes in free-text answers, found offline: which answers speak of the same thing, and the
words that say what it is.

``themes_find`` turns each answer into a TF-IDF vector and factorises the answers-by-words
matrix with non-negative matrix factorisation (NMF), both from scikit-learn; an answer belongs
to the theme that weighs most in it. No model is downloaded and nothing leaves the machine.

Rules:

- **Words.** Lower case, accents removed (``é`` is ``e``, so "erronée" and "erronee" meet), words
  of two letters or more (any alphabet; digits dropped), single words and pairs of neighbouring
  words. scikit-learn's English stop words are left out, with any the caller adds
  (``stop_words``: another language's list, the business's own name); a word in more than half
  the answers is left out too, which catches the commonest stop words of any language. A word
  found in one answer only cannot make a theme and is ignored. Terms are weighed by TF-IDF
  with sublinear term frequency, each answer scaled to length 1.
- **No theme** (-1): an answer with fewer than ``min_words`` distinct known words (2 by
  default) after that: empty, "ok", "n/a", stop words only, one word. A single word is too
  little to place; ``min_words=1`` places it anyway.
- **How many themes.** Each number from ``min_themes`` to ``max_themes`` is tried, and the one
  whose themes are the most *stable* is kept: the answers are factorised whole and on
  ``resamples`` random 80 % subsets, and the stability of a number is the mean adjusted Rand
  index between the whole fit's themes and each subset's on the subset's answers. Too few
  themes merge topics and too many split them, and both splits and merges move from one subset
  to the next, while the real topics come back each time (Lange, Roth, Braun & Buhmann 2004,
  "Stability-based validation of clustering solutions", *Neural Computation* 16(6); Greene,
  O'Callaghan & Cunningham 2014, "How many topics? Stability analysis for topic models", ECML
  PKDD, apply the idea to NMF, comparing top terms). Ties go to the fewer themes. There is at
  most one theme per 5 answers placed, and never one theme alone (trivially stable). Past
  ``sample_size`` answers the number is chosen on a random sample of that size; the themes
  are then found on all the answers.
- **Labels.** A theme's terms are the words found in the largest share of its answers and the
  smallest share of the others' (share inside minus share outside), up to five, a pair left
  out when both its words are in already. Representatives are the answers the theme weighs
  most in, one per wording. Themes are numbered from 0 by size, largest first.
- **Deterministic.** The same texts, settings and ``seed`` give the same themes.

``themes_trend`` counts the answers of each theme per calendar month (and per group, e.g. the
account), with their share of the month's answers.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from threadpoolctl import threadpool_limits

from tenure.analytics.errors import InvalidInputError

NO_THEME = -1
LABEL_TERMS = 5
REPRESENTATIVES = 3
# Words of 2+ letters of any alphabet: digits and underscores are not letters.
WORD_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"
SUBSET_SHARE = 0.8
# Past this many answers the number of themes is chosen on a sample: its ~80 fits take ~1 s.
SAMPLE_SIZE = 2000
# The most frequent terms kept, which bounds the matrices of a large corpus.
MAX_FEATURES = 20_000


@dataclass(frozen=True)
class Theme:
    """One theme: ``terms`` (most characteristic first), ``size`` (its answers) and the
    positions of the answers most typical of it (``representatives``)."""

    id: int
    terms: tuple[str, ...]
    size: int
    representatives: tuple[int, ...]

    @property
    def label(self) -> str:
        """The terms as a name a person can read (and later rename): "delivery, late, took"."""
        return ", ".join(self.terms)


@dataclass(frozen=True, eq=False)
class FoundThemes:
    """The themes of a set of answers.

    ``assignments`` holds, per answer in the order given, its theme's id or -1 (no theme).
    ``stability`` maps each number of themes tried to its stability (empty when none could be
    tried: too few answers with words).
    """

    themes: tuple[Theme, ...]
    assignments: npt.NDArray[np.int64]
    stability: dict[int, float] = field(default_factory=dict)

    @property
    def no_theme(self) -> int:
        """How many answers have no theme."""
        return int((self.assignments == NO_THEME).sum())


def _normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def check_texts(texts: Any) -> list[str]:
    """The answers as a list of strings; anything else is refused naming its position."""
    if isinstance(texts, str | bytes) or not isinstance(texts, Iterable):
        raise InvalidInputError("texts", "must be a list of answers (strings), not one string")
    values = list(texts)
    bad = [i for i, value in enumerate(values) if not isinstance(value, str)]
    if bad:
        first = bad[0]
        raise InvalidInputError(
            "texts",
            f"the answer at position {first} is {values[first]!r}, not text "
            "(an answer without words is '')",
            count=len(bad),
            example=first,
        )
    return values


def _stop_words(extra: Iterable[str]) -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = set()
    for word in [*ENGLISH_STOP_WORDS, *extra]:
        if not isinstance(word, str):
            raise InvalidInputError("stop_words", f"must be words, got {word!r}")
        words.update(re.findall(WORD_PATTERN, _normalise(word)))
    return sorted(words)


def _vectorise(texts: list[str], stop_words: list[str]) -> tuple[Any, npt.NDArray[np.str_]]:
    """The TF-IDF matrix (one row per text) and its terms; no terms at all gives 0 columns."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    with_words = sum(bool(re.search(WORD_PATTERN, _normalise(t))) for t in texts)
    vectoriser = TfidfVectorizer(
        preprocessor=_normalise,
        token_pattern=WORD_PATTERN,
        stop_words=stop_words,
        ngram_range=(1, 2),
        sublinear_tf=True,
        min_df=2,
        # Half the answers, as a count so a handful of answers cannot contradict min_df.
        max_df=max(2, with_words // 2),
        max_features=MAX_FEATURES,
        dtype=np.float64,
    )
    try:
        matrix = vectoriser.fit_transform(texts)
    except ValueError:
        # scikit-learn's "empty vocabulary": only stop words, or no word in two answers.
        return sparse.csr_matrix((len(texts), 0)), np.array([], dtype=str)
    return matrix.tocsr(), vectoriser.get_feature_names_out()


def _factorise(matrix: Any, k: int, seed: int) -> npt.NDArray[np.float64]:
    """NMF's weight of each theme in each answer (W); NNDSVDa starts it the same way each
    time, so the fit depends only on its data."""
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning

    model = NMF(n_components=k, init="nndsvda", max_iter=400, random_state=seed)
    # BLAS on one thread: these products are small, and waking OpenBLAS's pool for each cost
    # 5x the work on a busy 2-core machine (as models/_base.py's blas_single_thread says).
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        # A fit stopped at max_iter still ranks its themes; the stability check judges it.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit_transform(matrix)


def _theme_of(weights: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    themes = weights.argmax(axis=1).astype(np.int64)
    themes[weights.max(axis=1) <= 0] = NO_THEME
    return themes


def _stability(
    matrix: Any, ks: range, *, seed: int, resamples: int, sample_size: int
) -> dict[int, float]:
    """Mean adjusted Rand index between the fit on the (sampled) answers and on its subsets."""
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(seed)
    rows = matrix.shape[0]
    if rows > sample_size:
        matrix = matrix[np.sort(rng.choice(rows, sample_size, replace=False))]
        rows = sample_size
    # The same subsets for every k, so the numbers are compared on equal terms.
    subsets = [
        np.sort(rng.choice(rows, int(SUBSET_SHARE * rows), replace=False)) for _ in range(resamples)
    ]
    scores = {}
    for k in ks:
        whole = _theme_of(_factorise(matrix, k, seed))
        agreements = [
            adjusted_rand_score(whole[subset], _theme_of(_factorise(matrix[subset], k, seed)))
            for subset in subsets
        ]
        scores[k] = float(np.mean(agreements))
    return scores


def _label(
    present: Any, members: npt.NDArray[np.bool_], others: npt.NDArray[np.bool_], terms: Any
) -> tuple[str, ...]:
    """Up to LABEL_TERMS words: share of the theme's answers holding it minus the others'."""
    inside = np.asarray(present[members].mean(axis=0)).ravel()
    outside = np.asarray(present[others].mean(axis=0)).ravel() if others.any() else 0.0
    score = inside - outside
    chosen: list[str] = []
    for index in np.argsort(-score, kind="stable"):
        if len(chosen) == LABEL_TERMS or score[index] <= 0:
            break
        term = str(terms[index])
        words = term.split()
        if len(words) > 1 and all(w in chosen for w in words):
            continue
        if len(words) == 1 and any(term in c.split() for c in chosen):
            continue
        chosen.append(term)
    return tuple(chosen)


def _typical(
    weight: npt.NDArray[np.float64],
    members: npt.NDArray[np.bool_],
    placed: npt.NDArray[np.intp],
    texts: list[str],
) -> tuple[int, ...]:
    """The positions of the theme's answers it weighs most in, one per distinct wording."""
    chosen: list[int] = []
    seen: set[str] = set()
    for i in np.argsort(-weight, kind="stable"):
        if len(chosen) == REPRESENTATIVES:
            break
        wording = " ".join(_normalise(texts[placed[i]]).split())
        if members[i] and wording not in seen:
            seen.add(wording)
            chosen.append(int(placed[i]))
    return tuple(chosen)


def themes_find(
    texts: Sequence[str] | Iterable[str],
    *,
    min_themes: int = 2,
    max_themes: int = 10,
    seed: int = 0,
    min_words: int = 2,
    stop_words: Iterable[str] = (),
    resamples: int = 8,
    sample_size: int = SAMPLE_SIZE,
) -> FoundThemes:
    """The themes of free-text answers (see the module docstring for the rules).

    Parameters
    ----------
    texts : sequence of str
        The answers; '' for an answer without text. Anything but a string is refused, naming
        its position.
    min_themes, max_themes : int
        The range of the number of themes tried (2 to 10, at least 2); fewer than
        ``min_themes`` themes are found only when there are too few answers to hold them.
    seed : int
        Of the subsets that judge the number of themes.
    min_words : int
        Distinct known words an answer needs to get a theme.
    stop_words : iterable of str
        Words to leave out besides scikit-learn's English stop words.
    resamples : int
        Subsets per number of themes tried (8).
    sample_size : int
        Past this many answers with words, the number of themes is chosen on a sample.

    Returns
    -------
    FoundThemes
        ``themes`` (largest first), ``assignments`` (a theme's id or -1 per answer) and the
        ``stability`` of each number tried. No answers, or none with words, give no themes.
    """
    values = check_texts(texts)
    for name, value, low in (
        ("min_themes", min_themes, 2),
        ("max_themes", max_themes, 2),
        ("min_words", min_words, 1),
        ("resamples", resamples, 1),
        ("sample_size", sample_size, 10),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InvalidInputError(name, f"must be a whole number >= {low}, got {value!r}")
    if max_themes < min_themes:
        raise InvalidInputError("max_themes", f"must be >= min_themes ({min_themes})")
    assignments = np.full(len(values), NO_THEME, dtype=np.int64)
    matrix, terms = _vectorise(values, _stop_words(stop_words))
    single = np.array([" " not in t for t in terms], dtype=bool)
    present = (matrix > 0).astype(np.float64).tocsr()
    known = np.asarray(present[:, np.flatnonzero(single)].sum(axis=1)).ravel()
    placed = np.flatnonzero(known >= min_words)
    ks = range(min_themes, min(max_themes, placed.size // 5) + 1)
    if not ks:
        return FoundThemes(themes=(), assignments=assignments)
    rows = matrix[placed]
    stability = _stability(rows, ks, seed=seed, resamples=resamples, sample_size=sample_size)
    best = max(ks, key=lambda k: (round(stability[k], 12), -k))
    weights = _factorise(rows, best, seed)
    found = _theme_of(weights)
    # Number the themes by size, largest first (ties: NMF's own order).
    sizes = np.bincount(found[found >= 0], minlength=best)
    order = sorted(range(best), key=lambda t: (-sizes[t], t))
    renumber = np.full(best + 1, NO_THEME, dtype=np.int64)
    renumber[order] = np.arange(best)
    found = renumber[found]  # -1 indexes the last slot, which stays NO_THEME
    assignments[placed] = found
    present = present[placed]
    themes = []
    for new, old in enumerate(order):
        members = found == new
        if not members.any():
            continue
        typical = _typical(weights[:, old], members, placed, values)
        label = _label(present, members, (found >= 0) & ~members, terms)
        themes.append(Theme(new, label, int(members.sum()), tuple(typical)))
    return FoundThemes(themes=tuple(themes), assignments=assignments, stability=stability)


TREND_COLUMNS = ("month", "theme", "count", "answers", "share")


def _months(frame: pd.DataFrame, column: str, tz: str | None) -> pd.Series:
    """Each answer's calendar month: aware moments in ``tz`` (default their own zone), naive
    ones and dates as they are."""
    series = frame[column]
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        try:
            series = pd.to_datetime(series)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(column, f"must hold dates or moments ({exc})") from None
    missing = series.isna().to_numpy()
    if missing.any():
        first = int(np.argmax(missing))
        raise InvalidInputError(
            column,
            f"the answer at position {first} has no date",
            count=int(missing.sum()),
            example=first,
        )
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = (series.dt.tz_convert(tz) if tz else series).dt.tz_localize(None)
    elif tz:
        raise InvalidInputError("tz", "applies to timezone-aware moments; these dates have none")
    return series.dt.to_period("M")


def _theme_ids(frame: pd.DataFrame, column: str) -> npt.NDArray[np.int64]:
    values = frame[column].to_numpy(dtype=object)
    bad = np.array(
        [
            isinstance(v, bool) or not isinstance(v, int | np.integer) or v < NO_THEME
            for v in values
        ],
        dtype=bool,
    )
    if bad.any():
        first = int(np.argmax(bad))
        raise InvalidInputError(
            column,
            f"the answer at position {first} has {values[first]!r}: a theme is a whole number "
            "from 0, or -1 for none",
            count=int(bad.sum()),
            example=first,
        )
    return values.astype(np.int64)


def themes_trend(
    answers: pd.DataFrame,
    *,
    theme: str = "theme",
    at: str = "answered_at",
    by: str | Sequence[str] = (),
    tz: str | None = None,
) -> pd.DataFrame:
    """Answers per theme and calendar month (and group), with their share of the month's.

    Parameters
    ----------
    answers : pandas.DataFrame
        One row per answer: its ``theme`` (a theme's id, or -1 for none, as in
        ``FoundThemes.assignments``), when it was given (``at``: timezone-aware moments, or
        dates) and the ``by`` columns.
    by : str or list of str
        Grouping columns (``"account"``); answers whose group is missing are left out.
    tz : str, optional
        The calendar's time zone for aware moments (default: their own).

    Returns
    -------
    pandas.DataFrame
        One row per group, month and theme present in the answers, every month from the
        first answer's to the last's (a month without answers too): the ``by`` columns,
        ``month`` (its first day), ``theme``, ``count``, ``answers`` (the group's answers that
        month, with a theme or without) and ``share`` (count / answers; NaN without answers).
    """
    names = [by] if isinstance(by, str) else list(by)
    if not isinstance(answers, pd.DataFrame):
        raise InvalidInputError("answers", "must be a pandas DataFrame")
    for name in (theme, at, *names):
        if name not in answers.columns:
            raise InvalidInputError(name, "is not a column of answers")
    for name in names:
        if name in TREND_COLUMNS or name in (theme, at) or names.count(name) > 1:
            raise InvalidInputError("by", f"{name!r} is named twice or is a column of the trend")
    rows = pd.DataFrame({name: answers[name].to_numpy() for name in names})
    rows["month"] = _months(answers, at, tz).to_numpy()
    rows["theme"] = _theme_ids(answers, theme)
    if names:
        rows = rows[rows[names].notna().all(axis=1).to_numpy()]
    if rows.empty:
        return pd.DataFrame(columns=[*names, *TREND_COLUMNS])
    months = pd.DataFrame({"month": pd.period_range(rows["month"].min(), rows["month"].max())})
    ids = pd.DataFrame({"theme": np.unique(rows["theme"][rows["theme"] >= 0])})
    groups = rows[names].drop_duplicates() if names else pd.DataFrame(index=[0])
    grid = groups.merge(months, how="cross").merge(ids, how="cross")
    totals = rows.groupby([*names, "month"]).size().rename("answers").reset_index()
    placed = rows[rows["theme"] >= 0]
    counts = placed.groupby([*names, "month", "theme"]).size().rename("count").reset_index()
    out = grid.merge(counts, how="left").merge(totals, how="left")
    out[["count", "answers"]] = out[["count", "answers"]].fillna(0).astype(np.int64)
    out["share"] = out["count"] / out["answers"].where(out["answers"] > 0)
    out["month"] = out["month"].dt.to_timestamp()
    return out[[*names, *TREND_COLUMNS]].sort_values([*names, "month", "theme"], ignore_index=True)
