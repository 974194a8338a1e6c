"""The Themes pages: the list with counts, trend and "Find themes now"; a theme with its
answers (escaped), customers and figures; renaming, tagging, merging and hiding through their
forms, a bad name a form error (422); and the CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.utils import timezone

from tenure.cli.main import cli, register_commands
from tenure.jobs.models import Run
from tenure.themes.models import Theme, ThemeAssignment, ThemeStatus
from tenure.themes.tasks import THEMES_RUN
from tenure.users.models import Role
from tests.factories import make_customer, make_user
from tests.themes.helpers import answer, make_theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def themes():
    now = timezone.now()
    ann = make_user(role=Role.SUCCESS_MANAGER)
    mine, theirs = (
        make_customer(owner=ann),
        make_customer(owner=make_user(role=Role.SUCCESS_MANAGER)),
    )
    late = make_theme("late, parcel", [
        answer(mine, "<script>alert(1)</script> parcel late", at=now),
        answer(theirs, "parcel late again", at=now),
    ])  # fmt: skip
    bill = make_theme("invoice", [answer(theirs, "invoice wrong", score=2, at=now)])
    return {"ann": ann, "mine": mine, "theirs": theirs, "late": late, "bill": bill}


def test_the_list_shows_each_theme_with_its_counts_and_the_run_button(client, themes):
    client.force_login(make_user(role=Role.MANAGER))
    html = client.get("/feedback/themes/").content.decode()
    assert "late, parcel" in html and "invoice" in html
    assert 'id="themes-run"' in html and "No run has finished yet" in html
    assert 'aria-label="Answers per month:' in html
    client.force_login(make_user(role=Role.ANALYST))
    html = client.get("/feedback/themes/").content.decode()
    assert "late, parcel" in html and 'id="themes-run"' not in html


def test_a_success_manager_sees_their_books_themes_only(client, themes):
    client.force_login(themes["ann"])
    html = client.get("/feedback/themes/").content.decode()
    assert "late, parcel" in html and "invoice" not in html
    assert "Counted over your customers only" in html
    page = client.get(f"/feedback/themes/{themes['late'].pk}/").content.decode()
    assert "alert(1)" in page and "<script>alert(1)" not in page  # escaped
    assert "parcel late again" not in page  # another book's answer
    assert str(themes["mine"]) in page and str(themes["theirs"]) not in page
    assert client.get(f"/feedback/themes/{themes['bill'].pk}/").status_code == 404
    for action in ("rename", "tag", "hide"):
        url = f"/feedback/themes/{themes['late'].pk}/{action}/"
        assert client.post(url, {"label": "x", "tag": "x"}).status_code == 403


def test_rename_tag_merge_and_hide_through_the_forms(client, themes):
    client.force_login(make_user(role=Role.MANAGER))
    late, bill = themes["late"], themes["bill"]
    base = f"/feedback/themes/{late.pk}"
    assert client.post(f"{base}/rename/", {"label": "Late deliveries"}).status_code == 302
    assert client.post(f"{base}/tag/", {"tag": "logistics"}).status_code == 302
    page = client.get(f"{base}/").content.decode()
    assert "Late deliveries" in page and "logistics" in page
    refused = client.post(f"{base}/rename/", {"label": "   "})
    assert refused.status_code == 422 and "label: give it a name" in refused.content.decode()
    assert client.post(f"{base}/untag/", {"tag": "logistics"}).status_code == 302
    assert client.post(f"{base}/hide/", {"hidden": "1"}).status_code == 302
    assert Theme.objects.get(pk=late.pk).status == ThemeStatus.HIDDEN
    assert "Late deliveries" not in client.get("/feedback/themes/").content.decode()
    assert "Late deliveries" in client.get("/feedback/themes/?hidden=1").content.decode()
    bad = client.post(f"{base}/merge/", {"into": "abc"})
    assert bad.status_code == 422 and "into_id: choose the theme" in bad.content.decode()
    merged = client.post(f"{base}/merge/", {"into": str(bill.pk)})
    assert merged.status_code == 302 and merged["Location"] == f"/feedback/themes/{bill.pk}/"
    assert ThemeAssignment.objects.filter(theme=bill).count() == 3
    # The merged theme's page sends to its survivor.
    assert client.get(f"{base}/")["Location"] == f"/feedback/themes/{bill.pk}/"


def test_find_themes_now_queues_one_run(client, themes):
    client.force_login(make_user(role=Role.ADMIN))
    assert client.post("/feedback/themes/run/").status_code == 302
    assert client.post("/feedback/themes/run/").status_code == 302
    assert Run.objects.filter(kind=THEMES_RUN).count() == 1
    html = client.get("/feedback/themes/", follow=True).content.decode()
    assert "The latest run is queued" in html


def test_the_cli_runs_and_lists_the_themes(themes):
    register_commands()
    runner = CliRunner()
    analyst = make_user(role=Role.ANALYST, username="themes-analyst")
    refused = runner.invoke(cli, ["themes", "run", "--as", analyst.username])
    assert refused.exit_code == 1 and "Refused" in refused.output
    done = runner.invoke(cli, ["themes", "run"])
    assert done.exit_code == 0, done.output
    assert "3 texts read" in done.output
    listed = runner.invoke(cli, ["themes", "list", "--json"])
    assert listed.exit_code == 0 and '"late, parcel"' in listed.output
    assert Run.objects.get(kind=THEMES_RUN).status == "done"
