"""Survey trends by account, person and project on a small hand-worked log (Paris time).

z = 1.959963984540054, z^2 = 3.841458820694125. Intervals quoted in the comments are the
closed forms of tests/analytics/test_feedback_scores.py: one promoter of one (-58.690137, 100),
one passive of one (-79.345069, 79.345069), a promoter and a detractor of two (-81.093759,
81.093759), one satisfied of one (20.654931, 100).
"""

from __future__ import annotations

import math

import ibis
import numpy as np
import pandas as pd
import pytest

from tenure.analytics.errors import InvalidInputError
from tenure.analytics.feedback_trends import survey_trends

Z = 1.959963984540054
TOL = 1e-9
PARIS = "Europe/Paris"
NOW = pd.Timestamp("2025-03-10 12:00", tz=PARIS)


def _at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=PARIS)


# (when, kind, score, account, person, project)
ANSWERS = pd.DataFrame(
    [
        ("2025-01-10 09:00", "nps", 10, "acme", "ann", "web"),
        ("2025-01-15 14:00", "nps", 6, "acme", "bob", "web"),
        # 00:30 on 1 February in Paris is 23:30 on 31 January in UTC: February here.
        ("2025-02-01 00:30", "nps", 9, "acme", "ann", "app"),
        ("2025-02-12 10:00", "nps", 8, "acme", "bob", "app"),
        ("2025-02-20 10:00", "nps", 3, "acme", "ann", "web"),
        ("2025-01-20 10:00", "nps", 9, "beta", "cy", "web"),
        ("2025-03-03 10:00", "nps", 10, "beta", "cy", "web"),
        ("2025-03-05 10:00", "nps", 10, "acme", "ann", "web"),
        ("2025-03-12 10:00", "nps", 0, "acme", "bob", "web"),  # after NOW: not counted
        ("2025-02-05 10:00", "csat", 4, "acme", "ann", None),  # about no project
        ("2025-01-22 10:00", "ces", 6, "beta", "cy", "web"),  # shown by link: no invitation
    ],
    columns=["answered_at", "kind", "score", "account", "person", "project"],
)
ANSWERS["answered_at"] = ANSWERS["answered_at"].map(_at)

# (sent, kind, answered, account, person, project)
INVITATIONS = pd.DataFrame(
    [
        ("2025-01-02", "nps", True, "acme", "ann", "web"),
        ("2025-01-02", "nps", True, "acme", "bob", "web"),
        ("2025-01-28", "nps", True, "acme", "ann", "app"),  # answered in February
        ("2025-02-10", "nps", True, "acme", "bob", "app"),
        ("2025-02-15", "nps", True, "acme", "ann", "web"),
        ("2025-02-15", "nps", False, "acme", "bob", "web"),
        ("2025-01-10", "nps", True, "beta", "cy", "web"),
        ("2025-03-01", "nps", True, "beta", "cy", "web"),
        ("2025-03-01", "nps", True, "acme", "ann", "web"),
        ("2025-03-01", "nps", False, "acme", "bob", "web"),
        ("2025-02-04", "csat", True, "acme", "ann", None),
        ("2025-03-20", "nps", False, "acme", "ann", "web"),  # after NOW: not counted
    ],
    columns=["sent_at", "kind", "answered", "account", "person", "project"],
)
INVITATIONS["sent_at"] = INVITATIONS["sent_at"].map(_at)

ONE_PROMOTER = (-58.69013712455251, 100.0)
ONE_PASSIVE = (-79.34506856227626, 79.34506856227626)
PRO_AND_DET = (-81.09375885315385, 81.09375885315385)
ONE_SATISFIED = (20.654931437723743, 100.0)


def _rows(table: pd.DataFrame, keys: list[str]) -> dict[tuple, dict]:
    out = {}
    for row in table.to_dict("records"):
        out[(*(row[k] for k in keys), row["kind"], row["period"].strftime("%Y-%m-%d"))] = row
    return out


