"""The Report page and its PDF: every role reads the accounts it sees (a success manager their
book's, 404 for another's); a period it cannot read is a 400 on the form; the content escaped."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db


def _signed_in(client, user):
    client.force_login(user)
    return client


def test_the_page_shows_the_report_with_a_picker_and_the_pdf_link(client, acme):
    _signed_in(client, acme.owner)
    url = reverse("web:account-report", args=[acme.account.pk])
    page = client.get(url, {"period": "2025-Q3"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Acme Rockets" in html and "$199.75" in html
    assert 'id="report-orders">3<' in html
    assert f"/accounts/{acme.account.pk}/report.pdf?period=2025-Q3" in html
    assert "reports/report.css" in html and "<style" not in html
    pdf = client.get(
        reverse("web:account-report-pdf", args=[acme.account.pk]), {"period": "2025-Q3"}
    )
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert 'filename="acme-rockets-2025-Q3.pdf"' in pdf["Content-Disposition"]


def test_a_bad_period_is_a_form_error_not_a_failure(client, acme):
    _signed_in(client, acme.owner)
    page = client.get(reverse("web:account-report", args=[acme.account.pk]), {"period": "2025"})
    assert page.status_code == 400
    assert 'id="period-error"' in page.content.decode()
    assert "is not a month like" in page.content.decode()
    pdf = client.get(reverse("web:account-report-pdf", args=[acme.account.pk]), {"period": "Q9"})
    assert pdf.status_code == 400


@pytest.mark.parametrize(
    ("role", "own", "want"),
    [("admin", False, 200), ("manager", False, 200), ("analyst", False, 200),
     ("success_manager", True, 200), ("success_manager", False, 404)],
)  # fmt: skip
def test_the_page_under_the_roles(client, role, own, want):
    user = make_user(role=role)
    account = make_account(owner=user if own else make_user(role="success_manager"))
    _signed_in(client, user)
    for name in ("web:account-report", "web:account-report-pdf"):
        response = client.get(reverse(name, args=[account.pk]), {"period": "2025-07"})
        assert response.status_code == want, name


def test_names_are_escaped(client):
    user = make_user(role="manager")
    account = make_account(name="<script>alert(1)</script> Ltd", owner=user)
    _signed_in(client, user)
    html = client.get(reverse("web:account-report", args=[account.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Ltd" in html
