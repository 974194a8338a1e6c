"""Themes found in free-text answers: 500 survey comments around 5 planted topics come back as
those topics (adjusted Rand index >= 0.7), offline, the same for the same seed; and the monthly
trend of each theme, worked by hand."""

from __future__ import annotations

import csv
import importlib.util
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from tenure.analytics.errors import InvalidInputError
from tenure.analytics.themes import NO_THEME, themes_find, themes_trend

DATA = Path(__file__).parent / "data"
TOPICS = ("delivery", "billing", "quality", "support", "usability")
# Words a person would accept in the name of each planted topic's theme.
CHARACTERISTIC = {
    "delivery": {"delivery", "late", "shipping", "courier", "parcel", "arrived", "tracking"},
    "billing": {"invoice", "invoices", "billing", "bill", "payment", "charged", "refund"},
    "quality": {"quality", "made", "materials", "solid", "craftsmanship", "built", "sturdy"},
    "support": {"support", "service", "staff", "agent", "helpful", "customer"},
    "usability": {"app", "website", "site", "page", "mobile", "web", "screen", "navigate"},
}


def _fixture() -> tuple[list[str], np.ndarray]:
    with (DATA / "themes_answers.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], np.array([r["topic"] for r in rows])


@pytest.fixture(scope="module")
def answers() -> tuple[list[str], np.ndarray]:
    return _fixture()


@pytest.fixture(scope="module")
def found(answers):
    return themes_find(answers[0], seed=0)


def test_the_fixture_is_the_scripts_output_and_reads_like_survey_comments(answers):
    spec = importlib.util.spec_from_file_location("make", DATA / "make_themes_answers.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    texts, topics = answers
    assert [(t, x) for t, x in zip(topics, texts, strict=True)] == make.answers()
    counts = pd.Series(topics).value_counts()
    assert len(texts) == 500 and set(counts.index) == {*TOPICS, "none"}
    assert 0.05 <= counts["none"] / 500 <= 0.10
    words = np.array([len(t.split()) for t in texts])
    on_topic = topics != "none"
    assert words[on_topic].min() >= 3 and words[on_topic].max() <= 60
    assert len(set(texts)) > 470  # few repeats ("ok", "n/a" among them)


def test_the_planted_topics_are_found(answers, found):
    _, topics = answers
    score = adjusted_rand_score(topics, found.assignments)
    lost = int(((found.assignments == NO_THEME) & (topics != "none")).sum())
    # Every row counts: "no theme" is one more cluster, to match against the planted "none".
    assert score >= 0.7, (
        f"ARI {score:.3f} over all 500 answers; {found.no_theme} without a theme, "
        f"{lost} of them on a planted topic"
    )
    assert 4 <= len(found.themes) <= 7
    # The number kept is the most stable of those tried.
    assert set(found.stability) == set(range(2, 11))
    assert max(found.stability, key=found.stability.get) == len(found.themes)
    # The "none" rows are mostly left without a theme, the topics' rows mostly placed.
    assert ((found.assignments == NO_THEME) & (topics == "none")).sum() >= 25
    assert lost <= 5


def test_a_random_assignment_scores_near_zero(answers, found):
    # The metric's baseline: the same theme sizes dealt at random match nothing.
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(found.assignments)
    assert abs(adjusted_rand_score(answers[1], shuffled)) < 0.05


def test_each_topic_has_its_own_theme_named_by_a_characteristic_word(answers, found):
    _, topics = answers
    majority = {}
    for topic in TOPICS:
        themes = found.assignments[(topics == topic) & (found.assignments != NO_THEME)]
        majority[topic] = int(np.bincount(themes).argmax())
    assert len(set(majority.values())) == len(TOPICS), majority
    by_id = {theme.id: theme for theme in found.themes}
    for topic, theme_id in majority.items():
        theme = by_id[theme_id]
        assert 3 <= len(theme.terms) <= 5
        assert CHARACTERISTIC[topic] & {w for term in theme.terms for w in term.split()}, (
            f"{topic}: {theme.label}"
        )


def test_themes_are_numbered_by_size_with_typical_answers_of_their_own(answers, found):
    texts, _ = answers
    sizes = [theme.size for theme in found.themes]
    assert [theme.id for theme in found.themes] == list(range(len(found.themes)))
    assert sizes == sorted(sizes, reverse=True)
    assert sum(sizes) == 500 - found.no_theme
    for theme in found.themes:
        assert sizes[theme.id] == int((found.assignments == theme.id).sum())
        assert len(theme.representatives) == 3
        assert all(found.assignments[i] == theme.id for i in theme.representatives)
        assert len({texts[i] for i in theme.representatives}) == 3
        assert theme.label == ", ".join(theme.terms)


def test_offline_and_the_same_seed_gives_the_same_themes(answers, found, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("themes_find opened a network socket")

    monkeypatch.setattr(socket, "socket", refuse)
    again = themes_find(answers[0], seed=0)
    assert again.themes == found.themes
    assert np.array_equal(again.assignments, found.assignments)
    assert again.stability == found.stability


def test_another_seed_finds_the_topics_too(answers):
    texts, topics = answers
    other = themes_find(texts, seed=1)
    assert adjusted_rand_score(topics, other.assignments) >= 0.7
    assert 4 <= len(other.themes) <= 7


def test_no_answers_or_no_words_give_no_themes():
    empty = themes_find([])
    assert empty.themes == () and empty.assignments.shape == (0,) and empty.stability == {}
    blank = themes_find(["", "   ", "ok", "n/a", "the and of it", "-", "10/10", "é"])
    assert blank.themes == ()
    assert blank.assignments.tolist() == [NO_THEME] * 8
    assert blank.no_theme == 8


# Two topics in French, written with and without accents; French stop words passed in.
FRENCH = [
    "Livraison très en retard, colis abîmé",
    "livraison tres lente et colis abime",
    "Le colis est arrivé en retard, livraison ratée",
    "colis arrive avec une semaine de retard",
    "Livraison en retard encore une fois, colis perdu",
    "retard de livraison, le colis a mis dix jours",
    "Facture erronée, le montant est faux",
    "facture erronee avec un montant double",
    "Montant de la facture incorrect, prélèvement en double",
    "la facture affiche un montant faux, prelevement refusé",
    "Erreur de facture, montant prélevé deux fois",
    "facture fausse et montant trop élevé",
    "retard",
]
FRENCH_STOP = ["le", "la", "les", "en", "est", "de", "et", "une", "un", "avec", "très", "a", "ce"]


def test_accents_are_folded_and_other_languages_stop_words_can_be_given():
    result = themes_find(FRENCH, stop_words=FRENCH_STOP, max_themes=2)
    assert len(result.themes) == 2
    delivery, billing = result.assignments[:6], result.assignments[6:12]
    assert len(set(delivery)) == 1 and len(set(billing)) == 1 and delivery[0] != billing[0]
    terms = {w for theme in result.themes for term in theme.terms for w in term.split()}
    assert {"livraison", "colis", "facture", "montant"} <= terms
    assert all(term.isascii() for theme in result.themes for term in theme.terms)
    # Without the French stop words, "en" stays and makes a pair.
    plain = themes_find(FRENCH, max_themes=2)
    assert "en retard" in {term for theme in plain.themes for term in theme.terms}
    assert "en retard" not in {term for theme in result.themes for term in theme.terms}
    # A one-word answer is too little to place, unless asked.
    assert result.assignments[12] == NO_THEME
    loose = themes_find(FRENCH, stop_words=FRENCH_STOP, max_themes=2, min_words=1)
    assert loose.assignments[12] == loose.assignments[0]


def test_a_non_string_answer_is_refused_naming_its_position():
    with pytest.raises(InvalidInputError) as caught:
        themes_find(["late again", "fine", None, 3])
    assert caught.value.name == "texts" and caught.value.example == 2 and caught.value.count == 2
    assert "position 2" in str(caught.value) and "None" in str(caught.value)
    with pytest.raises(InvalidInputError, match="not one string"):
        themes_find("late again")
    with pytest.raises(InvalidInputError, match="max_themes"):
        themes_find(["late"], min_themes=5, max_themes=3)
    with pytest.raises(InvalidInputError, match="min_words"):
        themes_find(["late"], min_words=0)


@pytest.fixture
def themed() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "theme": [0, 0, 1, NO_THEME, 1, 0],
            "answered_at": pd.to_datetime(
                [
                    "2025-01-05T10:00Z",
                    "2025-01-31T23:30Z",  # 00:30 on 1 February in Paris
                    "2025-01-20T00:00Z",
                    "2025-03-02T00:00Z",
                    "2025-03-03T00:00Z",
                    "2025-03-04T00:00Z",
                ]
            ),
            "account": ["a", "b", "a", "a", "a", "b"],
        }
    )


def test_the_trend_counts_each_theme_per_month_with_its_share(themed):
    out = themes_trend(themed, tz="Europe/Paris")
    assert list(out.columns) == ["month", "theme", "count", "answers", "share"]
    assert (
        out["month"].dt.strftime("%Y-%m").tolist()
        == ["2025-01"] * 2 + ["2025-02"] * 2 + ["2025-03"] * 2
    )
    assert out["theme"].tolist() == [0, 1, 0, 1, 0, 1]
    # January: 0, 1 of 2 answers; February: the Paris-midnight one; March: 0, 1, and no theme.
    assert out["count"].tolist() == [1, 1, 1, 0, 1, 1]
    assert out["answers"].tolist() == [2, 2, 1, 1, 3, 3]
    assert out["share"].tolist() == pytest.approx([0.5, 0.5, 1.0, 0.0, 1 / 3, 1 / 3])
    # In UTC the late answer is January's, and February has no answers at all.
    utc = themes_trend(themed)
    assert utc["count"].tolist() == [2, 1, 0, 0, 1, 1]
    assert utc["answers"].tolist() == [3, 3, 0, 0, 3, 3]
    assert np.isnan(utc["share"].iloc[2])


def test_the_trend_per_account(themed):
    out = themes_trend(themed, by="account", tz="Europe/Paris")
    assert list(out.columns) == ["account", "month", "theme", "count", "answers", "share"]
    a = out[out["account"] == "a"]
    assert a["count"].tolist() == [1, 1, 0, 0, 0, 1]
    assert a["answers"].tolist() == [2, 2, 0, 0, 2, 2]
    b = out[out["account"] == "b"]
    assert b["count"].tolist() == [0, 0, 1, 0, 1, 0]
    assert b["share"].tolist()[2:] == [1.0, 0.0, 1.0, 0.0]


def test_the_trend_refuses_bad_rows_naming_them(themed):
    assert themes_trend(themed.iloc[:0]).empty
    bad = themed.astype({"theme": object})
    bad.loc[4, "theme"] = 1.5
    with pytest.raises(InvalidInputError, match="position 4") as caught:
        themes_trend(bad)
    assert caught.value.name == "theme"
    undated = themed.astype({"answered_at": object})
    undated.loc[1, "answered_at"] = None
    with pytest.raises(InvalidInputError, match="position 1 has no date"):
        themes_trend(undated)
    dates = themed.assign(answered_at=themed["answered_at"].dt.tz_localize(None))
    assert themes_trend(dates)["count"].tolist() == [2, 1, 0, 0, 1, 1]
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        themes_trend(dates, tz="Europe/Paris")
    with pytest.raises(InvalidInputError, match="not a column"):
        themes_trend(themed, by="owner")