def _same(value: float, expected: float) -> bool:
    if math.isnan(expected):
        return math.isnan(value)
    return abs(value - expected) <= TOL


def test_by_account_per_month_with_response_rates():
    table = survey_trends(ANSWERS, by="account", now=NOW, invitations=INVITATIONS)
    rows = _rows(table, ["account"])
    assert list(rows) == [
        ("acme", "csat", "2025-02-01"),
        ("acme", "nps", "2025-01-01"),
        ("acme", "nps", "2025-02-01"),
        ("acme", "nps", "2025-03-01"),
        ("beta", "ces", "2025-01-01"),
        ("beta", "nps", "2025-01-01"),
        ("beta", "nps", "2025-03-01"),
    ]
    nan = float("nan")
    # acme, January: 10 (promoter), 6 (detractor): NPS 0. Sent in January: ann web, bob web,
    # ann app (answered on 1 February, counted for the month it was sent in): 3 of 3.
    # February: 9, 8, 3: one of each band, NPS 0; a = 1, n = 3: z sqrt(z^2 + 2) / (3 + z^2)
    # = 0.692405; sent: bob app (yes), ann web (yes), bob web (no): 2 of 3. Change 0 - 0.
    # March (partial): 10; bob's 0 on the 12th is after NOW. Sent: ann (yes), bob (no): 1 of 2.
    # beta, January: 9 (1 of 1 sent); no February; March 10 (partial, change unknown: no
    # February); its CES 6 came by link: nothing sent, no rate.
    feb_half = 100 * Z * math.sqrt(Z * Z + 2) / (3 + Z * Z)
    assert feb_half == pytest.approx(69.24047419873768, abs=TOL)
    feb_bounds = (-feb_half, feb_half)
    expected = {
        # key: n, score, low, high, invited, responded, rate, change, partial, mean
        ("acme", "csat", "2025-02-01"): (1, 100.0, *ONE_SATISFIED, 1, 1, 100.0, nan, False, 4.0),
        ("acme", "nps", "2025-01-01"): (2, 0.0, *PRO_AND_DET, 3, 3, 100.0, nan, False, 8.0),
        ("acme", "nps", "2025-02-01"): (3, 0.0, *feb_bounds, 3, 2, 200 / 3, 0.0, False, 20 / 3),
        ("acme", "nps", "2025-03-01"): (1, 100.0, *ONE_PROMOTER, 2, 1, 50.0, 100.0, True, 10.0),
        ("beta", "ces", "2025-01-01"): (1, 100.0, *ONE_SATISFIED, 0, 0, nan, nan, False, 6.0),
        ("beta", "nps", "2025-01-01"): (1, 100.0, *ONE_PROMOTER, 1, 1, 100.0, nan, False, 9.0),
        ("beta", "nps", "2025-03-01"): (1, 100.0, *ONE_PROMOTER, 1, 1, 100.0, nan, True, 10.0),
    }
    for key, values in expected.items():
        n, score, low, high, invited, responded, rate, change, partial, mean = values
        row = rows[key]
        counted = (row["n"], row["invited"], row["responded"], row["partial"])
        assert counted == (n, invited, responded, partial), key
        figures = {"score": score, "low": low, "high": high, "response_rate": rate}
        figures |= {"change": change, "mean": mean}
        for column, value in figures.items():
            assert _same(row[column], value), (key, column, row[column], value)
        assert row["few_answers"]  # every figure here rests on 1 to 3 answers
    feb = rows[("acme", "nps", "2025-02-01")]
    assert (feb["negative"], feb["neutral"], feb["positive"]) == (1, 1, 1)
    # se = sqrt((1/3 + 1/3 - 0) / 3) = sqrt(2/9) = 0.471405.
    assert feb["standard_error"] == pytest.approx(100 * math.sqrt(2 / 9), abs=TOL)
    assert feb["previous_score"] == 0.0


