from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "tenure.reports"
    label = "reports"
    verbose_name = "Results reports"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from tenure.reports import events, steps

        assert events.METRICS_IMPORTED  # the kinds register on import
        # Changes of an imported metric keep a history like the customers' records.
        auditlog.register(self.get_model("AccountMetric"))
        steps.report_step_register()
