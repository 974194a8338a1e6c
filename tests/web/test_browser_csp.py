"""The Content-Security-Policy in a real browser (Debian's Chromium, Playwright, a live server):
every main page loads with no violation reported, the charts still draw, the API docs work,
and the behaviour moved out of inline handlers (confirm, auto-submit, open) still works.

A violation is caught twice over: Chromium's console message ("Refused to ... Content Security
Policy") and the page's own ``securitypolicyviolation`` event, reported by a listener that
Playwright installs before any script of the page runs."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from tenure.insights.models import FitStatus
from tenure.insights.services import clv_fit
from tenure.jobs.models import Run
from tenure.transfer.models import ImportJob, ImportStatus
from tenure.users.services import api_token_create
from tests.factories import PASSWORD, make_user
from tests.insights.builders import simulated_buyers
from tests.web.lifecycle_book import lifecycle_book
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)

LISTEN = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.reportViolation(
    event.violatedDirective + " blocked " + (event.blockedURI || "inline") + " in " +
    (event.sourceFile || location.pathname) + ":" + event.lineNumber
  );
});
"""
DRAWN = """
(id) => {
  const canvas = document.getElementById(id);
  if (!canvas || !window.Chart || !window.Chart.getChart(canvas)) return 0;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
  return painted;
}
"""


@pytest.fixture
def watched(browser_page):  # noqa: F811
    """The page, and the list every CSP violation (console or event) is appended to."""
    page = browser_page
    violations: list[str] = []
    page.expose_function("reportViolation", lambda text: violations.append(text))
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: (
            violations.append(f"console: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: violations.append(f"error: {error}"))
    return page, violations


def _book():
    with transaction.atomic():  # as after an import: the lifecycle receivers run once
        book = lifecycle_book()
    today = timezone.localdate()
    simulated_buyers(customers=120, end=today, seed=5)
    assert clv_fit(observation_end=today).status == FitStatus.DONE
    return book


@pytest.mark.browser
def test_the_main_pages_run_under_the_policy(live_server, watched):
    from playwright.sync_api import expect

    page, violations = watched
    book = _book()
    admin = make_user(role="admin", username="root", is_staff=True, is_superuser=True)
    job = ImportJob.objects.create(
        run=Run.objects.create(kind="transfer.import", status="failed"),
        kind="orders",
        file_name="o.csv",
        path="/nowhere",
        created_by=admin,
        status=ImportStatus.FAILED,
        bytes_total=100,
        bytes_done=40,
        error="the disk is gone",
    )
    customer = book.at_risk["otto"][0]

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()

    visited = {}
    for path in [
        "/customers/",
        f"/customers/{customer.pk}/",
        "/accounts/",
        "/analytics/",
        "/lifecycle/",
        "/lifecycle/at-risk/",
        "/lifecycle/churn-audit/",
        "/lifecycle/definition/",
        "/tasks/",
        "/imports/",
        f"/imports/{job.pk}/",
        "/team/",
        "/tokens/",
        "/password/",
        "/admin/",
        "/admin/customers/customer/",
        f"/admin/customers/customer/{customer.pk}/change/",
    ]:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        visited[path] = list(violations)
    assert violations == [], violations

    # The charts draw (Chart.js sets canvas sizes through the CSSOM, which the policy allows).
    page.goto(f"{live_server.url}/analytics/")
    for chart in ("chart-retention", "chart-clv", "chart-recency", "chart-fit"):
        expect(page.locator(f"#{chart}")).to_be_visible()
        assert page.evaluate(DRAWN, chart) > 500, chart
    page.goto(f"{live_server.url}/lifecycle/")
    for chart in ("chart-funnel", "chart-flow"):
        assert page.evaluate(DRAWN, chart) > 500, chart
    # The flow chart's period select applies itself (was onchange="this.form.submit()").
    page.locator("select[name=period]").select_option("quarter")
    expect(page).to_have_url(f"{live_server.url}/lifecycle/?period=quarter")
    assert page.evaluate(DRAWN, "chart-flow") > 500

    # The import's progress is a <progress> element now, not a styled span.
    page.goto(f"{live_server.url}/imports/{job.pk}/")
    expect(page.locator("progress.progress")).to_have_attribute("value", "40")
    assert page.locator("progress.progress").evaluate("el => el.position") == pytest.approx(0.4)
    assert violations == [], violations


@pytest.mark.browser
def test_moved_handlers_still_work(live_server, watched):
    from playwright.sync_api import expect

    page, violations = watched
    user = make_user(username="mia")
    token, _ = api_token_create(user=user, name="shop")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # "New task" opens the form's <details> (was an onclick attribute).
    page.goto(f"{live_server.url}/tasks/")
    details = page.locator("details#new-task")
    assert details.evaluate("el => el.open") is False
    page.get_by_role("link", name="New task").click()
    assert details.evaluate("el => el.open") is True

    # Revoking a token asks first (was onsubmit="return confirm(...)"): no, then yes.
    page.goto(f"{live_server.url}/tokens/")
    questions: list[str] = []

    def answer(dialog, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.get_by_role("button", name="Revoke").click()
    page.wait_for_timeout(300)
    token.refresh_from_db()
    assert token.is_active
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Revoked", exact=False).first).to_be_visible()
    token.refresh_from_db()
    assert not token.is_active
    assert questions == ["Revoke this token? Whatever uses it stops working at once."] * 2
    assert violations == [], violations


@pytest.mark.browser
def test_the_api_docs_work_under_the_policy(live_server, watched):
    from playwright.sync_api import expect

    page, violations = watched
    response = page.goto(f"{live_server.url}/api/v1/docs")
    assert response is not None and "content-security-policy" in response.headers
    # The first load builds the OpenAPI document (seconds on a loaded machine), then it is kept.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("tenure API", timeout=30_000)
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    page.locator(".swagger-ui .opblock-summary").first.click()  # opens an operation
    expect(page.locator(".swagger-ui .opblock-body").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert violations == [], violations


@pytest.mark.browser
def test_a_violation_would_be_caught(live_server, watched):
    # The watch itself works: an inline style the policy blocks is reported.
    page, violations = watched
    page.goto(f"{live_server.url}/login/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_timeout(300)
    assert any("style-src" in violation for violation in violations), violations
