"""A themes run on the 500 planted answers stored as survey answers: the stored assignments
match the planted topics (adjusted Rand index >= 0.7); a second run keeps every theme's id, a
name and tags a person gave, writes no assignment twice and drops those of deleted answers; a
merge moves the answers and a later run keeps sending them to the survivor."""

from __future__ import annotations

from collections import Counter

import pytest
from sklearn.metrics import adjusted_rand_score

from tenure.events.models import Event
from tenure.feedback.models import SurveyResponse
from tenure.jobs.chain import nightly_steps
from tenure.jobs.models import Run
from tenure.jobs.runner import run_execute
from tenure.jobs.services import run_start
from tenure.themes.finding import themes_refresh
from tenure.themes.models import Theme, ThemeAssignment, ThemeStatus
from tenure.themes.services import theme_merge, theme_rename, theme_tag
from tenure.themes.tasks import THEMES_RUN
from tests.factories import make_customer, make_user
from tests.themes.helpers import answer, load_planted, make_theme, themes_of

pytestmark = pytest.mark.django_db


def _majority(themes, topics, topic: str) -> int:
    return int(Counter(themes[(topics == topic) & (themes >= 0)]).most_common(1)[0][0])


def test_a_run_finds_the_planted_topics_and_a_second_keeps_ids_names_and_tags():
    ids, topics = load_planted()
    # Through the jobs runner, as the worker and the nightly chain do it.
    run, started = run_start(kind=THEMES_RUN, by=None, queue=False)
    outcome = run_execute(run.pk)
    assert started and outcome["status"] == "done", outcome
    first = outcome["result"]
    assert first["texts"] == 500 and first["new"] == first["found"] and 4 <= first["found"] <= 7
    assert ThemeAssignment.objects.count() == 500  # one per answer, themed or not
    themes = themes_of(ids)
    assert adjusted_rand_score(topics, themes) >= 0.7
    assert Theme.objects.filter(last_seen_run=run, seen_in_last_run=True).count() == first["found"]

    delivery = _majority(themes, topics, "delivery")
    theme_rename(by=None, theme_id=delivery, label="Late deliveries")
    theme_tag(by=None, theme_id=delivery, tag="logistics")
    before = {theme.pk: theme.label for theme in Theme.objects.all()}
    # One answer deleted, one emptied: their assignments go; a new answer is placed.
    SurveyResponse.objects.filter(pk=ids[0]).delete()
    SurveyResponse.objects.filter(pk=ids[1]).update(comment="")
    late = answer(make_customer(), "The parcel arrived late again, the courier lost the tracking")

    second = themes_refresh(seed=0)
    assert second.found == first["found"] and second.matched == first["found"]
    assert second.new == 0 and second.dropped == 2
    assert set(Theme.objects.values_list("pk", flat=True)) == set(before)  # no new theme
    kept = Theme.objects.get(pk=delivery)
    assert kept.label == "Late deliveries" and kept.renamed_by_person
    assert [tag.name for tag in kept.tags.all()] == ["logistics"]
    # The other themes took the run's words again; none was renamed.
    assert all(
        Theme.objects.get(pk=pk).label == label for pk, label in before.items() if pk != delivery
    )
    assert ThemeAssignment.objects.count() == 499  # 500 - 2 + 1: none twice
    assert not ThemeAssignment.objects.filter(source_id__in=ids[:2]).exists()
    assert ThemeAssignment.objects.get(source_id=late.pk).theme_id == delivery
    again = themes_of(ids[2:])
    assert adjusted_rand_score(topics[2:], again) >= 0.7
    assert _majority(again, topics[2:], "delivery") == delivery
    assert Event.objects.filter(kind="themes.found").count() == 2
    assert Event.objects.filter(kind="theme.renamed", subject_id=delivery).count() == 1


def test_a_merge_moves_the_answers_and_later_runs_keep_them_in_the_survivor():
    ids, topics = load_planted()
    themes_refresh(seed=0)
    themes = themes_of(ids)
    support, usability = (
        _majority(themes, topics, "support"),
        _majority(themes, topics, "usability"),
    )
    moved = ThemeAssignment.objects.filter(theme_id=support).count()
    held = ThemeAssignment.objects.filter(theme_id=usability).count()
    manager = make_user()

    survivor = theme_merge(by=manager, theme_id=support, into_id=usability)
    assert survivor.pk == usability
    assert ThemeAssignment.objects.filter(theme_id=usability).count() == moved + held
    assert not ThemeAssignment.objects.filter(theme_id=support).exists()
    merged = Theme.objects.get(pk=support)
    assert merged.status == ThemeStatus.MERGED and merged.merged_into_id == usability
    event = Event.objects.get(kind="theme.merged")
    assert event.subject_id == support and event.data == {"into": usability, "answers": moved}

    count = Theme.objects.count()
    result = themes_refresh(seed=0)
    # The support topic was found again and matched the merged theme: no new theme, and its
    # answers are in the survivor.
    assert result.new == 0 and Theme.objects.count() == count
    assert not ThemeAssignment.objects.filter(theme_id=support).exists()
    again = themes_of(ids)
    assert _majority(again, topics, "support") == usability
    assert Theme.objects.get(pk=support).status == ThemeStatus.MERGED
    assert Theme.objects.get(pk=usability).seen_in_last_run


def _small_corpus(customer) -> list[SurveyResponse]:
    delivery = [
        "parcel arrived late",
        "courier late again",
        "late parcel, slow courier",
        "the courier lost my parcel",
        "parcel late and damaged",
        "slow delivery, late parcel",
    ]
    billing = [
        "invoice charged twice",
        "refund for the double invoice",
        "charged twice, refund me",
        "wrong invoice amount",
        "invoice wrong again, refund",
        "double charged on the invoice",
    ]
    return [
        answer(customer, text, days=n)
        for n, text in enumerate([*delivery, *billing, *delivery, *billing])
    ]  # fmt: skip


def test_a_theme_the_run_does_not_see_keeps_its_answers_and_is_marked():
    customer = make_customer()
    answers = _small_corpus(customer)
    zebras = make_theme("zebras", answers[:2], words={"zebra": 1.0, "stripes": 1.0})
    result = themes_refresh(seed=0)
    assert result.found == 2 and result.new == 2 and result.unseen == 1
    zebras.refresh_from_db()
    assert not zebras.seen_in_last_run
    # Its two answers stay in it although the run placed them in the delivery theme.
    assert set(
        ThemeAssignment.objects.filter(theme=zebras).values_list("source_id", flat=True)
    ) == {answers[0].pk, answers[1].pk}
    assert ThemeAssignment.objects.count() == len(answers)


def test_the_nightly_chain_ends_with_the_themes():
    assert nightly_steps()[-1] == THEMES_RUN


def test_a_run_asked_twice_is_one_run():
    from tenure.themes.services import themes_run_start

    manager = make_user()
    first, started = themes_run_start(by=manager)
    second, again = themes_run_start(by=manager)
    assert started and not again and first.pk == second.pk
    assert Run.objects.filter(kind=THEMES_RUN).count() == 1
