"""Keeping themes across runs: which theme found today is which theme stored before.

``themes_find`` (``themes.py``) numbers its themes afresh on every run, by size. A person
renames, tags and merges the stored themes, so a new run must say which stored theme each new
one is, or a renamed "Late deliveries" would come back as "delivery, late, took" with a new id.

- **Words of a theme** (``theme_word_weights``): each word's share of the theme's answers that
  hold it minus its share of the other placed answers (the rule ``themes_find`` names themes
  by), the positive ones, the ``top`` largest. A stored theme keeps the weights of the last run
  that saw it.
- **Matching** (``themes_match``): the cosine similarity of every new theme's word weights with
  every stored theme's, then the one-to-one assignment with the largest total similarity (the
  Hungarian method, Kuhn 1955, "The Hungarian method for the assignment problem", *Naval
  Research Logistics Quarterly* 2:83-97; ``scipy.optimize.linear_sum_assignment``). A pair
  below ``threshold`` is no match: the new theme is new, the stored one was not seen.
- **Merged themes** stay candidates: a person merged A into B, the run finds A's topic again,
  it matches A, and its answers go to B (``survivors``: A -> B, followed to the end of a
  chain). Two new themes may so end in one survivor; that is what the merge asked for.
- **Answer weights** (``answer_weights``): how typical an answer is of its theme, the cosine of
  its words (each 1) with the theme's word weights; 0 for an answer without a theme.

Pure: words in, numbers out; no storage.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tenure.analytics.errors import InvalidInputError
from tenure.analytics.themes import NO_THEME, WORD_PATTERN, check_texts

# Cosine similarity below which a new theme is not a stored one. The same answers found again
# give ~1; distinct planted topics 0-0.1 (tests/analytics/test_theme_matching.py measures both).
MATCH_THRESHOLD = 0.35
TOP_WORDS = 30

WordWeights = Mapping[str, float]


def _words(text: str, stop: frozenset[str]) -> set[str]:
    """The distinct known words of an answer: lower case, accents folded (as ``themes_find``)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return {word for word in re.findall(WORD_PATTERN, folded) if word not in stop}


def _stop_words(extra: Iterable[str]) -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | {str(word).lower() for word in extra}


def _theme_ids(assignments: npt.ArrayLike, size: int) -> npt.NDArray[np.int64]:
    ids = np.asarray(assignments)
    if ids.shape != (size,):
        raise InvalidInputError("assignments", f"must hold one theme per answer ({size})")
    if ids.size and (ids.dtype.kind not in "iu" or (ids < NO_THEME).any()):
        raise InvalidInputError("assignments", "must be theme ids (whole numbers, -1: none)")
    return ids.astype(np.int64)


def theme_word_weights(
    texts: Sequence[str],
    assignments: npt.ArrayLike,
    *,
    top: int = TOP_WORDS,
    stop_words: Iterable[str] = (),
) -> dict[int, dict[str, float]]:
    """Each theme's characteristic words with their weights (see the module docstring).

    Parameters
    ----------
    texts : sequence of str
        The answers, as given to ``themes_find``.
    assignments : array of int
        Each answer's theme id, -1 for none (``FoundThemes.assignments``).
    top : int
        Words kept per theme, the heaviest.

    Returns
    -------
    dict
        theme id -> {word: weight in (0, 1]}, heaviest first; a theme whose every word is as
        common outside it has no words.
    """
    values = check_texts(texts)
    ids = _theme_ids(assignments, len(values))
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise InvalidInputError("top", f"must be a whole number >= 1, got {top!r}")
    stop = _stop_words(stop_words)
    placed = np.flatnonzero(ids != NO_THEME)
    bags = [_words(values[i], stop) for i in placed]
    vocabulary = sorted(set().union(*bags)) if bags else []
    index = {word: n for n, word in enumerate(vocabulary)}
    present = np.zeros((placed.size, len(vocabulary)), dtype=np.float64)
    for row, bag in enumerate(bags):
        present[row, [index[word] for word in bag]] = 1.0
    themes = ids[placed]
    out: dict[int, dict[str, float]] = {}
    for theme in np.unique(themes):
        members = themes == theme
        inside = present[members].mean(axis=0)
        outside = present[~members].mean(axis=0) if (~members).any() else 0.0
        score = inside - outside
        order = np.argsort(-score, kind="stable")[:top]
        out[int(theme)] = {vocabulary[i]: round(float(score[i]), 6) for i in order if score[i] > 0}
    return out


def cosine(a: WordWeights, b: WordWeights) -> float:
    """The cosine similarity of two word-weight vectors (0 when either is empty)."""
    norm_a = math.sqrt(sum(w * w for w in a.values()))
    norm_b = math.sqrt(sum(w * w for w in b.values()))
    if norm_a == 0 or norm_b == 0:
        return 0.0
    return sum(w * b.get(word, 0.0) for word, w in a.items()) / (norm_a * norm_b)


