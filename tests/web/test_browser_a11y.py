"""Every main page in a real browser, wide, narrow and dark: axe-core finds no serious or critical
violation, and no page is wider than a 375 px phone.

axe-core is vendored in ``tests/web/vendor/`` (version and licence there) and evaluated in the
page through the DevTools protocol, so the app's Content-Security-Policy stays on. Screenshots of
every page at both sizes, and axe's findings as JSON, are kept in ``var/test/screenshots/``.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from tests.factories import make_user
from tests.web.test_browser import PASSWORD, browser_page  # noqa: F401 (a fixture)

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
# (width, height, colour scheme): wide and narrow in the light theme, wide in the dark one.
VIEWS = {"1440": (1440, 900, "light"), "375": (375, 812, "light"), "1440-dark": (1440, 900, "dark")}
BLOCKING = {"serious", "critical"}
# What reaches past the right edge, to say what to fix.
PAST_THE_EDGE = (Path(__file__).parent / "past_the_edge.js").read_text(encoding="utf-8")


def _screenshots() -> Path:
    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _more_pages(admin: Any) -> dict[str, str]:
    """Pages one level below the navigation, at 1440 and 375 px in the light theme."""
    from tenure.lifecycle.models import CustomerStage
    from tenure.mail.models import Message, Template
    from tenure.playbooks.models import Playbook
    from tenure.segments.services import segment_create
    from tenure.todos.models import Task

    segment = segment_create(
        by=admin,
        name="Red health",
        definition={"when": {"all": [{"fact": "health_band", "op": "is", "value": "red"}]}},
    )
    from tenure.customers.models import Customer
    from tenure.feedback.models import Survey, SurveyInvitation, SurveySend
    from tenure.feedback.tokens import survey_token

    survey = Survey.objects.create(
        name="After delivery", kind="nps", question="How likely are you to recommend us?",
        follow_up="What would make it a 10?",
    )  # fmt: skip
    invitation = SurveyInvitation.objects.create(
        survey=survey, customer=Customer.objects.order_by("pk")[0], key="a11y",
        send=SurveySend.objects.create(survey=survey, key="a11y", created_at=timezone.now()),
        sent_at=timezone.now(), expires_at=timezone.now() + timedelta(days=30),
    )  # fmt: skip
    from tenure.workspace.services import saved_view_create

    view = saved_view_create(
        by=admin,
        list_name="customers",
        name="Red at risk",
        querystring="health=red&stage=at_risk&cols=name,health,stage,clv,churn_risk,owner",
        shared=True,
    )
    pages = {
        # The lists' saved views and chosen columns (the views menu names the open one).
        "customers-view": f"/customers/?{view.querystring}&saved={view.pk}",
        "accounts-health": "/accounts/?health=red&cols=name,health,owner,revenue",
        "segment": f"/segments/{segment.pk}/",
        "segment-edit": f"/segments/{segment.pk}/edit/",
        "survey": f"/surveys/{survey.pk}/",
        "survey-answer": f"/s/{survey_token(invitation.pk)}/",
        # A survey's custom questions, answered in German.
        "survey-answer-de": f"/s/{survey_token(_german_invitation())}/",
        "lifecycle-definition": "/lifecycle/definition/",
        "mail-templates": "/mail/templates/",
        "api-tokens": "/tokens/",
        "password": "/password/",
        "profile": "/profile/",
        # Another member's name and email, as the Team page's Edit opens them.
        "team-member-edit": f"/team/{make_user(role='success_manager', first_name='Sam').pk}/edit/",
    }
    # insight: the customers behind a figure (the last whole month's retained)
    month_end = timezone.localdate().replace(day=1) - timedelta(days=1)
    pages["analytics-drill"] = (
        f"/analytics/drill/?chart=retention&part=retained&start={month_end.replace(day=1)}"
        f"&end={month_end}"
    )
    if stage := CustomerStage.objects.order_by("stage").first():
        pages["lifecycle-stage"] = f"/lifecycle/stages/{stage.stage}/"
    if task := Task.objects.order_by("pk").first():
        pages["task"] = f"/tasks/{task.pk}/"
        _notified(admin, task)
    if playbook := Playbook.objects.order_by("pk").first():
        pages["playbook"] = f"/playbooks/{playbook.pk}/"
    pages |= _bulk_pages(admin)
    if message := Message.objects.order_by("pk").first():
        pages["email-message"] = f"/mail/messages/{message.pk}/"
    if template := Template.objects.order_by("pk").first():
        pages["email-template"] = f"/mail/templates/{template.pk}/"
    # The import wizard's pages (h/importwiz): columns, preview, a finished job, its records.
    from tests.web.test_imports_browser import import_wizard_pages

    pages.update(import_wizard_pages(admin))
    pages.update(_success_pages(admin))
    pages.update(_ideas_pages(admin))
    pages.update(_onboarding_pages(admin))
    pages.update(_report_pages(admin))
    pages.update(_voice_pages(admin))
    pages.update(_loyalty_pages(admin))
    pages.update(_theme_pages())
    return pages


def _loyalty_pages(admin: Any) -> dict[str, str]:
    """The loyalty overview and settings, a customer's points with a lot, a redemption and an
    adjustment, and the adjust form."""
    from decimal import Decimal

    from tenure.customers.models import Customer
    from tenure.loyalty.services import points_adjust, points_earn, points_redeem, program_update

    program_update(by=admin, changes={"enabled": True, "points_per_unit": Decimal("1")})
    customer = Customer.objects.order_by("pk")[0]
    now = timezone.now()
    points_earn(by=admin, customer_id=customer.pk, key="a11y", now=now, points=120)
    points_redeem(by=admin, customer_id=customer.pk, points=30, key="a11y", now=now)
    points_adjust(by=admin, customer_id=customer.pk, points=-5, cause="typo", key="a11y", now=now)
    from tenure.loyalty.tiers import customers_tiers_evaluate, tiers_update

    tiers_update(by=admin, basis="points", period="calendar_year", window_days=365, tiers=[
        {"name": "Silver", "threshold": "100", "multiplier": "1.25",
         "benefits": [{"name": "Free shipping", "description": "on every order"}]},
        {"name": "Gold", "threshold": "1000", "multiplier": "1.5"}])  # fmt: skip
    customers_tiers_evaluate(customer_ids=[customer.pk], now=now)  # Silver, with its benefit
    return {
        "loyalty": "/loyalty/",
        "loyalty-settings": "/loyalty/settings/",
        "loyalty-tiers": "/loyalty/tiers/",
        "customer-points-card": f"/customers/{customer.pk}/",
        "customer-points": f"/customers/{customer.pk}/points/",
        "customer-points-adjust": f"/customers/{customer.pk}/points/adjust/",
    }


def _voice_pages(admin: Any) -> dict[str, str]:
    """Comments and reviews, one matched and rated, a feedback form and its public page, and
    a search that finds it."""
    from tenure.customers.models import Customer
    from tenure.voices.services import feedback_form_save, voice_record

    customer = Customer.objects.order_by("pk")[0]
    voice = voice_record(by=admin, data={
        "source_kind": "review_site", "source_name": "Trustpilot", "external_id": "a11y",
        "text": "Quick delivery and a kind support team", "rating": 4, "rating_scale": 5,
        "published_at": timezone.now(), "customer_id": customer.pk,
        "url": "https://example.com/review/1",
    }).voice  # fmt: skip
    form = feedback_form_save(by=admin, changes={
        "slug": "tell-us", "title": "Tell us", "intro": "We read every message.",
        "rating_question": "How was your visit?", "rating_scale": 5, "ask_email": True,
    })  # fmt: skip
    return {
        "voices": "/feedback/voices/",
        "voice": f"/feedback/voices/{voice.pk}/",
        "feedback-forms": "/feedback/forms/",
        "feedback-form": f"/feedback/forms/{form.pk}/",
        "feedback-form-public": f"/f/{form.slug}/",
        "feedback-search": "/feedback/search/?q=delivery",
    }


def _report_pages(admin: Any) -> dict[str, str]:
    """An account's results report: the hand-worked account of tests/reports/acme.py."""
    from tests.reports.acme import acme_build

    acme = acme_build()
    return {"account-report": f"/accounts/{acme.account.pk}/report/?period=2025-Q3"}


