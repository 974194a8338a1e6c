from django.apps import AppConfig
from django.db.models.signals import post_migrate


class JobsConfig(AppConfig):
    name = "tenure.jobs"
    label = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        from tenure.jobs.chain import NIGHTLY_KIND
        from tenure.jobs.registry import run_kind_register
        from tenure.jobs.services import schedules_sync

        run_kind_register(NIGHTLY_KIND)

        # After every migrate, so that a fresh install and an upgrade both get the schedule.
        post_migrate.connect(schedules_sync, sender=self, dispatch_uid="tenure-schedules-sync")