def test_by_person_per_month_with_a_period_of_invitations_only():
    table = survey_trends(ANSWERS, by=["account", "person"], now=NOW, invitations=INVITATIONS)
    nps = table[table["kind"] == "nps"]
    got = {
        (r.person, r.period.strftime("%m")): (r.n, r.score, r.change, r.invited, r.responded)
        for r in nps.itertuples()
    }
    nan = float("nan")
    # ann: Jan 10 -> 100; Feb 9 and 3 -> 0 (change -100); Mar 10 -> 100 (change +100).
    # bob: Jan 6 -> -100; Feb 8 -> 0 (change +100); Mar: one invitation, unanswered, and the
    # 0 after NOW: a row with no answers, response rate 0. cy: Jan 9, Mar 10.
    expected = {
        ("ann", "01"): (1, 100.0, nan, 2, 2),  # sent ann web (Jan 2) and ann app (Jan 28)
        ("ann", "02"): (2, 0.0, -100.0, 1, 1),
        ("ann", "03"): (1, 100.0, 100.0, 1, 1),
        ("bob", "01"): (1, -100.0, nan, 1, 1),
        ("bob", "02"): (1, 0.0, 100.0, 2, 1),
        ("bob", "03"): (0, nan, nan, 1, 0),
        ("cy", "01"): (1, 100.0, nan, 1, 1),
        ("cy", "03"): (1, 100.0, nan, 1, 1),
    }
    assert set(got) == set(expected)
    for key, (n, score, change, invited, responded) in expected.items():
        row = got[key]
        assert row[0] == n and row[3:] == (invited, responded), key
        assert _same(row[1], score) and _same(row[2], change), (key, row)
    ann_feb = nps[(nps["person"] == "ann") & (nps["period"] == "2025-02-01")].iloc[0]
    assert (ann_feb["low"], ann_feb["high"]) == pytest.approx(PRO_AND_DET, abs=TOL)
    bob_feb = nps[(nps["person"] == "bob") & (nps["period"] == "2025-02-01")].iloc[0]
    # One passive: z^2 / (1 + z^2) = 0.793451 either side.
    assert (bob_feb["low"], bob_feb["high"]) == pytest.approx(ONE_PASSIVE, abs=TOL)
    assert bob_feb["response_rate"] == 50.0
    bob_mar = nps[(nps["person"] == "bob") & (nps["period"] == "2025-03-01")].iloc[0]
    assert bob_mar["response_rate"] == 0.0 and bob_mar["partial"] and bob_mar["few_answers"]
    assert math.isnan(bob_mar["low"]) and math.isnan(bob_mar["standard_error"])


def test_by_project_leaves_out_answers_about_no_project():
    table = survey_trends(ANSWERS, by="project", now=NOW)
    rows = _rows(table, ["project"])
    assert "invited" not in table.columns and "response_rate" not in table.columns
    # The CSAT answer is about no project: no CSAT row at all.
    assert list(rows) == [
        ("app", "nps", "2025-02-01"),
        ("web", "ces", "2025-01-01"),
        ("web", "nps", "2025-01-01"),
        ("web", "nps", "2025-02-01"),
        ("web", "nps", "2025-03-01"),
    ]
    # app, February: 9 and 8 (the 9 at 00:30 on 1 Feb, Paris): P = 1, M = 1, NPS 50.
    # web, January: 10, 6 (acme), 9 (beta): P = 2, D = 1 of 3, NPS 100/3; February: 3 ->
    # -100 (change -133.33); March: 10 and 10 -> 100 (change +200), partial.
    app = rows[("app", "nps", "2025-02-01")]
    assert (app["n"], app["score"], app["positive"], app["neutral"]) == (2, 50.0, 1, 1)
    # se: sqrt((1/2 + 0 - 1/4) / 2) = 0.353553.
    assert app["standard_error"] == pytest.approx(100 * math.sqrt(1 / 8), abs=TOL)
    jan = rows[("web", "nps", "2025-01-01")]
    assert (jan["n"], jan["positive"], jan["negative"]) == (3, 2, 1)
    assert jan["score"] == pytest.approx(100 / 3, abs=TOL)
    # se: sqrt((2/3 + 1/3 - 1/9) / 3) = sqrt(8/27) = 0.544331.
    assert jan["standard_error"] == pytest.approx(100 * math.sqrt(8 / 27), abs=TOL)
    assert rows[("web", "nps", "2025-02-01")]["change"] == pytest.approx(-100 - 100 / 3)
    march = rows[("web", "nps", "2025-03-01")]
    assert (march["n"], march["score"], march["change"]) == (2, 100.0, 200.0)
    assert march["partial"]
    # Two promoters of two: ((2 - z^2) / (2 + z^2), 1) = (-31.5227, 100).
    assert march["low"] == pytest.approx(100 * (2 - Z * Z) / (2 + Z * Z), abs=TOL)


