"""Bad input gets a clear error, never a NaN; unfittable data says why."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tenure.analytics.errors import FitError, InvalidInputError, ModelError, NotFittedError
from tenure.analytics.models import BetaGeo, GammaGamma, ParetoNBD, ShiftedBetaGeometric

CUSTOMER_MODELS = [BetaGeo, ParetoNBD]


@pytest.mark.parametrize("model", [*CUSTOMER_MODELS, GammaGamma, ShiftedBetaGeometric])
def test_predicting_before_fit_raises(model):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model()._check_fitted()
    assert repr(model()) == f"{model.__name__}()"


@pytest.mark.parametrize("model", CUSTOMER_MODELS)
def test_unfitted_prediction_raises(model):
    with pytest.raises(NotFittedError):
        model().predict_probability_alive(1, 1.0, 2.0)
    with pytest.raises(NotFittedError):
        model().predict_purchases(10, 1, 1.0, 2.0)


@pytest.mark.parametrize("model", CUSTOMER_MODELS)
@pytest.mark.parametrize(
    ("frequency", "recency", "T", "name", "reason"),
    [
        ([1, -1], [1.0, 0.0], [2.0, 2.0], "frequency", ">= 0"),
        ([1, 1.5], [1.0, 1.0], [2.0, 2.0], "frequency", "whole numbers"),
        ([1, 1], [1.0, math.nan], [2.0, 2.0], "recency", "finite"),
        ([1, 1], [1.0, 1.0], [2.0, math.inf], "T", "finite"),
        ([1, 1], [1.0, 3.0], [2.0, 2.0], "recency", "greater than T"),
        ([1, 0], [1.0, 1.0], [2.0, 2.0], "recency", "must be 0"),
        ([], [], [], "frequency", "empty"),
        ([1, 2], [1.0], [2.0, 2.0, 2.0], "frequency, recency, T", "same length"),
        (["a"], [1.0], [2.0], "frequency", "numbers"),
    ],
)
def test_bad_customer_data_is_refused(model, frequency, recency, T, name, reason):
    with pytest.raises(InvalidInputError, match=reason) as info:
        model().fit(frequency, recency, T)
    assert info.value.name == name


def test_error_names_the_first_bad_row():
    with pytest.raises(InvalidInputError) as info:
        BetaGeo().fit([1, 2, 3, 4], [1.0, 1.0, 9.0, 9.0], [2.0, 2.0, 2.0, 2.0])
    assert (info.value.count, info.value.example) == (2, 2)
    assert "2 rows, first at position 2" in str(info.value)


@pytest.mark.parametrize("model", CUSTOMER_MODELS)
def test_no_repeat_purchases_cannot_be_fitted(model):
    with pytest.raises(FitError, match="no customer has a repeat purchase"):
        model().fit([0, 0, 0], [0.0, 0.0, 0.0], [5.0, 6.0, 7.0])


@pytest.mark.parametrize("model", CUSTOMER_MODELS)
def test_zero_weights_cannot_be_fitted(model):
    with pytest.raises(FitError, match="no customers"):
        model().fit([1, 2], [1.0, 2.0], [5.0, 6.0], weights=[0, 0])


def test_everyone_buying_to_the_end_does_not_identify_dropout():
    # Everyone bought right up to T: no sign of dropout, so BG/NBD's b runs off to infinity.
    x = np.array([3, 5, 2, 8, 4] * 20)
    with pytest.raises(FitError, match=r"ran off|do not identify"):
        BetaGeo().fit(x, np.full(x.size, 10.0), np.full(x.size, 10.0))


def test_gamma_gamma_input_rules():
    with pytest.raises(InvalidInputError, match="must be > 0") as info:
        GammaGamma().fit([1, 2, 0], [10.0, 0.0, 0.0])
    assert info.value.example == 1
    with pytest.raises(InvalidInputError, match="monetary_value"):
        GammaGamma().fit([1, 2], [10.0, -3.0])
    with pytest.raises(FitError, match="at least two"):
        GammaGamma().fit([1, 0, 0], [10.0, 0.0, 0.0])
    # Identical spends are the model's boundary (no heterogeneity), not a failure.
    same = GammaGamma().fit([1, 3], [10.0, 10.0])
    assert same.homogeneous_ and same.predict_spend([1, 0], [10.0, 0.0]).tolist() == [10.0, 10.0]


def test_clv_is_refused_when_gamma_gamma_q_is_at_most_one():
    spend = GammaGamma.from_params(p=6.0, q=0.9, gamma=15.0)
    purchases = BetaGeo.from_params(r=0.24, alpha=4.4, a=0.79, b=2.4)
    with pytest.raises(ModelError, match=r"q = 0.9 <= 1"):
        spend.customer_lifetime_value(
            purchases, 2, 30.0, 38.0, 20.0, horizon=52, periods_per_year=52.18
        )
    with pytest.raises(ModelError):
        spend.predict_spend(2, 20.0)


def test_clv_argument_rules():
    spend = GammaGamma.from_params(p=6.0, q=3.7, gamma=15.0)
    purchases = BetaGeo.from_params(r=0.24, alpha=4.4, a=0.79, b=2.4)
    for bad in (
        {"horizon": 0},
        {"periods_per_year": -1},
        {"margin": -0.1},
        {"discount_rate_annual": math.nan},
    ):
        kwargs = {"horizon": 52.0, "periods_per_year": 52.18, **bad}
        with pytest.raises(InvalidInputError):
            spend.customer_lifetime_value(purchases, 2, 30.0, 38.0, 20.0, **kwargs)


def test_from_params_checks_names_and_values():
    with pytest.raises(InvalidInputError, match="takes exactly r, alpha, a, b"):
        BetaGeo.from_params(r=1.0, alpha=1.0, a=1.0)
    with pytest.raises(InvalidInputError, match="alpha"):
        BetaGeo.from_params(r=1.0, alpha=-1.0, a=1.0, b=1.0)


def test_sbg_input_rules():
    with pytest.raises(FitError, match="nobody cancelled"):
        ShiftedBetaGeometric().fit([0, 0, 0], 100)
    with pytest.raises(FitError, match="one period"):
        ShiftedBetaGeometric().fit([10], 90)
    with pytest.raises(InvalidInputError, match="lost"):
        ShiftedBetaGeometric().fit([10, -1], 90)
    with pytest.raises(InvalidInputError, match="still_active"):
        ShiftedBetaGeometric().fit([10, 5], 90.5)
