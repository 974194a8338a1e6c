from django.apps import AppConfig, apps


class HistoryConfig(AppConfig):
    name = "tenure.history"
    label = "history"
    verbose_name = "Change history"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from tenure.history.tracked import TRACKED

        for label, options in TRACKED.items():
            auditlog.register(apps.get_model(label), **options)
