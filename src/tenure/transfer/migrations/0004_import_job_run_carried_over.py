# Each import job gets its run, carrying its state over. A job still queued or running was left
# by the worker of the version before (its task names a function that no longer exists): both
# end failed, in words.

from django.db import migrations

IMPORT_RUN = "transfer.import"
UPGRADED = "tenure was upgraded before this import ended; upload the file again."


def runs_create(apps, schema_editor):
    ImportJob = apps.get_model("transfer", "ImportJob")
    Run = apps.get_model("jobs", "Run")
    for job in ImportJob.objects.filter(run__isnull=True).order_by("id"):
        unfinished = job.status in ("queued", "running")
        if unfinished:
            job.status, job.error = "failed", UPGRADED
            job.finished_at = job.finished_at or job.started_at or job.created_at
        run = Run.objects.create(
            kind=IMPORT_RUN,
            requested_by_id=job.created_by_id,
            status=job.status,
            error=job.error,
            attempts=1 if job.started_at else 0,
            started_at=job.started_at,
            finished_at=job.finished_at,
            heartbeat_at=job.finished_at or job.started_at,
        )
        Run.objects.filter(pk=run.pk).update(created_at=job.created_at)
        job.run = run
        job.save(update_fields=["run", "status", "error", "finished_at"])


def runs_forget(apps, schema_editor):
    ImportJob = apps.get_model("transfer", "ImportJob")
    Run = apps.get_model("jobs", "Run")
    ImportJob.objects.update(run=None)  # first: deleting a run would delete its job
    Run.objects.filter(kind=IMPORT_RUN).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_run"),
        ("transfer", "0003_import_job_run"),
    ]

    operations = [migrations.RunPython(runs_create, runs_forget)]