def _ideas_pages(admin: Any) -> dict[str, str]:
    """The ideas board, an idea asked for by two customers, the team's appreciation list and
    an account's form to record one."""
    from decimal import Decimal

    from tenure.customers.models import Account, Customer
    from tenure.ideas.services import idea_create, idea_request_add
    from tenure.success.appreciation import appreciation_record

    now = timezone.now()
    idea = idea_create(by=admin, data={"title": "Dark mode", "description": "Easier at night"},
                       now=now)  # fmt: skip
    idea_create(by=admin, data={"title": "Export to a spreadsheet"}, now=now)
    for customer in Customer.objects.order_by("pk")[:2]:
        idea_request_add(by=admin, idea_id=idea.pk, customer_id=customer.pk,
                         data={"note": "Asked on a call"}, now=now)  # fmt: skip
    account = Account.objects.order_by("pk")[0]
    appreciation_record(by=admin, account_id=account.pk, now=now, data={
        "kind": "gift", "cost": Decimal("35.00"), "description": "Flowers after the renewal",
    })  # fmt: skip
    return {
        "ideas": "/ideas/",
        "idea": f"/ideas/{idea.pk}/",
        "appreciation": "/appreciation/",
        "appreciation-new": f"/accounts/{account.pk}/appreciation/new/",
    }


