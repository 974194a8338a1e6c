# A fit still queued or running was left by the worker of the version before (its task names a
# function that no longer exists): it gets a run, and both end failed, in words. Ended fits need
# no run: nothing of theirs can still change.

from django.db import migrations

FIT_RUN = "insights.fit"
UPGRADED = "tenure was upgraded before this fit ended; run it again."


def runs_create(apps, schema_editor):
    ModelFit = apps.get_model("insights", "ModelFit")
    Run = apps.get_model("jobs", "Run")
    unfinished = ModelFit.objects.filter(run__isnull=True, status__in=["queued", "running"])
    for fit in unfinished.order_by("id"):
        ended = fit.fitted_at or fit.started_at or fit.created_at
        run = Run.objects.create(
            kind=FIT_RUN,
            args={"fit": fit.pk},
            requested_by_id=fit.started_by_id,
            status="failed",
            error=UPGRADED,
            started_at=fit.started_at,
            finished_at=ended,
        )
        Run.objects.filter(pk=run.pk).update(created_at=fit.created_at)
        ModelFit.objects.filter(pk=fit.pk).update(
            run=run, status="failed", error=UPGRADED, fitted_at=ended
        )


def runs_forget(apps, schema_editor):
    ModelFit = apps.get_model("insights", "ModelFit")
    Run = apps.get_model("jobs", "Run")
    ModelFit.objects.update(run=None)
    Run.objects.filter(kind=FIT_RUN).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_run"),
        ("insights", "0003_model_fit_run"),
    ]

    operations = [migrations.RunPython(runs_create, runs_forget)]
