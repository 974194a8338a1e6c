"""`tenure report account ACME --period 2025-Q3 --pdf out.pdf`, the account by id or name (an
ambiguous name lists the candidates), as the operator or ``--as`` a user (their book)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tenure.cli.main import register_commands
from tests.factories import make_account, make_user

pytestmark = pytest.mark.django_db


def test_the_report_to_pdf_html_and_text(acme, tmp_path):
    cli = register_commands()
    runner = CliRunner()
    pdf, html = tmp_path / "out.pdf", tmp_path / "out.html"
    done = runner.invoke(
        cli, ["report", "account", "ACME", "--period", "2025-Q3", "--pdf", str(pdf),
              "--html", str(html)],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "Acme Rockets, 2025-Q3: PDF written to" in done.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert "$199.75" in html.read_text(encoding="utf-8")
    text = runner.invoke(cli, ["report", "account", str(acme.account.pk), "--period", "2025-Q3"])
    assert "Spend: 199.75 USD, 10.00 EUR (before: 75.00 USD), +166.3 %" in text.output


def test_an_ambiguous_name_lists_the_candidates_and_roles_hold(acme):
    make_account(name="Acme Labs")
    cli = register_commands()
    runner = CliRunner()
    both = runner.invoke(cli, ["report", "account", "acme", "--period", "2025-Q3"])
    assert both.exit_code == 2
    assert f"{acme.account.pk}: Acme Rockets" in both.output and "Acme Labs" in both.output
    exact = runner.invoke(cli, ["report", "account", "acme rockets", "--period", "2025-07"])
    assert exact.exit_code == 0 and "Acme Rockets: results report, July 2025" in exact.output
    make_user(role="success_manager", username="stranger")
    hidden = runner.invoke(cli, ["report", "account", "Acme Rockets", "--as", "stranger"])
    assert hidden.exit_code == 2 and "no account 'Acme Rockets'" in hidden.output
    bad = runner.invoke(cli, ["report", "account", "Acme Rockets", "--period", "2025"])
    assert bad.exit_code == 2 and "--period" in bad.output