def _theme_pages() -> dict[str, str]:
    """Two themes of the demo's customers' comments, one renamed and tagged: the list with
    its sparklines and a theme with its answers, customers, trend and curation forms."""
    from tenure.customers.models import Customer
    from tenure.feedback.models import SurveyResponse
    from tenure.themes.models import Theme, ThemeAssignment
    from tenure.themes.services import theme_rename, theme_tag

    themes = [Theme.objects.create(label=label, terms=label.split(", ")) for label in
              ("late, parcel, courier", "invoice, charged, refund")]  # fmt: skip
    for n, customer in enumerate(Customer.objects.order_by("pk")[:12]):
        said = SurveyResponse.objects.create(
            customer=customer, kind="nps", score=n % 11, answered_at=timezone.now()
            - timedelta(days=20 * n), comment=f"The parcel came late, answer {n} & <more>",
        )  # fmt: skip
        ThemeAssignment.objects.create(
            theme=themes[n % 2], source="survey", source_id=said.pk, customer=customer,
            at=said.answered_at, weight=0.5,
        )  # fmt: skip
    theme_rename(by=None, theme_id=themes[0].pk, label="Late deliveries")
    theme_tag(by=None, theme_id=themes[0].pk, tag="logistics")
    return {"themes": "/feedback/themes/", "theme": f"/feedback/themes/{themes[0].pk}/"}


