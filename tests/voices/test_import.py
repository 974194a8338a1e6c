"""`tenure voices import FILE`: a CSV file of reviews imported twice stores each once; a bad
row is refused with its line, column and reason while the others are stored."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from tenure.cli.main import cli, register_commands
from tenure.domain.records import ImportFileError
from tenure.events.models import Event
from tenure.voices.importing import voices_import_csv
from tenure.voices.models import Voice
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

GOOD = (
    "source_kind,source_name,external_id,published_at,text,author,email,url,rating,rating_scale,"
    "customer\n"
    "review_site,Trustpilot,tp-1,2025-03-01T10:00:00+00:00,Fast and friendly,Ann,ann@example.com,"
    "https://trustpilot.com/r/1,5,5,\n"
    'social,Twitter/X,tw-9,2025-03-02,"Slow refund, again",@bob,,,,,C-BOB\n'
)


def test_a_file_imported_twice_stores_each_voice_once():
    ann = make_customer(email="ann@example.com")
    bob = make_customer(external_id="C-BOB")
    first = voices_import_csv(by=None, stream=io.StringIO(GOOD), tz=UTC)
    assert (first.created, first.updated, first.unchanged, first.errors) == (2, 0, 0, [])
    again = voices_import_csv(by=None, stream=io.StringIO(GOOD), tz=UTC)
    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 2, [])
    review = Voice.objects.get(external_id="tp-1")
    assert (review.customer_id, review.rating, review.rating_scale) == (ann.pk, 5, 5)
    tweet = Voice.objects.get(external_id="tw-9")
    assert tweet.customer_id == bob.pk and tweet.author == "@bob"
    assert tweet.published_at == datetime(2025, 3, 2, tzinfo=UTC)  # a date alone: its midnight
    assert Event.objects.filter(kind="voice.recorded").count() == 2


def test_bad_rows_are_refused_by_line_and_column_and_the_rest_stored():
    text = (
        "source_kind,source_name,external_id,published_at,text,url,rating,rating_scale,customer\n"
        "review_site,G2,g-1,2025-03-01,Fine,,,,\n"
        "review_site,G2,g-2,yesterday,Fine,,,,\n"
        "review_site,G2,g-3,2025-03-01,Fine,javascript:alert(1),,,\n"
        "review_site,G2,g-4,2025-03-01,Fine,,7,5,\n"
        "review_site,G2,g-5,2025-03-01,,,,,\n"
        "review_site,G2,g-6,2025-03-01,Fine,,,,NOBODY\n"
        "review_site,G2,g-7,2025-03-01,Fine,,x,5,\n"
    )
    summary = voices_import_csv(by=None, stream=io.StringIO(text), tz=UTC)
    assert summary.created == 1
    where = [(e.line, e.column) for e in summary.errors]
    assert where == [
        (3, "published_at"), (4, "url"), (5, "rating"), (6, "text"), (7, "customer"),
        (8, "rating"),
    ]  # fmt: skip
    assert summary.errors[1].reason == "an http:// or https:// address"
    assert summary.errors[4].reason == "no customer with the id 'NOBODY'"
    assert list(Voice.objects.values_list("external_id", flat=True)) == ["g-1"]


def test_a_file_without_the_required_columns_is_refused_whole():
    with pytest.raises(ImportFileError) as refused:
        voices_import_csv(by=None, stream=io.StringIO("source_name,text\nG2,hi\n"))
    assert "source_kind, published_at" in refused.value.reason


def test_the_command_imports_and_says_what_it_refused(tmp_path):
    register_commands()
    make_customer(external_id="C-BOB")
    good = tmp_path / "reviews.csv"
    good.write_text(GOOD, encoding="utf-8")
    runner = CliRunner()
    done = runner.invoke(cli, ["voices", "import", str(good)])
    assert done.exit_code == 0, done.output
    assert "2 created, 0 updated, 0 unchanged, 0 refused" in done.output
    assert runner.invoke(cli, ["voices", "import", str(good)]).exit_code == 0
    assert Voice.objects.count() == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("source_kind,source_name,published_at,text\nreview_site,G2,nope,Hi\n")
    refused = runner.invoke(cli, ["voices", "import", str(bad)])
    assert refused.exit_code == 1 and "line 2, column published_at" in refused.output
    unreadable = runner.invoke(cli, ["voices", "import", str(tmp_path / "missing.csv")])
    assert unreadable.exit_code == 2
    assert Event.objects.filter(kind="voice.recorded", via="cli").count() == 2
