# A recompute still queued or running was left by the worker of the version before (its task
# names a function that no longer exists): it gets a run, and both end failed, in words. Ended
# recomputes need no run: nothing of theirs can still change.

from django.db import migrations

RECOMPUTE_RUN = "lifecycle.recompute"
UPGRADED = "tenure was upgraded before this recompute ended; run it again."


def runs_create(apps, schema_editor):
    RecomputeRun = apps.get_model("lifecycle", "RecomputeRun")
    Run = apps.get_model("jobs", "Run")
    unfinished = RecomputeRun.objects.filter(run__isnull=True, status__in=["queued", "running"])
    for recompute in unfinished.order_by("id"):
        ended = recompute.finished_at or recompute.created_at
        run = Run.objects.create(
            kind=RECOMPUTE_RUN,
            args={"health": True},
            requested_by_id=recompute.started_by_id,
            status="failed",
            error=UPGRADED,
            finished_at=ended,
        )
        Run.objects.filter(pk=run.pk).update(created_at=recompute.created_at)
        RecomputeRun.objects.filter(pk=recompute.pk).update(
            run=run, status="failed", error=UPGRADED, finished_at=ended
        )


def runs_forget(apps, schema_editor):
    RecomputeRun = apps.get_model("lifecycle", "RecomputeRun")
    Run = apps.get_model("jobs", "Run")
    RecomputeRun.objects.update(run=None)
    Run.objects.filter(kind=RECOMPUTE_RUN).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_run"),
        ("lifecycle", "0008_recompute_run_run"),
    ]

    operations = [migrations.RunPython(runs_create, runs_forget)]