def _german_invitation() -> int:
    """An invitation in German to a survey with a scale, a choice and a free-text question
    ; its id."""
    from tenure.customers.models import Customer
    from tenure.feedback.models import SurveyInvitation, SurveySend
    from tenure.feedback.questions import survey_question_add, survey_translation_save
    from tests.feedback.survey_helpers import make_survey

    survey = make_survey(name="Nach der Lieferung", follow_up="What would make it a 10?")
    survey_question_add(by=None, survey_id=survey.pk, kind="scale", text="How easy was it?",
                        scale_min=1, scale_max=5, low_label="Hard", high_label="Easy")  # fmt: skip
    survey_question_add(by=None, survey_id=survey.pk, kind="choice", text="What do you use?",
                        options=["Reports", "Exports"], multiple=True)  # fmt: skip
    survey_question_add(by=None, survey_id=survey.pk, kind="text", text="Anything else?")
    survey_translation_save(by=None, survey_id=survey.pk, language="de", texts={
        "question": "Wie wahrscheinlich ist es, dass Sie uns empfehlen?",
        "follow_up": "Was würde daraus eine 10 machen?",
        "questions": {"1": {"text": "Wie einfach war es?", "low_label": "Schwer",
                            "high_label": "Einfach"},
                      "2": {"text": "Was nutzen Sie?", "options": ["Berichte", "Exporte"]},
                      "3": {"text": "Sonst noch etwas?"}},
    })  # fmt: skip
    now = timezone.now()
    invitation = SurveyInvitation.objects.create(
        survey=survey, customer=Customer.objects.order_by("pk")[0], key="a11y-de", language="de",
        send=SurveySend.objects.create(survey=survey, key="a11y-de", created_at=now),
        sent_at=now, expires_at=now + timedelta(days=30),
    )  # fmt: skip
    return invitation.pk


def _success_pages(admin: Any) -> dict[str, str]:
    """An account of the admin's with an onboarding late by a month and a success plan with a
    goal and a milestone (h/success): its page's cards, the plan's forms, My day's section."""
    from tenure.success.builtin import templates_builtin_ensure
    from tenure.success.onboarding import onboarding_start
    from tenure.success.services import goal_create, milestone_create, plan_save
    from tests.factories import make_account

    now = timezone.now()
    account = make_account(name="Onboarding Ltd", owner=admin)
    onboarding_start(
        by=admin, template_id=templates_builtin_ensure().pk, account_id=account.pk,
        now=now - timedelta(days=40),
    )  # fmt: skip
    plan_save(
        by=admin, account_id=account.pk, now=now,
        changes={"title": "Grow with us", "next_review": now.date() + timedelta(days=30)},
    )  # fmt: skip
    goal = goal_create(
        by=admin, account_id=account.pk, now=now,
        data={"title": "Adopt reports", "target_date": now.date() + timedelta(days=90),
              "owner_id": admin.pk},
    )  # fmt: skip
    milestone = milestone_create(
        by=admin, goal_id=goal.pk, now=now,
        data={"title": "First report", "due": now.date() + timedelta(days=30)},
    )  # fmt: skip
    return {
        "account-success": f"/accounts/{account.pk}/",
        "my-day-onboardings": "/my-day/",
        "success-plan-edit": f"/accounts/{account.pk}/success-plan/",
        "success-plan-review": f"/accounts/{account.pk}/success-plan/review/",
        "success-goal-new": f"/accounts/{account.pk}/success-plan/goals/new/",
        "success-goal-edit": f"/success-plan/goals/{goal.pk}/",
        "success-milestone-new": f"/success-plan/goals/{goal.pk}/milestones/new/",
        "success-milestone-edit": f"/success-plan/milestones/{milestone.pk}/",
    }


def _onboarding_pages(admin: Any) -> dict[str, str]:
    """The onboardings list (the one _success_pages started, late), the checklists, one
    checklist with its steps, a step's form and a new step's."""
    from tenure.success.builtin import templates_builtin_ensure

    template = templates_builtin_ensure()
    step = template.steps.order_by("position").first()
    assert step is not None
    return {
        "onboardings": "/onboarding/?status=",
        "onboardings-overdue": "/onboarding/?overdue=true",
        "checklists": "/onboarding/templates/",
        "checklist": f"/onboarding/templates/{template.pk}/",
        "checklist-step-new": f"/onboarding/templates/{template.pk}/steps/new/",
        "checklist-step-edit": f"/onboarding/steps/{step.pk}/",
    }