def test_a_quarter_and_the_whole_base():
    table = survey_trends(ANSWERS, by=[], now=NOW, period="quarter", invitations=INVITATIONS)
    nps = table[table["kind"] == "nps"].iloc[0]
    # Q1 NPS, counted to NOW: 10, 6, 9, 8, 3, 9, 10, 10: P = 5, M = 1, D = 2 of 8:
    # 100 * 3 / 8 = 37.5. Sent by NOW: 10 NPS invitations, 8 answered: 80 %.
    assert (nps["n"], nps["positive"], nps["neutral"], nps["negative"]) == (8, 5, 1, 2)
    assert nps["score"] == 37.5 and nps["partial"]
    assert (nps["invited"], nps["responded"], nps["response_rate"]) == (10, 8, 80.0)
    assert table["kind"].tolist() == ["ces", "csat", "nps"]


def test_weeks_start_on_monday_in_the_business_time_zone():
    table = survey_trends(ANSWERS, by="account", now=NOW, period="week")
    acme = table[(table["account"] == "acme") & (table["kind"] == "nps")]
    weeks = acme["period"].dt.strftime("%Y-%m-%d").tolist()
    # 10 Jan (Fri) -> Mon 6 Jan; 15 Jan -> 13 Jan; Sat 1 Feb 00:30 Paris -> 27 Jan (in UTC
    # it would be Fri 31 Jan, the same week); 12 Feb -> 10 Feb; 20 Feb -> 17 Feb; Wed 5 Mar
    # -> 3 Mar. NOW is Monday 10 March: that week has no acme answer before NOW.
    assert weeks == [
        "2025-01-06",
        "2025-01-13",
        "2025-01-27",
        "2025-02-10",
        "2025-02-17",
        "2025-03-03",
    ]
    assert not acme["partial"].any()
    # The week before 13 Jan (6 Jan) had 100: the change is -100 - 100; 27 Jan follows an
    # empty week (20 Jan): no change.
    changes = acme["change"].tolist()
    assert changes[1] == -200.0 and math.isnan(changes[2])
    later = survey_trends(ANSWERS, by="account", now=_at("2025-03-12 11:00"), period="week")
    bob_week = later[(later["account"] == "acme") & (later["period"] == "2025-03-10")]
    assert bob_week["partial"].tolist() == [True] and bob_week["score"].tolist() == [-100.0]


def test_the_month_follows_the_time_zone_asked_for():
    utc = survey_trends(ANSWERS, by="project", now=NOW, tz="UTC")
    app = utc[utc["project"] == "app"]
    # In UTC the 9 of 00:30 Paris on 1 Feb is January's.
    assert app["period"].dt.strftime("%m").tolist() == ["01", "02"]
    assert app["score"].tolist() == [100.0, 0.0]


def test_an_ibis_table_gives_the_same_trend():
    naive = ANSWERS.assign(answered_at=ANSWERS["answered_at"].dt.tz_localize(None))
    sent = INVITATIONS.assign(sent_at=INVITATIONS["sent_at"].dt.tz_localize(None))
    from_ibis = survey_trends(
        ibis.memtable(naive), by="account", now=NOW, invitations=ibis.memtable(sent)
    )
    from_pandas = survey_trends(ANSWERS, by="account", now=NOW, invitations=INVITATIONS)
    pd.testing.assert_frame_equal(from_ibis, from_pandas, check_dtype=False)


