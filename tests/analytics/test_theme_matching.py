"""Matching a run's themes to the stored ones: word weights and cosines worked by hand, the
Hungarian assignment where the greedy one fails, merges followed to their survivor, and the
threshold against the planted topics of the 500-answer fixture."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from tenure.analytics.errors import InvalidInputError
from tenure.analytics.theme_matching import (
    MATCH_THRESHOLD,
    answer_weights,
    cosine,
    survivor_of,
    theme_word_weights,
    themes_match,
)
from tenure.analytics.themes import NO_THEME, themes_find

DATA = Path(__file__).parent / "data"

TEXTS = [
    "Late delivery, order wrong",  # theme 0
    "delivery late",  # theme 0
    "Wrong invoice",  # theme 1
    "invoice wrong, charged",  # theme 1
    "ok",  # no theme
]
ASSIGNED = [0, 0, 1, 1, NO_THEME]


def test_word_weights_are_the_share_inside_minus_the_share_outside():
    weights = theme_word_weights(TEXTS, ASSIGNED)
    # Theme 0: late and delivery in 2 of 2 (0 of the 2 others), order in 1 of 2; "wrong" is in
    # 1 of 2 inside and 2 of 2 outside: -0.5, left out.
    assert weights[0] == {"delivery": 1.0, "late": 1.0, "order": 0.5}
    # Theme 1: invoice 1 - 0; wrong 1 - 0.5; charged 0.5 - 0. "ok" has no theme: no weight.
    assert weights[1] == {"invoice": 1.0, "charged": 0.5, "wrong": 0.5}
    assert list(weights[1]) == ["invoice", "charged", "wrong"]  # heaviest first, then a-z
    assert theme_word_weights(TEXTS, ASSIGNED, top=1) == {0: {"delivery": 1.0}, 1: {"invoice": 1.0}}


def test_accents_fold_and_stop_words_can_be_added():
    weights = theme_word_weights(
        ["Livraison très en retard", "livraison tres lente", "facture erronée"], [0, 0, 1],
        stop_words=["en", "tres"],
    )  # fmt: skip
    assert weights[0] == {"livraison": 1.0, "lente": 0.5, "retard": 0.5}
    assert weights[1] == {"erronee": 1.0, "facture": 1.0}


def test_cosine_worked_by_hand():
    assert cosine({"late": 3, "delivery": 4}, {"late": 3, "delivery": 4}) == pytest.approx(1.0)
    assert cosine({"late": 3, "delivery": 4}, {"late": 1}) == pytest.approx(3 / 5)
    assert cosine({"late": 1}, {"invoice": 1}) == 0.0
    assert cosine({}, {"late": 1}) == 0.0


def test_each_new_theme_goes_to_the_stored_theme_it_resembles():
    found = {0: {"late": 1, "delivery": 1}, 1: {"invoice": 1, "charged": 1}}
    stored = {10: {"invoice": 1, "charged": 1, "refund": 1}, 20: {"late": 1, "delivery": 1}}
    out = themes_match(found, stored)
    assert out.matched == {0: 20, 1: 10}
    # 2 / (sqrt(2) * sqrt(3)) for the invoice themes.
    assert out.similarity == {0: 1.0, 1: pytest.approx(2 / math.sqrt(6), abs=1e-6)}
    assert out.new == () and out.unseen == ()


def test_the_assignment_maximises_the_total_where_greedy_would_not():
    # new 0 resembles A and B alike (3 / sqrt(12) = 0.866 each); new 1 only A (1 / sqrt(2)).
    # Greedy takes new 0 -> A first and leaves new 1 without a match; the Hungarian method
    # gives A to new 1 and B to new 0 (total 1.573 against 0.866).
    found = {0: {"late": 2, "courier": 1, "parcel": 1}, 1: {"courier": 1}}
    stored = {1: {"late": 1, "courier": 1}, 2: {"late": 1, "parcel": 1}}
    out = themes_match(found, stored)
    assert out.matched == {0: 2, 1: 1}
    assert out.similarity[0] == pytest.approx(3 / math.sqrt(12), abs=1e-6)
    assert out.similarity[1] == pytest.approx(1 / math.sqrt(2), abs=1e-6)


def test_below_the_threshold_a_theme_is_new_and_the_stored_one_unseen():
    found = {0: {"late": 1, "delivery": 1}, 1: {"app": 1, "crashes": 1}}
    stored = {5: {"late": 1, "delivery": 1}, 6: {"invoice": 1, "app": 0.1}}
    out = themes_match(found, stored)
    # cos(new 1, stored 6) = 0.1 / (sqrt(2) * sqrt(1.01)) = 0.070: no match.
    assert out.matched == {0: 5}
    assert out.new == (1,) and out.unseen == (6,)
    assert themes_match(found, stored, threshold=0.05).matched == {0: 5, 1: 6}
    # Nothing stored yet: every theme is new; nothing found: every stored one unseen.
    assert themes_match(found, {}).new == (0, 1)
    assert themes_match({}, stored).unseen == (5, 6)


def test_a_match_of_a_merged_theme_goes_to_its_survivor():
    found = {0: {"late": 1, "delivery": 1}, 1: {"invoice": 1}}
    stored = {1: {"late": 1, "delivery": 1}, 2: {"invoice": 1}, 3: {"parcel": 1}}
    out = themes_match(found, stored, survivors={1: 3})
    assert out.matched == {0: 3, 1: 2}
    assert out.matched_stored == {0: 1, 1: 2}
    assert out.unseen == ()  # 3 was reached through 1
    assert survivor_of(1, {1: 2, 2: 3}) == 3
    assert survivor_of(4, {1: 2}) == 4
    with pytest.raises(InvalidInputError, match="cycle"):
        survivor_of(1, {1: 2, 2: 1})
    with pytest.raises(InvalidInputError, match="not a stored theme"):
        themes_match(found, stored, survivors={9: 1})


def test_bad_inputs_are_refused_naming_them():
    with pytest.raises(InvalidInputError, match="threshold"):
        themes_match({}, {}, threshold=0)
    with pytest.raises(InvalidInputError, match="stored"):
        themes_match({}, {1: {"late": float("nan")}})
    with pytest.raises(InvalidInputError, match="one theme per answer"):
        theme_word_weights(TEXTS, [0, 1])
    with pytest.raises(InvalidInputError, match="theme ids"):
        theme_word_weights(TEXTS, [0.5, 0, 1, 1, -1])
    with pytest.raises(InvalidInputError, match="top"):
        theme_word_weights(TEXTS, ASSIGNED, top=0)


def test_answer_weights_say_how_typical_an_answer_is():
    weights = theme_word_weights(TEXTS, ASSIGNED)
    typical = answer_weights(TEXTS, ASSIGNED, weights)
    # "delivery late" against {delivery 1, late 1, order 0.5}: 2 / (sqrt(2) * 1.5).
    assert typical[1] == pytest.approx(2 / (math.sqrt(2) * 1.5), abs=1e-6)
    # "Late delivery, order wrong": (1 + 1 + 0.5) / (2 * 1.5); "wrong" has no weight there.
    assert typical[0] == pytest.approx(2.5 / 3, abs=1e-6)
    assert typical[4] == 0.0  # no theme
    assert typical[0] < typical[1]


def test_themes_found_again_on_more_answers_match_the_same_planted_topics():
    with (DATA / "themes_answers.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts, topics = [r["text"] for r in rows], np.array([r["topic"] for r in rows])
    before = themes_find(texts[:400], seed=0)
    after = themes_find(texts, seed=0)
    old = theme_word_weights(texts[:400], before.assignments)
    new = theme_word_weights(texts, after.assignments)

    def topic_of(assignments, theme, count):
        return max(
            set(topics[:count]),
            key=lambda topic: int(((assignments == theme) & (topics[:count] == topic)).sum()),
        )

    out = themes_match(new, old)
    assert len(out.matched) == len(after.themes) == len(before.themes)
    for theme, stored in out.matched.items():
        assert topic_of(after.assignments, theme, 500) == topic_of(before.assignments, stored, 400)
        assert out.similarity[theme] >= 0.8  # the same topic: far above the threshold
    # Different topics are far below it.
    cross = [
        cosine(new[n], old[o]) for n in new for o in old if out.matched.get(n) != o
    ]  # fmt: skip
    assert max(cross) < MATCH_THRESHOLD / 2
