"""A generated business, imported and fitted as a user would (`tenure import`, `tenure clv
fit`): spend that does not vary between customers is reported as the boundary it is, and the
fit succeeds with every other figure in place."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.urls import reverse
from django.utils.html import escape

from tenure.analytics.simulate_businesses import generate_business
from tenure.cli.main import register_commands
from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit
from tenure.users.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _run(*args: str):
    return CliRunner().invoke(register_commands(), list(args), catch_exceptions=False)


def test_homogeneous_spend_is_reported_at_its_boundary_and_the_fit_succeeds(tmp_path, client):
    business = generate_business("homogeneous_spend", customers=600, seed=7)
    paths = business.write(tmp_path)
    assert _run("import", "customers", str(paths["customers"])).exit_code == 0
    assert _run("import", "orders", str(paths["orders"])).exit_code == 0
    done = _run("clv", "fit", "--observation-end", business.observation_end.isoformat())
    assert done.exit_code == 0, done.output
    fit = ModelFit.objects.get()
    assert fit.status == FitStatus.DONE
    spend = fit.params["GammaGamma"]
    mean = spend["mean_spend"]
    assert spend["boundary"] == (
        "spend does not vary between customers: everyone's expected order value is the "
        f"average, ${mean:,.2f}"
    )
    assert 35 < mean < 45  # the generator's $40 per order
    assert "spend does not vary between customers" in done.output
    predictions = CustomerPrediction.objects.all()
    assert predictions.count() == fit.customers > 500
    assert {str(p.expected_average_spend) for p in predictions} == {f"{mean:.2f}"}
    assert {"BetaGeo", "ModifiedBetaGeo"} <= set(fit.models_fitted)
    assert fit.backtest["chosen"] and fit.backtest["holdout_days"] >= 30
    client.force_login(make_user(role=Role.MANAGER))
    page = client.get(reverse("web:analytics")).content.decode()
    assert escape(spend["boundary"][0].upper() + spend["boundary"][1:]) in page