def _bulk_pages(admin: Any) -> dict[str, str]:
    """The trash with an item in it, and a finished bulk change with a refused row."""
    from tenure.customers.services import customer_delete
    from tenure.jobs.models import Run
    from tests.factories import make_customer

    customer_delete(by=admin, customer_id=make_customer(first_name="Deleted").pk)
    run = Run.objects.create(
        kind="bulk.customers", requested_by=admin, status="done", progress_done=3,
        progress_total=3, args={"action": "set"},
        result={"changed": 2, "refused": [{"id": 9, "reason": "no customer with id 9"}]},
    )  # fmt: skip
    accounts_run = Run.objects.create(
        kind="bulk.accounts", requested_by=admin, status="done", progress_done=3,
        progress_total=3, args={"action": "set"},
        result={"changed": 2, "refused": [{"id": 9, "reason": "no account with id 9"}]},
    )  # fmt: skip
    tasks_run = Run.objects.create(
        kind="bulk.tasks", requested_by=admin, status="done", progress_done=3,
        progress_total=3, args={"action": "set"},
        result={"changed": 2, "refused": [{"id": 9, "reason": "no task with id 9"}]},
    )  # fmt: skip
    orders_run = Run.objects.create(
        kind="bulk.orders", requested_by=admin, status="done", progress_done=3,
        progress_total=3, args={"action": "set"},
        result={"changed": 2, "refused": [{"id": 9, "reason": "no order with id 9"}]},
    )  # fmt: skip
    return {
        "trash": "/trash/",
        "bulk-run": f"/customers/bulk/{run.pk}/",
        "accounts-bulk-run": f"/accounts/bulk/{accounts_run.pk}/",
        "tasks-bulk-run": f"/tasks/bulk/{tasks_run.pk}/",
        "orders-bulk-run": f"/orders/bulk/{orders_run.pk}/",
    }


def _notified(admin: Any, task: Any) -> None:
    """A read and an unread notification, so the list and the bell show both."""
    from tenure.notifications.models import Notification

    for n, read_at in enumerate((None, timezone.now())):
        Notification.objects.create(
            recipient=admin, kind="task_assigned", text=f"Task for you: {task.title}",
            url=f"/tasks/{task.pk}/", key=f"a11y:{n}", created_at=timezone.now(), read_at=read_at,
        )  # fmt: skip


def _small_business() -> dict[str, str]:
    """The demo business at 150 customers, its models fitted and its events followed (what
    `tenure demo` does), and the paths of one record of each kind."""
    from tenure.customers.models import Account, Customer
    from tenure.demo.services import demo_load
    from tenure.events.consumers import consumers_drain
    from tenure.insights.services import clv_fit
    from tenure.orders.models import Order

    demo_load(seed=7, today=timezone.now().date(), customers=150, accounts=4)
    clv_fit()
    consumers_drain()
    customer = Customer.objects.filter(orders__isnull=False).order_by("pk").first()
    account = Account.objects.order_by("pk").first()
    order = Order.objects.order_by("pk").first()
    assert customer is not None and account is not None and order is not None
    return {
        "home": "/",
        "customers": "/customers/",
        "customer": f"/customers/{customer.pk}/",
        "accounts": "/accounts/",
        "orders": "/orders/",
        "account": f"/accounts/{account.pk}/",
        "order": f"/orders/{order.pk}/",
        "tasks": "/tasks/",
        "analytics": "/analytics/",
        "lifecycle": "/lifecycle/",
        "at-risk": "/lifecycle/at-risk/",
        "churn-audit": "/lifecycle/churn-audit/",
        "segments": "/segments/",
        "surveys": "/surveys/",
        "survey-trends": "/surveys/trends/?kind=nps&by=account&period=month",
        "single-threaded": "/accounts/single-threaded/",
        "playbooks": "/playbooks/",
        "email-outbox": "/mail/",
        "import": "/imports/",
        "team": "/team/",
        "search": "/search/?q=a",
        "my-day": "/my-day/",
        "notifications": "/notifications/",
    }


