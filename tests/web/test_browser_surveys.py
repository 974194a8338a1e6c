"""The survey acceptance scenario in a real browser (Chromium, Playwright, a live server, a real
SMTP server on loopback): a manager makes an NPS survey and sends it to a customer from its
page; the sender hands the invitation to the SMTP server; the link taken from the email the
server received is answered in a fresh browser (no login) with a 3, a detractor. The answer is
on the customer's timeline, the survey's NPS goes from no answers to -100 with its interval,
its owner has exactly one follow-up task (also after the worker ran the built-in detractor
playbook), and the same link submitted again, tampered with or expired is refused. Screenshots are
kept in var/test/screenshots/surveys/."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone

from tenure.users.models import Role
from tests.factories import PASSWORD, make_customer, make_user
from tests.mail.conftest import grant, smtp, smtp_server  # noqa: F401  (the fixtures)
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots" / "surveys"
QUESTION = "How likely are you to recommend Acme to a friend?"


def _the_worker_runs() -> None:
    """What the worker does between two clicks: the triggers, the due steps, the sender."""
    from tenure.events.consumers import consumer_drain
    from tenure.mail.sending import mail_send_due
    from tenure.playbooks.advance import enrollments_advance
    from tenure.playbooks.triggers import TRIGGERS

    consumer_drain(TRIGGERS)
    enrollments_advance()
    mail_send_due()


@pytest.mark.browser
def test_a_survey_link_from_the_inbox_is_answered_once_and_moves_the_nps(
    live_server,
    browser_page,  # noqa: F811
    smtp,  # noqa: F811
    settings,
):
    from playwright.sync_api import expect

    from tenure.events.consumers import consumer_position
    from tenure.feedback.models import Survey, SurveyInvitation, SurveyResponse
    from tenure.mail.models import Message, MessageStatus
    from tenure.playbooks.builtin import playbooks_builtin_ensure
    from tenure.playbooks.models import Playbook, StepRun
    from tenure.playbooks.services import playbook_enable
    from tenure.playbooks.triggers import TRIGGERS
    from tenure.surveys.answering import follow_up_key
    from tenure.surveys.sending import survey_send, survey_url
    from tenure.todos.models import Task

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    cache.clear()  # the answer page's rate limit counts in the cache
    settings.BASE_URL = live_server.url  # the links in emails point at this server
    settings.MAIL_QUIET_HOURS = ""  # the real clock may be in the customer's night
    consumer_position(TRIGGERS)  # the triggers follow from here, as on a running install
    playbooks_builtin_ensure()
    detractors = Playbook.objects.get(builtin="complaint_follow_up")
    playbook_enable(by=None, playbook_id=detractors.pk)  # it claims the same task: still one
    make_user(username="mia", role=Role.MANAGER, first_name="Mia", last_name="Manager")
    otto = make_user(username="otto", role=Role.SUCCESS_MANAGER, first_name="Otto")
    grace = make_customer(external_id="C-100", first_name="Grace", last_name="Hopper",
                          email="grace@navy.example", owner=otto)  # fmt: skip
    grant(grace)  # consent to marketing emails: a survey is one
    alan = make_customer(external_id="C-200", first_name="Alan", last_name="Turing",
                         email="alan@bletchley.example")  # fmt: skip
    grant(alan)

    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def shot(where, name: str) -> None:
        where.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)

    # The manager makes the survey, then sends it to Grace from its page.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Surveys").click()
    form = page.locator("#survey-form")
    form.get_by_label("Name").fill("After delivery")
    form.get_by_label("Kind").select_option("nps")
    form.get_by_label("Question", exact=True).fill(QUESTION)
    form.get_by_label("Follow-up question (optional, free text)").fill("What would make it a 10?")
    form.get_by_role("button", name="Save survey").click()
    expect(page.get_by_role("heading", name="After delivery")).to_be_visible()
    expect(page.locator("#survey-score")).to_have_text("No answers yet")
    send = page.locator("#survey-send-form")
    send.get_by_label("Or to customers by id (separated by commas)").fill(str(grace.pk))
    send.get_by_role("button", name="Send survey").click()
    expect(page.get_by_text("After delivery: 1 invited.")).to_be_visible()
    expect(page.locator("#send-table tbody tr")).to_have_count(1)
    shot(page, "01-sent")

    # The worker hands the invitation to the SMTP server; the link is in what it received.
    _the_worker_runs()
    (received,) = smtp.messages
    assert received["To"] == "grace@navy.example"
    text = received.get_body(("plain",)).get_content()
    assert QUESTION in text
    found = re.search(rf"{re.escape(live_server.url)}/s/[^/\s]+/", text)
    assert found is not None, text
    link = found.group(0)

    # Grace opens it in her own browser: no session, no login, nothing of hers on the page.
    browser = page.context.browser
    assert browser is not None
    hers = browser.new_context(viewport={"width": 375, "height": 812})
    try:
        answer_page = hers.new_page()
        answer_page.on("pageerror", lambda error: errors.append(str(error)))
        answer_page.goto(link)
        expect(answer_page.get_by_role("heading", name=QUESTION)).to_be_visible()
        assert "Grace" not in answer_page.content() and "navy.example" not in answer_page.content()
        # The same link open in a second tab, to be sent after the first answer.
        later_tab = hers.new_page()
        later_tab.goto(link)
        expect(later_tab.get_by_role("heading", name=QUESTION)).to_be_visible()

        answer_page.get_by_role("radio", name="3", exact=True).check()
        answer_page.get_by_label("What would make it a 10?").fill("Delivery took three weeks.")
        shot(answer_page, "02-answering")
        answer_page.get_by_role("button", name="Send my answer").click()
        expect(answer_page.get_by_role("heading", name="Thank you")).to_be_visible()
        shot(answer_page, "03-thank-you")

        # The second submission of the same link is refused, and so is opening it again.
        later_tab.get_by_role("radio", name="10 (Extremely likely)").check()
        later_tab.get_by_role("button", name="Send my answer").click()
        expect(later_tab.get_by_role("heading", name="Already answered")).to_be_visible()
        shot(later_tab, "04-already-answered")
        again = answer_page.goto(link)
        assert again is not None and again.status == 409
        expect(answer_page.get_by_role("heading", name="Already answered")).to_be_visible()

        # A link with one character changed is no link.
        token = link.rstrip("/").rsplit("/", 1)[1]
        tampered = ("A" if token[0] != "A" else "B") + token[1:]
        refused = answer_page.goto(f"{live_server.url}/s/{tampered}/")
        assert refused is not None and refused.status == 404
        expect(answer_page.get_by_role("heading", name="This link does not work")).to_be_visible()
        shot(answer_page, "05-tampered")

        # Alan was asked 31 days ago: his link, valid 30 days, has expired.
        survey = Survey.objects.get(name="After delivery")
        month_ago = timezone.now() - timedelta(days=31)
        survey_send(by=None, survey_id=survey.pk, customer_ids=[alan.pk], now=month_ago)
        expired = answer_page.goto(survey_url(SurveyInvitation.objects.get(customer=alan).pk))
        assert expired is not None and expired.status == 410
        expect(answer_page.get_by_role("heading", name="This survey has closed")).to_be_visible()
        assert "Alan" not in answer_page.content()
    finally:
        hers.close()

    answer = SurveyResponse.objects.get()
    assert (answer.customer_id, answer.kind, answer.score, answer.channel) == (
        grace.pk, "nps", 3, "email-link"
    )  # fmt: skip
    # The worker runs the triggers: the built-in detractor playbook claims the same task.
    _the_worker_runs()
    (task,) = Task.objects.filter(customer=grace)
    assert (task.owner_id, task.source_key) == (otto.pk, follow_up_key(answer.pk))
    (step,) = StepRun.objects.filter(enrollment__playbook=detractors, enrollment__customer=grace)
    assert (step.kind, step.status) == ("task", "skipped"), step.detail  # the task was there

    # The manager sees the answer on Grace's timeline, beside its one follow-up task.
    page.goto(f"{live_server.url}/customers/{grace.pk}/")
    timeline = page.locator("#timeline-entries")
    entry = timeline.locator(".timeline-entry", has_text="Survey answer")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("NPS 3 out of 10")
    expect(entry).to_contain_text("Detractor")
    expect(entry).to_contain_text("Delivery took three weeks.")
    expect(timeline.locator(".timeline-entry", has_text="Task: Follow up")).to_have_count(1)
    shot(page, "06-timeline")

    # And the survey's NPS moved from no answers to -100, with its interval.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Surveys").click()
    row = page.locator("#survey-table tbody tr", has_text="After delivery")
    expect(row).to_contain_text("-100")
    expect(row).to_contain_text("(95 % interval -100 to 59; 1 answer: few answers, read with care)")
    expect(row).to_contain_text("50 %")  # Grace answered; Alan, invited, did not
    wrap = page.locator("#survey-table").locator("xpath=..")
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth + 1")  # the score wraps, whole
    shot(page, "07-surveys")
    assert len(smtp) == 1  # the refused submissions sent nothing; Alan's expired unsent
    assert Message.objects.get(customer=alan).status == MessageStatus.EXPIRED
    assert errors == []
