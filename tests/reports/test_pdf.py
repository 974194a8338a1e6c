"""The acceptance: the results report renders to PDF; its text is read back (the account, the
hand-worked spend, the NPS) and its first page drawn as a PNG that is A4-shaped and not blank.
The PDF is WeasyPrint's; pypdfium2 (PDFium, Chrome's PDF engine) reads it independently."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from PIL import Image

from tenure.reports.building import account_report
from tenure.reports.periods import report_period
from tenure.reports.rendering import report_pdf
from tests.reports.acme import NOW

pytestmark = pytest.mark.django_db


def test_the_report_renders_to_a_pdf_read_back_and_drawn_as_png(acme, tmp_path):
    report = account_report(
        account=acme.account, period=report_period("2025-Q3", today=NOW.date()), now=NOW
    )
    pdf = report_pdf(report)
    assert pdf.startswith(b"%PDF-")
    document = pdfium.PdfDocument(pdf)
    text = " ".join(
        " ".join(document[i].get_textpage().get_text_range().split()) for i in range(len(document))
    )
    assert "Acme Rockets" in text
    assert "Q3 2025" in text
    assert "$199.75" in text  # 120.50 + 79.25, the completed USD orders of the quarter
    assert "+166.3 %" in text
    assert "NPS: 25 (95 % interval" in text
    assert "Leads" in text and "300" in text
    assert "Launch the EU store" in text  # next quarter's plan
    assert "Page 1 of" in text

    page = document[0]
    width, height = page.get_size()  # points
    assert round(width) == 595 and round(height) == 842  # A4
    image = page.render(scale=1).to_pil()
    path = tmp_path / "report-page-1.png"
    image.save(path)
    drawn = Image.open(io.BytesIO(path.read_bytes())).convert("L")
    assert abs(drawn.size[0] - 595) <= 1 and abs(drawn.size[1] - 842) <= 1  # 1 px a point
    pixels = drawn.size[0] * drawn.size[1]
    dark = sum(drawn.histogram()[:128])  # pixels darker than mid-grey
    # Text covers part of the page: some ink, most of it paper.
    assert 0.005 * pixels < dark < 0.3 * pixels
