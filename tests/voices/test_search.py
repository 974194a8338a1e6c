"""Free-text search over survey comments and voices, on both databases: what both guarantee
(every word of the query as written is found, a text missing one is not, ``-word`` leaves a text
out, newest first among equal texts), a success manager's book, escaped highlights, the page
and the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from tenure.feedback.models import SurveyResponse
from tenure.users.models import Role
from tenure.voices.models import Voice
from tenure.voices.search import _matching, free_text_search, highlight, terms_parse
from tests.api.helpers import Api
from tests.factories import T0, make_customer, make_user

from .helpers import make_voice

pytestmark = pytest.mark.django_db


def _answer(customer, comment, at=T0):
    return SurveyResponse.objects.create(
        customer=customer, kind="nps", score=3, comment=comment, answered_at=at
    )


def _found(user, query, **kwargs):
    return [
        (hit.kind, hit.record.pk) for hit in free_text_search(user=user, query=query, **kwargs).hits
    ]


def test_every_word_must_be_there_and_equal_texts_come_newest_first():
    customer = make_customer()
    older = make_voice(text="The refund was slow", at=T0)
    newer = make_voice(text="The refund was slow", at=T0 + timedelta(days=2))
    make_voice(text="Slow delivery but kind people", at=T0 + timedelta(days=3))
    make_voice(text="Refund came at once", at=T0 + timedelta(days=4))
    answer = _answer(customer, "Your refund process is slow", at=T0 + timedelta(days=1))
    _answer(customer, "")  # no comment: never a result
    found = _found(None, "refund slow")
    assert set(found) == {("voice", older.pk), ("voice", newer.pk), ("answer", answer.pk)}
    assert found.index(("voice", newer.pk)) < found.index(("voice", older.pk))
    assert _found(None, "refund slow", kinds=["answer"]) == [("answer", answer.pk)]
    assert _found(None, "refund -process") == _found(None, "refund -process", kinds=["voice"])
    assert ("answer", answer.pk) not in _found(None, "refund -process")
    assert _found(None, "   ") == [] and _found(None, "-refund") == []


def test_case_does_not_matter_and_pages_follow_each_other():
    for day in range(5):
        make_voice(text=f"DELIVERY number {day}", at=T0 + timedelta(days=day))
    first = free_text_search(user=None, query="delivery", per_page=2)
    second = free_text_search(user=None, query="delivery", page=2, per_page=2)
    third = free_text_search(user=None, query="delivery", page=3, per_page=2)
    texts = [h.record.text for page in (first, second, third) for h in page.hits]
    assert texts == [f"DELIVERY number {day}" for day in (4, 3, 2, 1, 0)]
    assert (first.has_next, second.has_next, third.has_next) == (True, True, False)


def test_a_success_manager_searches_their_book():
    manager = make_user(role=Role.SUCCESS_MANAGER)
    own = make_customer(owner=manager)
    theirs = make_customer(owner=make_user())
    mine = make_voice(customer_id=own.pk, text="Invoice wrong twice")
    make_voice(customer_id=theirs.pk, text="Invoice wrong again")
    make_voice(text="Invoice wrong, says a stranger")
    own_answer = _answer(own, "Invoice wrong")
    _answer(theirs, "Invoice wrong")
    assert set(_found(manager, "invoice wrong")) == {("voice", mine.pk), ("answer", own_answer.pk)}
    assert len(_found(make_user(role=Role.ANALYST), "invoice wrong")) == 5


def test_postgresql_ranks_and_stems():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's full-text search; SQLite matches the words as written")
    dense = make_voice(text="Refund, refund, refund: still no refund", at=T0)
    thin = make_voice(text="A refund arrived after a long wait of many weeks", at=T0 + timedelta(1))
    stemmed = make_voice(text="Both refunds were delivered late", at=T0 + timedelta(2))
    found = _found(None, "refund")
    assert found[0] == ("voice", dense.pk)  # more matches rank higher than newer ones
    assert {("voice", thin.pk), ("voice", stemmed.pk)} <= set(found)
    assert _found(None, '"refunds were delivered"') == [("voice", stemmed.pk)]
    assert ("voice", stemmed.pk) in _found(None, "refunding")  # English stemming


def test_the_gin_indexes_exist_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no GIN index; its search filters the rows by words")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname IN "
            "('voice_text_fts', 'survey_comment_fts') ORDER BY 1"
        )
        assert [row[0] for row in cursor.fetchall()] == ["survey_comment_fts", "voice_text_fts"]
        cursor.execute("SET LOCAL enable_seqscan = off")  # few rows: make the planner show it
    terms = terms_parse("refund")
    voices = _matching(Voice.objects.all(), "text", "refund", terms).explain()
    answers = _matching(SurveyResponse.objects.all(), "comment", "refund", terms).explain()
    assert "voice_text_fts" in voices and "survey_comment_fts" in answers


def test_highlights_are_escaped_and_mark_the_words():
    text = "<script>alert(1)</script> the refunds were slow & late"
    shown = str(highlight(text, terms_parse("refund slow").words))
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert "<mark>refunds</mark>" in shown and "<mark>slow</mark>" in shown
    assert "&amp; late" in shown
    long = "word " * 200 + "refund at the end"
    assert str(highlight(long, ["refund"])).startswith("…")


def test_the_query_grammar():
    terms = terms_parse('"slow refund" -invoice OR late')
    assert terms.words == ("slow", "refund", "late") and terms.excluded == ("invoice",)


def test_the_search_page_and_the_api(client):
    customer = make_customer(first_name="Linus")
    voice = make_voice(customer_id=customer.pk, text="Checkout <em>broke</em> on mobile")
    answer = _answer(customer, "Checkout was confusing")
    client.force_login(make_user(role=Role.ANALYST))
    page = client.get("/feedback/search/", {"q": "checkout"})
    html = page.content.decode()
    assert page.status_code == 200
    assert f"/feedback/voices/{voice.pk}/" in html and f"/customers/{customer.pk}/" in html
    assert "&lt;em&gt;broke&lt;/em&gt;" in html and "<mark>Checkout</mark>" in html
    only = client.get("/feedback/search/", {"q": "checkout", "kind": "answer"}).content.decode()
    assert f"/feedback/voices/{voice.pk}/" not in only and "confusing" in only
    api = Api(client, role=Role.ANALYST)
    found = api.get("/feedback/search", q="checkout")
    assert found.status_code == 200
    items = found.json()["items"]
    assert {(i["kind"], i["id"]) for i in items} == {("voice", voice.pk), ("answer", answer.pk)}
    assert api.get("/feedback/search", q="").status_code == 422
    assert api.get("/feedback/search", q="x", kind="orders").status_code == 422