def _axe(page: Any) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))"
    )
    return list(result)


@pytest.mark.browser
def test_every_main_page_passes_axe_and_fits_a_phone(live_server, browser_page):  # noqa: F811
    ada = make_user(username="ada", role="admin", first_name="Ada", last_name="Admin")
    pages = _small_business()
    more = _more_pages(ada)

    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url, timeout=60_000)
    page.set_default_timeout(60_000)

    shots = _screenshots()
    findings: dict[str, dict[str, Any]] = {}
    blocking: list[str] = []
    too_wide: list[str] = []
    timings: dict[str, float] = {}
    for view, (width, height, scheme) in VIEWS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.emulate_media(color_scheme=scheme)
        shown = pages if scheme == "dark" else {**pages, **more}
        for name, path in shown.items():
            started = time.perf_counter()
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, (name, path)
            timings[f"{name}@{view}"] = round(time.perf_counter() - started, 2)
            page.wait_for_load_state("networkidle")
            violations = _axe(page)
            scroll_width, inner_width = page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]"
            )
            findings[f"{name}@{view}"] = {
                "path": path,
                "scroll_width": scroll_width,
                "inner_width": inner_width,
                "seconds": timings[f"{name}@{view}"],
                "violations": violations,
            }
            page.screenshot(path=str(shots / f"{name}-{view}.png"), full_page=True)
            for violation in violations:
                if violation["impact"] in BLOCKING:
                    blocking.append(
                        f"{name}@{view}: {violation['impact']} {violation['id']}"
                        f" ({violation['help']}) at {violation['nodes']}"
                    )
            if scroll_width > inner_width:
                findings[f"{name}@{view}"]["past_the_edge"] = page.evaluate(PAST_THE_EDGE)
                too_wide.append(
                    f"{name}@{view}: {scroll_width} px in {inner_width} px,"
                    f" past the edge: {findings[f'{name}@{view}']['past_the_edge']}"
                )
    # Wide enough for every column at 1440 px: no table scrolls sideways there.
    page.set_viewport_size({"width": 1440, "height": 900})
    page.emulate_media(color_scheme="light")
    clipped: list[str] = []
    for name in ("at-risk", "lifecycle", "team", "customers", "accounts", "tasks"):
        page.goto(f"{live_server.url}{pages[name]}")
        clipped += page.evaluate(
            "() => Array.from(document.querySelectorAll('.table-wrap'))"
            ".filter(w => w.checkVisibility() && w.scrollWidth > w.clientWidth + 1)"
            f".map(w => '{name}: ' + (w.querySelector('table').id || 'a table'))"
        )
    # The Team page's role selects show the role they hold.
    page.goto(f"{live_server.url}{pages['team']}")
    role = page.get_by_label("Role of ada")
    box = role.bounding_box()
    assert box is not None and box["width"] >= 110
    assert role.evaluate("s => s.options[s.selectedIndex].text") == "Admin"
    (shots / "axe.json").write_text(json.dumps(findings, indent=2), encoding="utf-8")

    assert blocking == []
    assert too_wide == []
    assert not clipped, " | ".join(clipped)
    assert errors == []


