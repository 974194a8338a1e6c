"""The public answer page (no login, CSRF, refusals in words, rate limit, nothing of the
customer), the Surveys pages, the answer on the customer's timeline and `tenure survey`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from tenure.cli.main import cli, register_commands
from tenure.feedback.models import Survey, SurveyInvitation, SurveyResponse
from tenure.mail.models import Message
from tenure.segments.services import segment_create, segment_members_add
from tenure.surveys.sending import survey_send
from tenure.todos.models import Task
from tenure.users.models import Role
from tests.factories import make_customer, make_user

from .survey_helpers import consenting, make_survey, token_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()  # the rate limit's windows live in the cache
    yield
    cache.clear()


def _invited(survey=None, **customer):
    survey = survey or make_survey(follow_up="What would make it a 10?")
    person = consenting(first_name="Grace", last_name="Hopperina", **customer)
    survey_send(by=None, survey_id=survey.pk, customer_ids=[person.pk], now=timezone.now())
    invitation = SurveyInvitation.objects.get(customer=person, survey=survey)
    return person, invitation, f"/s/{token_of(invitation.pk)}/"


def test_the_page_asks_the_question_with_a_labelled_scale_and_no_customer_data():
    person, _, url = _invited()
    response = Client().get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "How likely are you to recommend us to a friend?" in html
    assert "What would make it a 10?" in html
    assert html.count('type="radio" name="score"') == 11
    assert "(Not at all likely)" in html and "(Extremely likely)" in html
    assert "csrfmiddlewaretoken" in html and "<legend>" in html
    for private in (person.first_name, person.last_name, person.email, person.external_id):
        assert private not in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_an_answer_posted_with_csrf_is_recorded_and_a_second_is_refused():
    owner = make_user()
    person, invitation, url = _invited(owner=owner)
    browser = Client(enforce_csrf_checks=True)
    browser.get(url)
    csrf = browser.cookies["csrftoken"].value
    assert Client(enforce_csrf_checks=True).post(url, {"score": "4"}).status_code == 403
    thanks = browser.post(url, {"score": "4", "comment": "Slow", "csrfmiddlewaretoken": csrf})
    assert thanks.status_code == 200 and "Thank you" in thanks.content.decode()
    answer = SurveyResponse.objects.get()
    assert (answer.score, answer.comment, answer.channel, answer.invitation_id) == (
        4,
        "Slow",
        "email-link",
        invitation.pk,
    )
    again = browser.post(url, {"score": "10", "csrfmiddlewaretoken": csrf})
    assert again.status_code == 409 and "Already answered" in again.content.decode()
    assert browser.get(url).status_code == 409
    assert SurveyResponse.objects.count() == 1
    assert Task.objects.filter(owner=owner, customer=person).count() == 1


def test_no_score_keeps_the_page_with_the_reason():
    _, _, url = _invited()
    response = Client().post(url, {"comment": "kept"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "choose a score from 0 to 10" in html and ">kept</textarea>" in html
    assert not SurveyResponse.objects.exists()


def test_tampered_and_expired_links_get_a_page_in_words(settings):
    _, invitation, url = _invited()
    tampered = url[:-3] + ("x" if url[-3] != "x" else "y") + url[-2:]
    for bad in (tampered, "/s/nonsense/"):
        response = Client().get(bad)
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()
        assert "Traceback" not in response.content.decode()
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        sent_at=timezone.now() - timedelta(days=40), expires_at=timezone.now() - timedelta(days=1)
    )
    expired = Client().post(url, {"score": "9"})
    assert expired.status_code == 410 and "closed" in expired.content.decode()
    assert not SurveyResponse.objects.exists()


def test_requests_past_the_limit_get_429(settings):
    settings.SURVEY_RATE_PER_LINK = 3
    _, _, url = _invited()
    answers = [Client().get(url).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = Client().post(url, {"score": "9"})
    assert refused.status_code == 429 and "Too many attempts" in refused.content.decode()
    assert not SurveyResponse.objects.exists()
    # Per address: another link from the same address is refused past its own limit.
    settings.SURVEY_RATE_PER_ADDRESS = 6
    _, _, other = _invited(survey=make_survey(name="CSAT", kind="csat", question="Happy?"))
    assert [Client().get(other).status_code for _ in range(2)] == [200, 429]


def test_the_surveys_pages_for_managers_and_analysts(client):
    manager = make_user(role=Role.MANAGER)
    client.force_login(manager)
    form = {"name": "After delivery", "kind": "csat", "question": "How satisfied?"}
    made = client.post("/surveys/", {**form, "valid_days": "14"})
    survey = Survey.objects.get(name="After delivery")
    assert made.status_code == 302 and made["Location"] == f"/surveys/{survey.pk}/"
    assert (survey.kind, survey.valid_days, survey.created_by) == ("csat", 14, manager)
    people = [consenting(), consenting(), make_customer()]
    segment = segment_create(by=None, name="Picked", kind="static")
    segment_members_add(by=None, segment_id=segment.pk, customer_ids=[p.pk for p in people],
                        now=timezone.now())  # fmt: skip
    sent = client.post(f"/surveys/{survey.pk}/send/", {"segment": segment.slug}, follow=True)
    html = sent.content.decode()
    assert "2 invited" in html and "1 not invited: no consent to marketing emails" in html
    assert Message.objects.count() == 2
    invitation = SurveyInvitation.objects.first()
    Client().post(f"/s/{token_of(invitation.pk)}/", {"score": "5"})
    page = client.get(f"/surveys/{survey.pk}/").content.decode()
    assert "50 %" in page and "1 of 2 invited" in page
    listing = client.get("/surveys/").content.decode()
    assert "After delivery" in listing and "95 % interval" in listing
    analyst = make_user(role=Role.ANALYST)
    client.force_login(analyst)
    assert "After delivery" in client.get("/surveys/").content.decode()
    assert "survey-send-form" not in client.get(f"/surveys/{survey.pk}/").content.decode()
    assert client.post("/surveys/", {**form, "name": "x"}).status_code == 403
    assert client.post(f"/surveys/{survey.pk}/send/", {"customers": "1"}).status_code == 403


def test_the_answer_is_on_the_customers_timeline(client):
    client.force_login(make_user(role=Role.MANAGER))
    survey = make_survey(name="Effort", kind="ces", question="Was it easy to get help?")
    person, _, url = _invited(survey=survey)
    Client().post(url, {"score": "6"})
    html = client.get(f"/customers/{person.pk}/").content.decode()
    assert "CES 6" in html and "out of 7" in html and "Easy" in html and "email-link" in html


def test_the_cli_sends_to_customers_and_says_who_was_not_invited():
    register_commands()
    survey = make_survey(name="Quarterly NPS")
    fine, silent = consenting(), make_customer()
    runner = CliRunner()
    ids = f"{fine.pk},{silent.pk}"
    sent = runner.invoke(cli, ["survey", "send", "--survey", "Quarterly NPS", "--customers", ids])
    assert sent.exit_code == 0, sent.output
    assert "1 invited; 1 not invited: no consent to marketing emails" in sent.output
    again = runner.invoke(cli, ["survey", "send", "--survey", "Quarterly NPS", "--customers", ids])
    assert "0 invited; 1 invited before (not again)" in again.output
    assert SurveyInvitation.objects.filter(survey=survey).count() == 1
    both = runner.invoke(cli, ["survey", "send", "--survey", "Quarterly NPS"])
    assert both.exit_code == 2
    unknown = runner.invoke(cli, ["survey", "send", "--survey", "Nope", "--customers", "1"])
    assert unknown.exit_code == 2 and "no survey 'Nope'" in unknown.output
    listed = runner.invoke(cli, ["survey", "list", "--json"])
    assert '"invited": 1' in listed.output and '"answered": 0' in listed.output
    analyst = make_user(role=Role.ANALYST, username="ann")
    refused = runner.invoke(
        cli, ["survey", "send", "--survey", "Quarterly NPS", "--customers", ids, "--as", "ann"]
    )
    assert refused.exit_code == 1 and "Refused" in refused.output
    assert analyst.pk