def test_no_answers_at_all():
    empty = ANSWERS.iloc[:0]
    table = survey_trends(empty, by="account", now=NOW)
    assert table.empty and "score" in table.columns
    only_sent = survey_trends(empty, by="account", now=NOW, invitations=INVITATIONS)
    assert (only_sent["n"] == 0).all() and only_sent["score"].isna().all()
    assert only_sent["responded"].sum() == 8 + 1  # 8 NPS and 1 CSAT invitations answered


def _bad(column: str, index: int, value: object) -> pd.DataFrame:
    frame = ANSWERS.copy()
    frame.index = [f"r{i}" for i in range(len(frame))]
    frame[column] = frame[column].astype(object)
    frame.iloc[index, frame.columns.get_loc(column)] = value
    return frame


@pytest.mark.parametrize(
    ("column", "index", "value", "words"),
    [
        ("score", 3, 11, "has 11: nps answers are whole numbers from 0 to 10"),
        ("score", 9, 0, "has 0: csat answers are whole numbers from 1 to 5"),
        ("score", 10, 8, "has 8: ces answers are whole numbers from 1 to 7"),
        ("score", 2, 7.5, "has 7.5: nps answers are whole numbers from 0 to 10"),
        ("score", 4, "ten", "has 'ten': nps answers are whole numbers from 0 to 10"),
        ("score", 5, None, "has None: nps answers are whole numbers from 0 to 10"),
        ("kind", 6, "promoter", "has 'promoter': a kind is nps, csat or ces"),
        ("answered_at", 7, pd.NaT, "has no moment"),
    ],
)
def test_a_bad_row_is_named_with_its_field(column, index, value, words):
    with pytest.raises(InvalidInputError) as caught:
        survey_trends(_bad(column, index, value), by="account", now=NOW)
    assert caught.value.name == column
    assert caught.value.reason == f"row 'r{index}' {words}"
    assert caught.value.example == index and caught.value.count == 1


def test_bad_invitations_and_arguments():
    sent = INVITATIONS.assign(answered=INVITATIONS["answered"].astype(object))
    sent.loc[4, "answered"] = "yes"
    with pytest.raises(InvalidInputError) as caught:
        survey_trends(ANSWERS, by="account", now=NOW, invitations=sent)
    assert (caught.value.name, caught.value.example) == ("answered", 4)
    naive = ANSWERS.assign(answered_at=ANSWERS["answered_at"].dt.tz_localize(None))
    cases = [
        (dict(answers=naive, by="account", now=NOW), "answered_at"),
        (dict(answers=ANSWERS, by="account", now=pd.Timestamp("2025-03-10")), "now"),
        (dict(answers=ANSWERS, by="account", now=NOW, period="year"), "period"),
        (dict(answers=ANSWERS, by="segment", now=NOW), "segment"),
        (dict(answers=ANSWERS, by="score", now=NOW), "by"),
        (dict(answers=ANSWERS, by="account", now=NOW, confidence=95), "confidence"),
        (dict(answers=ANSWERS.to_dict(), by="account", now=NOW), "answers"),
    ]
    for kwargs, name in cases:
        with pytest.raises(InvalidInputError) as caught:
            survey_trends(**kwargs)
        assert caught.value.name == name, kwargs


def test_a_bad_row_of_an_ibis_table_is_shown():
    bad = ANSWERS.assign(answered_at=ANSWERS["answered_at"].dt.tz_localize(None))
    bad.loc[3, "score"] = 12
    with pytest.raises(InvalidInputError) as caught:
        survey_trends(ibis.memtable(bad), by="account", now=NOW)
    assert caught.value.name == "score" and "'score': 12" in caught.value.reason


def test_the_interval_arrays_hold_every_score():
    table = survey_trends(ANSWERS, by=["account", "person", "project"], now=NOW)
    answered = table[table["n"] > 0]
    assert np.all(answered["low"] <= answered["score"])
    assert np.all(answered["score"] <= answered["high"])
