"""Curating themes: rename, merge, tag and untag, hide and show, each by admins and managers
only, with its history and event; bad input refused naming the field; and the text sources'
registry and contract."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.exceptions import ValidationError

from tenure.access import AccessDenied
from tenure.events.models import Event
from tenure.history.selectors import history_of
from tenure.themes.models import Theme, ThemeAssignment, ThemeStatus, ThemeTag
from tenure.themes.services import (
    theme_hide,
    theme_merge,
    theme_rename,
    theme_tag,
    theme_untag,
)
from tenure.themes.sources import (
    SURVEY,
    VOICE,
    TextItem,
    register_text_source,
    text_source,
    texts_read,
)
from tenure.users.models import Role
from tests.factories import make_account, make_customer, make_user
from tests.themes.helpers import answer, make_theme
from tests.voices.helpers import make_voice

pytestmark = pytest.mark.django_db


@pytest.fixture
def two():
    customer = make_customer()
    late = make_theme("late, parcel", [answer(customer, "parcel late"), answer(customer, "late")])
    bill = make_theme("invoice", [answer(customer, "invoice wrong", score=2)])
    return late, bill


@pytest.mark.parametrize("role", [Role.ANALYST, Role.SUCCESS_MANAGER])
def test_only_admins_and_managers_curate(two, role):
    late, bill = two
    someone = make_user(role=role)
    for write in (
        lambda: theme_rename(by=someone, theme_id=late.pk, label="Late"),
        lambda: theme_merge(by=someone, theme_id=late.pk, into_id=bill.pk),
        lambda: theme_tag(by=someone, theme_id=late.pk, tag="ops"),
        lambda: theme_untag(by=someone, theme_id=late.pk, tag="ops"),
        lambda: theme_hide(by=someone, theme_id=late.pk),
    ):
        with pytest.raises(AccessDenied):
            write()
    late.refresh_from_db()
    assert late.label == "late, parcel" and late.status == ThemeStatus.ACTIVE
    assert not Event.objects.filter(kind__startswith="theme.").exists()


def test_a_rename_is_kept_with_its_history_and_event(two):
    late, _ = two
    admin = make_user(role=Role.ADMIN)
    renamed = theme_rename(by=admin, theme_id=late.pk, label="  Late   deliveries ")
    assert renamed.label == "Late deliveries" and renamed.renamed_by_person
    entry = history_of(record=renamed, limit=5)[0]
    assert entry.changes["label"] == ["late, parcel", "Late deliveries"]
    event = Event.objects.get(kind="theme.renamed")
    assert event.subject == "theme" and event.subject_id == late.pk and event.customer_id is None
    # The same name again writes nothing more.
    theme_rename(by=admin, theme_id=late.pk, label="Late deliveries")
    assert Event.objects.filter(kind="theme.renamed").count() == 1


def test_bad_names_and_unknown_themes_are_refused_naming_the_field(two):
    late, _ = two
    cases = [
        (lambda: theme_rename(by=None, theme_id=late.pk, label="   "), "label", "give it a name"),
        (lambda: theme_rename(by=None, theme_id=late.pk, label="x" * 121), "label", "longer"),
        (lambda: theme_rename(by=None, theme_id=late.pk, label="a\x00b"), "label", "NUL"),
        (lambda: theme_rename(by=None, theme_id=999_999, label="A"), "theme_id", "no theme"),
        (lambda: theme_tag(by=None, theme_id=late.pk, tag="t" * 61), "tag", "longer"),
        (lambda: theme_merge(by=None, theme_id=late.pk, into_id=late.pk), "into_id", "itself"),
        (lambda: theme_merge(by=None, theme_id=late.pk, into_id=999_999), "into_id", "no theme"),
    ]
    for write, field, words in cases:
        with pytest.raises(ValidationError) as caught:
            write()
        assert words in " ".join(caught.value.message_dict[field]), field
    assert Theme.objects.get(pk=late.pk).label == "late, parcel"


def test_a_merge_moves_answers_and_tags_and_redirects_earlier_merges(two):
    late, bill = two
    old = make_theme("old parcels", [answer(make_customer(), "old parcel late")])
    theme_tag(by=None, theme_id=late.pk, tag="Logistics")
    theme_merge(by=None, theme_id=old.pk, into_id=late.pk)
    assert ThemeAssignment.objects.filter(theme=late).count() == 3
    survivor = theme_merge(by=None, theme_id=late.pk, into_id=bill.pk)
    assert survivor == bill
    assert ThemeAssignment.objects.filter(theme=bill).count() == 4
    assert Theme.objects.get(pk=old.pk).merged_into_id == bill.pk  # no chain left behind
    assert [t.name for t in bill.tags.all()] == ["Logistics"]
    # A merged theme is no longer curated, nor merged into.
    with pytest.raises(ValidationError) as caught:
        theme_rename(by=None, theme_id=late.pk, label="Back")
    assert "was merged into theme" in caught.value.message_dict["theme_id"][0]
    with pytest.raises(ValidationError, match="merged"):
        theme_merge(by=None, theme_id=bill.pk, into_id=late.pk)


def test_tags_are_shared_case_blind_and_come_off(two):
    late, bill = two
    one = theme_tag(by=None, theme_id=late.pk, tag="Q3 review")
    same = theme_tag(by=None, theme_id=bill.pk, tag="q3  REVIEW")
    again = theme_tag(by=None, theme_id=bill.pk, tag="Q3 review")
    assert one == same == again and ThemeTag.objects.count() == 1
    assert set(ThemeTag.objects.get().themes.all()) == {late, bill}
    assert Event.objects.filter(kind="theme.tagged").count() == 2  # the third changed nothing
    assert theme_untag(by=None, theme_id=late.pk, tag="q3 review")
    assert not theme_untag(by=None, theme_id=late.pk, tag="q3 review")
    assert list(late.tags.all()) == []
    assert Event.objects.filter(kind="theme.untagged").count() == 1
    entries = history_of(record=late, limit=10)
    assert any("tags" in entry.changes for entry in entries)


def test_hide_and_show(two):
    late, _ = two
    assert theme_hide(by=None, theme_id=late.pk).status == ThemeStatus.HIDDEN
    assert theme_hide(by=None, theme_id=late.pk).status == ThemeStatus.HIDDEN
    assert theme_hide(by=None, theme_id=late.pk, hidden=False).status == ThemeStatus.ACTIVE
    kinds = list(Event.objects.filter(subject="theme").values_list("kind", flat=True))
    assert sorted(kinds) == ["theme.hidden", "theme.shown"]


def test_the_survey_comments_are_a_registered_source():
    customer = make_customer()
    said = answer(customer, "  parcel late  ")
    answer(customer, "")  # no comment: not a text
    source = text_source(SURVEY)
    assert source is not None and source.title == "Survey answer"
    items = [item for item in texts_read() if item.source == SURVEY]
    assert [(i.source_id, i.customer_id, i.text) for i in items] == [
        (said.pk, customer.pk, "  parcel late  ")
    ]
    assert items[0].at == said.answered_at
    assert texts_read(since=datetime(2099, 1, 1, tzinfo=said.answered_at.tzinfo)) == []
    assert source.fetch is not None and source.fetch([said.pk, 10**9]) == {said.pk: said.comment}


def test_the_voices_are_a_registered_source_with_their_customers_account():
    account = make_account()
    customer = make_customer(account=account)
    review = make_voice(text="Parcel arrived late again", customer_id=customer.pk)
    stray = make_voice(text="Great shop, slow parcel")  # nobody's: themed all the same
    source = text_source(VOICE)
    assert source is not None and source.title == "Comment"
    items = sorted(
        (item for item in texts_read() if item.source == VOICE), key=lambda i: i.source_id
    )
    assert [(i.source_id, i.customer_id, i.account_id, i.text) for i in items] == [
        (review.pk, customer.pk, account.pk, "Parcel arrived late again"),
        (stray.pk, None, None, "Great shop, slow parcel"),
    ]
    assert items[0].at == review.published_at
    assert source.fetch is not None and source.fetch([stray.pk]) == {stray.pk: stray.text}


def test_the_registry_refuses_what_breaks_its_contract():
    def reader(since):
        return []

    with pytest.raises(ValueError, match="1 to 40"):
        register_text_source("bad name", reader)
    with pytest.raises(ValueError, match="registered already"):
        register_text_source(SURVEY, reader)
    try:
        register_text_source("naive_test", lambda since: [
            TextItem("naive_test", 1, None, None, "late", datetime(2025, 1, 1))
        ])  # fmt: skip
        with pytest.raises(ValueError, match="naive"):
            texts_read()
    finally:
        from tenure.themes import sources

        sources._SOURCES.pop("naive_test", None)
