"""The model refit as a ``tenure.jobs`` run kind, done by ``tenure worker``: a fit asked for
from the page or the API (``args["fit"]``, queued with its ``ModelFit``), and the first step of
the nightly chain (no fit yet: a new fit on today's data).

Safe to deliver twice: the run is claimed once (``tenure.jobs.runner``), and running the
nightly refit twice replaces the predictions with the same ones (fits write one at a time, see
services).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tenure.insights.models import FIT_RUN, FitStatus, ModelFit
from tenure.insights.services import clv_fit, clv_fit_run, fit_require
from tenure.jobs.models import Run, RunStatus
from tenure.jobs.registry import RunKind
from tenure.jobs.runner import RunContext, RunFailed


def fit_follow(run: Run) -> None:
    """A fit starts with its run; a run that ends without the fit ending it (its worker died,
    an unexpected error) ends the fit with the run's words."""
    fit = ModelFit.objects.filter(run_id=run.pk)
    if run.status == RunStatus.RUNNING:
        fit.filter(status=FitStatus.QUEUED).update(
            status=FitStatus.RUNNING, started_at=run.started_at
        )
    elif run.status == RunStatus.FAILED:
        fit.filter(status__in=[FitStatus.QUEUED, FitStatus.RUNNING]).update(
            status=FitStatus.FAILED, error=run.error, fitted_at=run.finished_at
        )


def fit_run(run: RunContext) -> dict[str, Any]:
    """Do the queued fit ``args["fit"]``, or (the nightly step) a new fit on today's data; a
    fit the data cannot support fails the run with its reason."""
    if "fit" in run.args:
        fit = clv_fit_run(fit=ModelFit.objects.get(pk=run.args["fit"]))
    else:
        fit = clv_fit(observation_end=timezone.localdate(), run=run.run)
    if fit.status == FitStatus.FAILED:
        raise RunFailed(f"The model refit failed: {fit.error}")
    return {"fit": fit.pk, "customers": fit.customers, "purchase_model": fit.purchase_model}


FIT_KIND = RunKind(
    name=FIT_RUN,
    label="model refit",
    function=fit_run,
    may_start=fit_require,
    unexpected="The model refit stopped on an unexpected error (the details are in the "
    "worker's log); run it again.",
    follow=fit_follow,
    nightly=10,
    nightly_may_fail=True,  # stages and health go on with the predictions stored before
)