def _check_weights(name: str, themes: Mapping[int, WordWeights]) -> None:
    for theme, words in themes.items():
        for word, weight in words.items():
            if not isinstance(word, str) or not math.isfinite(weight) or weight < 0:
                raise InvalidInputError(
                    name, f"theme {theme}: {word!r} has weight {weight!r}, not a finite >= 0"
                )


def survivor_of(theme: int, survivors: Mapping[int, int]) -> int:
    """Where ``theme``'s answers go: itself, or the end of its chain of merges."""
    seen = {theme}
    while theme in survivors:
        theme = survivors[theme]
        if theme in seen:
            raise InvalidInputError("survivors", f"the merges of theme {theme} form a cycle")
        seen.add(theme)
    return theme


@dataclass(frozen=True)
class ThemeMatching:
    """The outcome of matching a run's themes to the stored ones.

    ``matched``: new theme -> the stored theme its answers go to (a merged one's survivor);
    ``matched_stored``: new theme -> the stored theme it resembled (before following merges);
    ``similarity``: new theme -> its similarity with that stored theme; ``new``: the new themes
    that match none (to store as themes of their own); ``unseen``: the stored themes no new
    theme reached, directly or through a merge.
    """

    matched: dict[int, int]
    matched_stored: dict[int, int]
    similarity: dict[int, float]
    new: tuple[int, ...]
    unseen: tuple[int, ...]


def themes_match(
    found: Mapping[int, WordWeights],
    stored: Mapping[int, WordWeights],
    *,
    threshold: float = MATCH_THRESHOLD,
    survivors: Mapping[int, int] | None = None,
) -> ThemeMatching:
    """Match a run's themes (``found``) to the stored ones by word-weight cosine similarity.

    Parameters
    ----------
    found, stored : mapping of theme id -> {word: weight}
        The new run's themes and the stored themes (merged ones included: their matches go to
        their survivors).
    threshold : float
        The least similarity of a match, in (0, 1].
    survivors : mapping of stored id -> stored id
        Each merged theme's survivor.

    Returns
    -------
    ThemeMatching
    """
    if isinstance(threshold, bool) or not (0 < float(threshold) <= 1):
        raise InvalidInputError("threshold", f"must be in (0, 1], got {threshold!r}")
    _check_weights("found", found)
    _check_weights("stored", stored)
    redirect = dict(survivors or {})
    for merged in redirect:
        if merged not in stored:
            raise InvalidInputError("survivors", f"theme {merged} is not a stored theme")
    new_ids, old_ids = sorted(found), sorted(stored)
    similarity = np.array(
        [[cosine(found[n], stored[o]) for o in old_ids] for n in new_ids], dtype=np.float64
    ).reshape(len(new_ids), len(old_ids))
    pairs: list[tuple[int, int]] = []
    if similarity.size:
        from scipy.optimize import linear_sum_assignment

        rows, cols = linear_sum_assignment(similarity, maximize=True)
        pairs = [(int(r), int(c)) for r, c in zip(rows, cols, strict=True)]
    matched: dict[int, int] = {}
    matched_stored: dict[int, int] = {}
    scores: dict[int, float] = {}
    for r, c in pairs:
        if similarity[r, c] >= threshold:
            theme = new_ids[r]
            matched_stored[theme] = old_ids[c]
            matched[theme] = survivor_of(old_ids[c], redirect)
            scores[theme] = round(float(similarity[r, c]), 6)
    reached = set(matched.values()) | set(matched_stored.values())
    return ThemeMatching(
        matched=matched,
        matched_stored=matched_stored,
        similarity=scores,
        new=tuple(n for n in new_ids if n not in matched),
        unseen=tuple(
            o for o in old_ids if o not in reached and survivor_of(o, redirect) not in reached
        ),
    )


def answer_weights(
    texts: Sequence[str],
    assignments: npt.ArrayLike,
    weights: Mapping[int, WordWeights],
    *,
    stop_words: Iterable[str] = (),
) -> npt.NDArray[np.float64]:
    """How typical each answer is of its theme: the cosine of its words with the theme's word
    weights, 0-1; 0 for an answer without a theme (or a theme without words)."""
    values = check_texts(texts)
    ids = _theme_ids(assignments, len(values))
    stop = _stop_words(stop_words)
    out = np.zeros(len(values), dtype=np.float64)
    for i in np.flatnonzero(ids != NO_THEME):
        words = weights.get(int(ids[i]), {})
        bag = _words(values[i], stop)
        out[i] = round(cosine(dict.fromkeys(bag, 1.0), words), 6)
    return out
