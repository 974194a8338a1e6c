"""Health tuned on the business's own history: the backtest of health and adopting fitted weights.

``health_backtest_run`` scores health as the latest model fit's backtest split the history
(the same holdout ``h`` and cut ``T - h``; without a fit, ``h`` from the business's rhythm),
with the facts as of the cut read from the database (``facts_frame`` at that moment: orders,
cases, answers then), and stores the figures: AUC of health with the weights in use and with
weights fitted to the history out of time, of days since the last order and of the chosen churn
ranking (``tenure.domain.health_backtest``). ``health_weights_adopt`` (admins) makes a run's
fitted weights the configuration in use (a new ``HealthDefinition``) and rescores everyone.

Who may: the figures describe the whole base, so reading them needs a role that sees every
customer (admins, managers, analysts); running one writes a record (admins and managers);
adopting changes every score (admins).
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.db import transaction
from django.utils import timezone

from tenure.access import require, require_all
from tenure.analytics.errors import InvalidInputError
from tenure.domain.access import Action
from tenure.domain.health import HealthConfig, health_config_validate
from tenure.domain.health_backtest import RankingFigures, health_backtest
from tenure.domain.health_ceilings import CEILINGS
from tenure.domain.health_weights import config_with_weights
from tenure.insights.models import FitStatus, ModelFit
from tenure.insights.reading import EPOCH, completed_orders, day_number, day_start
from tenure.lifecycle.facts import chunks, facts_frame, median_of_gaps, order_figures
from tenure.lifecycle.health import (
    HealthResult,
    health_config_active,
    health_recompute,
)
from tenure.lifecycle.models import HealthBacktestRun, HealthDefinition, HealthDefinitionSource
from tenure.users.models import User

# Today's figures, not the past's: left out of the backtest (see tenure.domain.health_backtest).
_NOT_IN_BACKTEST = frozenset(CEILINGS["churn_risk"].facts + CEILINGS["at_risk_stage"].facts)
SEE_WHY = "the health backtest describes the whole customer base; your role sees only your own"


def health_backtest_latest(*, user: User | None) -> HealthBacktestRun | None:
    if user is not None:
        require_all(user, Action.VIEW, why=SEE_WHY)
    return HealthBacktestRun.objects.order_by("-created_at", "-id").first()


def _latest_fit() -> ModelFit | None:
    return (
        ModelFit.objects.filter(status=FitStatus.DONE, observation_end__isnull=False)
        .order_by("-fitted_at", "-id")
        .first()
    )


def health_facts_at(config: HealthConfig) -> Any:
    """``facts_at(day, ids)`` for ``tenure.domain.health_backtest``: the facts of the customers
    ``ids`` as of the end of ``day`` (local), the ones the backtest may know."""
    needed = (set(config.facts_used) | config.ceiling_facts) - _NOT_IN_BACKTEST

    def facts_at(day: int, ids: npt.NDArray[np.int64]) -> pd.DataFrame:
        moment = day_start(EPOCH + timedelta(days=day + 1))  # the end of ``day``
        parts = list(chunks(ids))
        median = median_of_gaps([order_figures(part, moment).gaps() for part in parts])
        return facts_frame(customer_ids=ids, now=moment, needed=needed, median_gap_days=median)

    return facts_at


def _stored_chosen(fit: ModelFit | None, h: int | None) -> RankingFigures | None:
    """The chosen ranking's figures from the fit's own backtest, when it ran on this split."""
    stored = fit.backtest if fit is not None else None
    if not stored or stored.get("reason") or stored.get("holdout_days") != h:
        return None
    for candidate in stored.get("candidates", []):
        if candidate.get("key") == stored.get("chosen"):
            return RankingFigures(
                "chosen", f"chosen ranking: {candidate.get('label', '')}", candidate.get("auc"),
                candidate.get("top_decile_lapsed"),
            )  # fmt: skip
    return None


def health_backtest_run(
    *, by: User | None = None, observation_end: date | None = None
) -> HealthBacktestRun:
    """Backtest health as the latest fit split the history (see the module) and store it."""
    if by is not None:
        require(by, Action.CHANGE)
        require_all(by, Action.CHANGE, why="only admins and managers may run the health backtest")
    began = time.perf_counter()
    fit = _latest_fit()
    end: date = observation_end or (
        fit.observation_end if fit is not None and fit.observation_end else timezone.localdate()
    )
    stored = fit.backtest if fit is not None and fit.observation_end == end else None
    h = stored.get("holdout_days") if stored and not stored.get("reason") else None
    orders = completed_orders(customers=None, before=day_start(end + timedelta(days=1)))
    # The configuration in use (anchors, bands, ceilings) at the default weights: the prior.
    defaults = health_config_validate()
    config = config_with_weights(health_config_active(), {
        key: defaults.params[key]["weight"] for key in defaults.params
    })  # fmt: skip
    result = health_backtest(
        orders.customer_id, orders.day, observation_end=day_number(end),
        facts_at=health_facts_at(config), config=config, holdout=h,
        chosen=_stored_chosen(fit if stored else None, h),
    )  # fmt: skip
    fitted = result.fitted.weights if result.fitted is not None else None
    return HealthBacktestRun.objects.create(
        observation_end=end, holdout_days=result.holdout_days, customers=result.customers,
        lapsed=result.lapsed, figures=result.as_dict(), fitted_weights=fitted,
        reason=result.reason, duration_seconds=time.perf_counter() - began, started_by=by,
    )  # fmt: skip


def health_weights_adopt(
    *, by: User | None, run_id: int, now: datetime | None = None
) -> tuple[HealthDefinition, HealthResult]:
    """Make the fitted weights of backtest ``run_id`` the weights in use (admins only) and
    rescore every customer and account with them."""
    if by is not None:
        require(by, Action.ADMINISTER)
    run = HealthBacktestRun.objects.filter(pk=run_id).first()
    if run is None:
        raise InvalidInputError("run_id", f"no health backtest with id {run_id}")
    if not run.fitted_weights:
        why = run.figures.get("fit_note") or run.reason or "no weights were fitted"
        raise InvalidInputError("run_id", f"health backtest {run_id} has no fitted weights: {why}")
    config = config_with_weights(health_config_active(), run.fitted_weights)
    with transaction.atomic():
        adopted = HealthDefinition.objects.create(
            definition=config.definition, source=HealthDefinitionSource.FITTED, backtest=run,
            adopted_by=by,
        )  # fmt: skip
    return adopted, health_recompute(now=now, config=config)


def health_weights_reset(
    *, by: User | None, now: datetime | None = None
) -> tuple[HealthDefinition, HealthResult]:
    """Go back to the default weights (admins only) and rescore everyone with them."""
    if by is not None:
        require(by, Action.ADMINISTER)
    config = health_config_validate()
    reset = HealthDefinition.objects.create(
        definition=config.definition, source=HealthDefinitionSource.DEFAULT, adopted_by=by
    )
    return reset, health_recompute(now=now, config=config)
