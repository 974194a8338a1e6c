from django.apps import AppConfig

# Their changes keep a history like the customers' records (who, when, which fields).
TRACKED = (
    "ChecklistTemplate", "ChecklistStep", "SuccessPlan", "Goal", "Milestone", "Appreciation",
)  # fmt: skip


class SuccessConfig(AppConfig):
    name = "tenure.success"
    label = "success"
    verbose_name = "Customer success"

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.db.models.signals import post_migrate

        from tenure.privacy.signals import person_erasing, person_exporting
        from tenure.success import builtin, events, signals

        assert events.GOAL_ACHIEVED  # the kinds register on import
        for name in TRACKED:
            auditlog.register(self.get_model(name))
        post_migrate.connect(builtin.on_post_migrate, sender=self, dispatch_uid="success-builtin")
        person_exporting.connect(signals.on_person_exporting, dispatch_uid="success-export")
        person_erasing.connect(signals.on_person_erasing, dispatch_uid="success-erase")
