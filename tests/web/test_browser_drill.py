"""The acceptance scenario in a real browser (Chromium, Playwright, a live server): a point of
the Analytics page's retention chart opens exactly the customers behind it, and "Save as
segment" makes a static segment of them. Screenshots are kept in
var/test/screenshots/drill/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenure.customers.models import Customer
from tenure.segments.models import Segment, SegmentKind, SegmentMembership
from tests.factories import PASSWORD, make_user
from tests.insights.test_retention import domain_example
from tests.web.test_browser import browser_page  # noqa: F401  (the fixture)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots" / "drill"
SETTINGS = "rule=fixed_days&days=60&period=quarter&count=3&end=2025-07-15"
POINT = """
([id, dataset, label]) => {
  const chart = window.Chart.getChart(document.getElementById(id));
  const index = chart.data.labels.indexOf(label);
  const point = chart.getDatasetMeta(dataset).data[index];
  return {x: point.x, y: point.y};
}
"""


@pytest.mark.browser
def test_a_chart_point_opens_its_customers_and_saves_them_as_a_segment(
    live_server,
    browser_page,  # noqa: F811
):
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    make_user(username="mia", first_name="Mia", last_name="Manager")
    # DOMAIN.md's quarter by hand: 20 active on 1 April 2025, 19 buy again in June, the first
    # does not (lost), 5 new; plus two who count nowhere.
    domain_example()
    ordered = list(Customer.objects.order_by("pk"))
    lost, retained = ordered[0], ordered[1:20]
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def shot(name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)

    page.goto(f"{live_server.url}/analytics/?{SETTINGS}")
    expect(page.locator("#answer-sentence")).to_contain_text("Retention in 2025 Q2 was 95.0 %")
    canvas = page.locator("#chart-retention")
    canvas.scroll_into_view_if_needed()
    page.wait_for_function("() => window.Chart && window.Chart.getChart('chart-retention')")
    shot("01-analytics")

    # The Churn point of 2025 Q2: the one customer lost.
    point = page.evaluate(POINT, ["chart-retention", 1, "2025 Q2"])
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_url("**/analytics/drill/**")
    expect(page.locator("#drill-title")).to_contain_text("were lost")
    expect(page.locator("#drill-count")).to_have_text("1 customer")
    links = page.locator("#drill-table tbody a")
    assert links.evaluate_all("as => as.map(a => a.getAttribute('href'))") == [
        f"/customers/{lost.pk}/"
    ]
    shot("02-lost-customers")

    # Back, and the Retention point of the same quarter: the 19 who stayed.
    page.go_back()
    page.wait_for_function("() => window.Chart && window.Chart.getChart('chart-retention')")
    point = page.evaluate(POINT, ["chart-retention", 0, "2025 Q2"])
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_url("**/analytics/drill/**")
    expect(page.locator("#drill-count")).to_have_text("19 customers")
    hrefs = page.locator("#drill-table tbody a").evaluate_all(
        "as => as.map(a => a.getAttribute('href'))"
    )
    assert sorted(hrefs) == sorted(f"/customers/{c.pk}/" for c in retained)
    shot("03-retained-customers")

    page.get_by_label("Segment name").fill("Stayed in Q2 2025")
    page.get_by_role("button", name="Save as segment").click()
    expect(page.get_by_role("heading", name="Stayed in Q2 2025")).to_be_visible()
    shot("04-segment-saved")
    segment = Segment.objects.get(name="Stayed in Q2 2025")
    assert segment.kind == SegmentKind.STATIC
    members = SegmentMembership.objects.filter(segment=segment, left_at__isnull=True)
    assert sorted(members.values_list("customer_id", flat=True)) == sorted(c.pk for c in retained)
    assert errors == []


BAR = """
([id, dataset, label]) => {
  const chart = window.Chart.getChart(document.getElementById(id));
  const index = chart.data.labels.indexOf(label);
  const bar = chart.getDatasetMeta(dataset).data[index];
  return {x: bar.x, y: (bar.y + bar.base) / 2};
}
"""


@pytest.mark.browser
def test_a_model_check_bar_opens_the_customers_with_that_many_repeat_purchases(
    live_server,
    browser_page,  # noqa: F811
):
    """The Actual bar of the model check (customers by repeat purchases) opens exactly the
    customers it counts; the Expected bar beside it, the model's figure, opens nothing."""
    from playwright.sync_api import expect

    from tests.web.test_drill_figure_pages import _fitted

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    make_user(username="mia", first_name="Mia", last_name="Manager")
    customers = _fitted([i % 4 for i in range(20)] + [9, 9, 11], sam=None)  # five with 2
    with_two = sorted(f"/customers/{c.pk}/" for i, c in enumerate(customers[:20]) if i % 4 == 2)
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)

    page.goto(f"{live_server.url}/analytics/")
    canvas = page.locator("#chart-fit")
    canvas.scroll_into_view_if_needed()
    page.wait_for_function("() => window.Chart && window.Chart.getChart('chart-fit')")
    page.screenshot(path=str(SCREENSHOTS / "05-model-check.png"), full_page=True)
    box = canvas.bounding_box()
    assert box is not None
    bar = page.evaluate(BAR, ["chart-fit", 1, "2"])  # Expected: the model's, opens nothing
    page.mouse.click(box["x"] + bar["x"], box["y"] + bar["y"])
    page.wait_for_timeout(300)
    assert page.url.endswith("/analytics/")
    bar = page.evaluate(BAR, ["chart-fit", 0, "2"])  # Actual: five customers bought twice more
    page.mouse.click(box["x"] + bar["x"], box["y"] + bar["y"])
    page.wait_for_url("**/analytics/drill/**")
    expect(page.locator("#drill-title")).to_contain_text("Customers with 2 repeat purchases")
    expect(page.locator("#drill-count")).to_have_text("5 customers")
    hrefs = page.locator("#drill-table tbody a").evaluate_all(
        "as => as.map(a => a.getAttribute('href'))"
    )
    assert sorted(hrefs) == with_two
    page.screenshot(path=str(SCREENSHOTS / "06-two-repeat-purchases.png"), full_page=True)
    assert errors == []
