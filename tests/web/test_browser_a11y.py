"""Every main page in a real browser, wide and narrow: axe-core finds no serious or critical
violation, and no page is wider than a 375 px phone.

axe-core is vendored in ``tests/web/vendor/`` (version and licence there) and evaluated in the
page through the DevTools protocol, so the app's Content-Security-Policy stays on. Screenshots of
every page at both sizes, and axe's findings as JSON, are kept in ``var/test/screenshots/``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from tests.factories import make_user
from tests.web.test_browser import PASSWORD, browser_page  # noqa: F401 (a fixture)

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
SIZES = {"wide": (1440, 900), "phone": (375, 812)}
BLOCKING = {"serious", "critical"}
# What reaches past the right edge, to say what to fix.
PAST_THE_EDGE = (Path(__file__).parent / "past_the_edge.js").read_text(encoding="utf-8")


def _screenshots() -> Path:
    folder = Path(settings.DATA_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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
        "account": f"/accounts/{account.pk}/",
        "order": f"/orders/{order.pk}/",
        "tasks": "/tasks/",
        "analytics": "/analytics/",
        "lifecycle": "/lifecycle/",
        "at-risk": "/lifecycle/at-risk/",
        "churn-audit": "/lifecycle/churn-audit/",
        "segments": "/segments/",
        "playbooks": "/playbooks/",
        "email-outbox": "/mail/",
        "import": "/imports/",
        "team": "/team/",
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
    make_user(username="ada", role="admin", first_name="Ada", last_name="Admin")
    pages = _small_business()

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
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in pages.items():
            started = time.perf_counter()
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status == 200, (name, path)
            timings[f"{name}@{width}"] = round(time.perf_counter() - started, 2)
            page.wait_for_load_state("networkidle")
            violations = _axe(page)
            scroll_width, inner_width = page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]"
            )
            findings[f"{name}@{width}"] = {
                "path": path,
                "scroll_width": scroll_width,
                "inner_width": inner_width,
                "seconds": timings[f"{name}@{width}"],
                "violations": violations,
            }
            page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
            for violation in violations:
                if violation["impact"] in BLOCKING:
                    blocking.append(
                        f"{name}@{width}: {violation['impact']} {violation['id']}"
                        f" ({violation['help']}) at {violation['nodes']}"
                    )
            if scroll_width > inner_width:
                findings[f"{name}@{width}"]["past_the_edge"] = page.evaluate(PAST_THE_EDGE)
                too_wide.append(
                    f"{name}@{width}: {scroll_width} px in {inner_width} px,"
                    f" past the edge: {findings[f'{name}@{width}']['past_the_edge']}"
                )
    (shots / "axe.json").write_text(json.dumps(findings, indent=2), encoding="utf-8")

    assert blocking == []
    assert too_wide == []
    assert errors == []