def _luminance(rgb: str) -> float:
    channels = [int(part) / 255 for part in rgb[rgb.index("(") + 1 : -1].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(one: str, other: str) -> float:
    """WCAG 2.2's contrast ratio of two CSS ``rgb(...)`` colours."""
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# The focused element's ring and the colour around it (the first opaque background above it).
FOCUS_RING = """() => {
  const e = document.activeElement, style = getComputedStyle(e);
  let around = "rgb(255, 255, 255)";
  for (let a = e.parentElement; a; a = a.parentElement) {
    const bg = getComputedStyle(a).backgroundColor;
    if (bg.startsWith("rgb(")) { around = bg; break; }
  }
  return {style: style.outlineStyle, width: parseFloat(style.outlineWidth),
          color: style.outlineColor, around: around};
}"""


def _ring_is_visible(page: Any) -> None:
    ring = page.evaluate(FOCUS_RING)
    assert ring["style"] == "solid" and ring["width"] >= 2, ring
    assert _contrast(ring["color"], ring["around"]) >= 3, ring


@pytest.mark.browser
def test_a_phone_and_a_keyboard_reach_every_page(live_server, browser_page):  # noqa: F811
    from playwright.sync_api import expect

    make_user(username="ada", role="admin", first_name="Ada", last_name="Admin")
    page = browser_page
    page.set_viewport_size({"width": 375, "height": 812})

    # The login page passes axe and fits.
    page.goto(f"{live_server.url}/login/")
    assert [v["id"] for v in _axe(page) if v["impact"] in BLOCKING] == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()
    page.goto(f"{live_server.url}/customers/")  # the walk below starts from the customers list
    expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()

    # The first Tab shows the skip link; it moves the focus to the page's content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    _ring_is_visible(page)
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    # The navigation waits behind the menu button, which the keyboard opens and Escape closes.
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.focus()
    _ring_is_visible(page)  # against the dark bar
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    page.screenshot(path=str(_screenshots() / "menu-open-375.png"))
    page.keyboard.press("Tab")
    expect(nav.get_by_role("link", name="Search")).to_be_focused()  # the palette's, first
    _ring_is_visible(page)
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    nav.get_by_role("link", name="Tasks").click()
    expect(page.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()
    expect(nav).to_be_hidden()

    # A control in the page gets the same ring, against the white of its card.
    page.goto(f"{live_server.url}/customers/")
    page.get_by_role("searchbox", name="Search customers").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    _ring_is_visible(page)

    # A missing page: the app's frame, a way back, nothing wider than the phone.
    response = page.goto(f"{live_server.url}/customers/999999/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert [v["id"] for v in _axe(page) if v["impact"] in BLOCKING] == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    page.get_by_role("link", name="Back to tenure").click()
    expect(page).to_have_url(f"{live_server.url}/")  # an admin's home: the dashboard
    page.screenshot(path=str(_screenshots() / "menu-375.png"))

    # The theme: the system's until chosen in the user menu; the choice outlives a reload.
    page.emulate_media(color_scheme="dark")
    assert (
        page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(11, 16, 32)"
    )
    page.locator(".user-menu summary").click()
    theme = page.get_by_role("button", name="Theme")
    expect(theme).to_contain_text("System")
    theme.click()
    expect(theme).to_contain_text("Light")
    page.reload()
    assert page.evaluate("() => document.documentElement.dataset.theme") == "light"
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == (
        "rgb(245, 246, 250)"
    )
    page.locator(".user-menu summary").click()
    theme.click()
    expect(theme).to_contain_text("Dark")
    theme.click()
    expect(theme).to_contain_text("System")
    page.reload()
    assert page.evaluate("() => document.documentElement.dataset.theme") is None

    # Without script the navigation is simply there, wrapped, and the page still fits.
    quiet = page.context.browser.new_context(
        java_script_enabled=False, viewport={"width": 375, "height": 812}
    )
    try:
        plain = quiet.new_page()
        plain.goto(f"{live_server.url}/login/")
        plain.get_by_label("Username").fill("ada")
        plain.get_by_label("Password").fill(PASSWORD)
        plain.get_by_role("button", name="Log in").click()
        expect(plain.get_by_role("navigation", name="Main")).to_be_visible()
        expect(plain.get_by_role("button", name="Menu")).to_be_hidden()
        assert plain.evaluate("() => document.documentElement.scrollWidth") <= 375
        plain.screenshot(path=str(_screenshots() / "no-script-375.png"))
    finally:
        quiet.close()
